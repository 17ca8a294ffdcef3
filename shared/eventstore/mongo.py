"""The MongoDB event store: the log is the ``events`` collection (``_id`` = global
position), its head lives in ``meta``. Appends run in one multi-document
transaction that reads the head, inserts the events and moves the head with a
compare-and-set, so positions are gap-free and commit order equals position order.

Concurrent callers in one process are grouped into one transaction (group
commit): the first caller to take the commit lock writes everything queued,
checking each request's expected version on its own so one stale request never
fails its neighbours.

A group commit's first attempt reads nothing it can know already (issue 18: three of a
command's round trips): the log head as its last commit left it, a stream's version as
the caller's read of the stream saw it (when that is the version it expects, or it expects
a new stream: version 1 collides with any stream that exists), and no
idempotency record for a key (the record is inserted under a unique ``_id``). Each of
these is checked by a write the transaction makes anyway: events go in under unique
``_id`` = position and unique (stream, version), the head moves by compare-and-set, the
record's ``_id`` is unique. Knowledge that is out of date (another instance appended, a
key was used before) makes one of them collide, the transaction aborts with nothing
written, and every later attempt reads everything inside its snapshot, as before.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Iterator

import bson
from bson import decode_all
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from shared import personal_data
from shared import write_batch as wb
from shared.clock import utc_now_iso
from shared.eventstore.base import (
    AppendRequest,
    CommandKey,
    CommandKeyReused,
    ConcurrencyError,
    EventStore,
    check_fingerprint,
    command_record,
    empty_head,
    seal,
)
from shared.key_vault import KeyVault
from shared.readahead import read_ahead

HEAD_ID = "log_head"
READ_BATCH = 2000  # documents a batch when reading a whole log (larger batches measured no faster)
MAX_BATCH = 64
MAX_ATTEMPTS = 50
REVEAL_CHUNK = 500  # envelopes whose personal data keys one lookup fetches (iter_all)
KNOWN_STREAMS_MAX = 10_000  # stream versions remembered at most (then forgotten at once)
HANDOFF_MAX = 5_000  # committed events kept for the relay at most (the oldest dropped first)


class Handoff:
    """What this process's own commits wrote, as stored, kept for the relay (issue 18): it
    publishes them without reading them back from the log when they continue exactly from
    what it published. Filled only after a commit returned; bounded; anything it lacks (another
    instance's events, an inbox reaction's, a start, what overflowed) the relay reads from
    the log, so it is a cache of the log and never a second source of truth."""

    def __init__(self, limit: int = HANDOFF_MAX, codec_options=None):
        self.limit = limit
        self.codec_options = codec_options
        # by position, each as the BSON the log holds: decoded as a log read decodes it, and
        # out of reach of a caller that changes the envelopes its append returned (they
        # share parts with the stored documents)
        self._docs: dict[int, bytes] = {}
        self._lock = threading.Lock()
        # kept only once a relay has asked (its first take): a process without one (a
        # script, a bench) pays nothing on its commits for it
        self.wanted = False

    def put(self, docs: list[dict]) -> None:
        if not self.wanted:
            return
        encoded = [(doc["position"], bson.encode(doc)) for doc in docs]
        with self._lock:
            for position, data in encoded:
                self._docs[position] = data
            while len(self._docs) > self.limit:
                del self._docs[min(self._docs)]

    def take(self, after: int, limit: int) -> list[dict]:
        """The stored documents at positions after+1, after+2, … as far as they run without a
        gap (at most ``limit``); the ones at or before ``after`` are dropped."""
        self.wanted = True
        with self._lock:
            for position in [p for p in self._docs if p <= after]:
                del self._docs[position]
            run = []
            while len(run) < limit and after + 1 + len(run) in self._docs:
                run.append(self._docs.pop(after + 1 + len(run)))
        return [bson.decode(data, self.codec_options) if self.codec_options else bson.decode(data)
                for data in run]


class _Pending:
    __slots__ = ("request", "done", "result", "error")

    def __init__(self, request: AppendRequest):
        self.request, self.done, self.result, self.error = request, threading.Event(), None, None


def run_transaction(client: MongoClient, work, attempts: int = MAX_ATTEMPTS):
    """Run ``work(session)`` in a transaction, retrying transient conflicts.

    A duplicate key on the log's unique indexes means another writer took the
    same position or stream version first: that is a conflict too, and the
    retry sees the winner's write."""
    for attempt in range(attempts):
        with client.start_session() as session:
            try:
                # j=True: acknowledged only once journaled (DESIGN.md guarantee 7); the
                # embedded server also fsyncs each commit (launcher: --sync-on-commit)
                session.start_transaction(read_concern=ReadConcern("snapshot"),
                                          write_concern=WriteConcern("majority", j=True))
                result = work(session)
                _commit(session)
                return result
            except DuplicateKeyError:
                _abort(session)
            except (OperationFailure, ConnectionFailure) as err:
                _abort(session)
                if not err.has_error_label("TransientTransactionError"):
                    raise
                # a server that cannot be reached is not a write conflict: each try
                # already waited out server selection, so give up after a second one
                if isinstance(err, ConnectionFailure) and attempt >= 1:
                    raise
            except BaseException:
                _abort(session)
                raise
        time.sleep(min(0.001 * (2 ** min(attempt, 6)), 0.05))
    raise RuntimeError(f"transaction still conflicting after {attempts} attempts")


COMMIT_ATTEMPTS = 3


def _commit(session) -> None:
    """Commit, retrying a commit whose outcome is unknown (retrying a commit is safe) a
    bounded number of times: with the server gone every attempt fails, and the caller must
    hear so instead of waiting forever."""
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            session.commit_transaction()
            return
        except (OperationFailure, ConnectionFailure) as err:
            if attempt + 1 == COMMIT_ATTEMPTS or not err.has_error_label("UnknownTransactionCommitResult"):
                raise


def _abort(session) -> None:
    if session.in_transaction:
        try:
            session.abort_transaction()
        except Exception:  # the server may already have dropped it
            pass


def read_log(events: Collection, query: dict, batch: int = READ_BATCH) -> Iterator[dict]:
    """The documents of a log matching ``query``, in ``_id`` (position) order, through one
    cursor whose batches a reader thread fetches while this one works (shared.readahead).

    One cursor: paging with $gt + limit re-reads the rest of the log for every page on
    servers that do not stop an index scan at the limit (SecantusDB answers any query but
    an ``_id`` point lookup by scanning the whole collection). The hint: without it
    SecantusDB sorts what it scanned in memory, a third slower. The reader hands over raw
    BSON and this thread decodes it: handing over decoded documents made every object
    cross between cores, costing the consumer more than the reading ahead saved."""
    cursor = events.find_raw_batches(query).sort("_id", ASCENDING).hint("_id_").batch_size(batch)
    for data in read_ahead(cursor, chunk=1):
        yield from decode_all(data, events.codec_options)


class MongoEventStore(EventStore):
    def __init__(self, service: str, client: MongoClient, database: str, *,
                 vault: KeyVault | None = None, **kwargs):
        super().__init__(service, **kwargs)
        self.client = client
        self.db = client[database]
        self.events = self.db["events"]
        self.meta = self.db["meta"]
        # idempotent commands: {_id: command key id, fingerprint, first, last position},
        # written by the transaction that appends the command's events
        self.commands = self.db["commands"]
        # personal data keys, one per person (shared.personal_data): apart from the log,
        # written by the transaction that appends what they seal
        self.vault = vault or KeyVault(self.db)
        self._queue: list[_Pending] = []
        # guards the queue and the leader flag; waiters sleep on it, not on a lock the
        # leader could take straight back (that kept batches at 1-2 commands)
        self._group = threading.Condition()
        self._leader_active = False
        self.committed = threading.Event()  # set after each commit: wakes the relay
        self.handoff = Handoff(codec_options=self.events.codec_options)  # for the relay
        # per (green) thread: did a transaction the caller commits itself append events?
        self._appended_in_session = threading.local()
        # what a first attempt may take as read (see the module's docstring): the head as
        # this process's last group commit left it, and per stream the version last seen.
        # Each is a lower bound of the truth: the log only grows.
        self._known_head: dict | None = None
        self._known_versions: dict[str, int] = {}
        self._attempt = threading.local()  # the group commit's attempt, for _write

    def ensure_indexes(self) -> None:
        self.events.create_index([("stream_id", ASCENDING), ("version", ASCENDING)], unique=True)
        self.events.create_index("event_id", unique=True)
        # "what is new since P" (the relay every poll, gap fills, the audit API): on
        # SecantusDB a range on _id scans the whole collection, a range on this index
        # only what lies past P (measured: 0.001 s against 0.4 s at 30k events)
        self.events.create_index("position", unique=True)
        self.events.create_index("correlation_id")
        self.events.create_index("payload.unit_id")

    # -- writing --------------------------------------------------------------------------
    def append_request(self, request: AppendRequest) -> list[dict]:
        pending = _Pending(request)
        with self._group:
            self._queue.append(pending)
        while True:
            with self._group:
                # followers wait while a leader commits; the leader's notify wakes them
                # either done or ready to lead the next batch with everything queued since
                while self._leader_active and not pending.done.is_set():
                    self._group.wait()
                if pending.done.is_set():
                    break
                self._leader_active = True
            # writers the last commit just released are about to queue again: let them,
            # so they ride this commit instead of waiting for the next one
            time.sleep(0)
            with self._group:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                self._commit_batch(batch)
            finally:
                for queued in batch:  # interrupted (e.g. the green thread was killed)
                    if not queued.done.is_set():
                        self._finish(queued, error=RuntimeError(
                            "the commit was interrupted; its outcome is unknown"))
                with self._group:
                    self._leader_active = False
                    self._group.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.result

    def append_all(self, requests: list[AppendRequest]) -> list[list[dict]]:
        """One transaction of its own (not the group commit's batch, where one bad request
        must not fail its neighbours): any refusal aborts it, nothing written."""
        pending = [_Pending(r) for r in requests]
        written: dict = {}

        def work(session):
            self._attempt.written = written
            try:
                outcome = self._write(session, pending)
            finally:
                self._attempt.written = None
            for _, error in outcome:
                if error is not None:
                    raise error
            return [envelopes for envelopes, _ in outcome]

        result = run_transaction(self.client, work)
        self._committed(written)
        return result

    def append_in_session(self, session, request: AppendRequest) -> list[dict]:
        """Append inside the caller's transaction (an inbox reaction commits its events
        together with its checkpoint move)."""
        [(envelopes, error)] = self._write(session, [_Pending(request)])
        if error is not None:
            raise error
        self._appended_in_session.pending = True
        return envelopes

    def wake_relay_if_appended(self) -> None:
        """After the caller committed its transaction: wake the relay only if that
        transaction appended events (most inbox deliveries only update read models, and
        each needless wake is a read of the log)."""
        if getattr(self._appended_in_session, "pending", False):
            self._appended_in_session.pending = False
            self.committed.set()

    def read_stream_in(self, session, stream_id: str) -> list[dict]:
        docs = self.events.find({"stream_id": stream_id}, session=session).sort("version", ASCENDING)
        return self._read(list(docs), raw=False, session=session)

    def _commit_batch(self, batch: list[_Pending]) -> None:
        attempts = [0]
        written: dict = {}

        def work(session):
            attempts[0] += 1
            # handed to _write beside its arguments (whose signature a fault hook wraps)
            self._attempt.first, self._attempt.written = attempts[0] == 1, written
            try:
                return self._write(session, batch)
            finally:
                self._attempt.first, self._attempt.written = False, None

        try:
            outcome = run_transaction(self.client, work)
        except Exception as err:
            if len(batch) == 1:
                self._finish(batch[0], error=err)
                return
            for pending in batch:  # one bad request must not fail its neighbours
                self._commit_batch([pending])
            return
        self._remember(written)
        for pending, (result, error) in zip(batch, outcome):
            self._finish(pending, result, error)
        self._committed(written)

    def _committed(self, written: dict) -> None:
        """After a commit of the store's own: hand what it wrote to the relay and wake it."""
        self.handoff.put(written.get("docs", []))
        self.committed.set()

    def _remember(self, written: dict) -> None:
        """After a commit: the head and stream versions it left are known."""
        if written.get("head") is not None:
            self._known_head = written["head"]
        if len(self._known_versions) > KNOWN_STREAMS_MAX:
            self._known_versions.clear()
        self._known_versions.update(written.get("versions", {}))

    @staticmethod
    def _finish(pending: _Pending, result=None, error=None) -> None:
        pending.result, pending.error = result, error
        pending.done.set()

    def _write(self, session, batch: list[_Pending]) -> list[tuple]:
        """Seal and insert the batch in ``session``'s transaction. A group commit's first
        attempt (``_attempt.first``) takes what is known as read (the module's docstring);
        ``_attempt.written`` gets the head and versions the transaction leaves, to be
        remembered once it committed."""
        first = getattr(self._attempt, "first", False)
        written = getattr(self._attempt, "written", None)
        known_head, self._known_head = self._known_head, None  # an attempt that fails reads
        head = known_head if first and known_head is not None else None
        if head is None:
            head = self.meta.find_one({"_id": HEAD_ID}, session=session) or empty_head()
        position, last_hash = head["position"], head["hash"]
        trusted = {}
        if first:  # a version the caller expects and was seen: the unique index checks it
            once = Counter(p.request.stream_id for p in batch)
            for p in batch:
                seen = self._known_versions.pop(p.request.stream_id, None)
                expected = p.request.expected_version
                # 0 needs no sighting: version 1 collides with any stream that exists
                if expected is not None and once[p.request.stream_id] == 1 and (expected == 0 or seen == expected):
                    trusted[p.request.stream_id] = expected
        else:
            for p in batch:
                self._known_versions.pop(p.request.stream_id, None)
        unknown = {p.request.stream_id for p in batch} - set(trusted)
        versions = {**trusted, **(self._stream_versions(unknown, session) if unknown else {})}
        # the first attempt looks up no key: a recorded one collides with its record
        recorded = {} if first else self._command_records([p.request.command_key for p in batch], session)
        keyring = self._keyring([p.request for p in batch], session)
        outcome, docs, commands, fresh = [], [], [], {}
        for pending in batch:
            req, key = pending.request, pending.request.command_key
            if key is not None and key.id in recorded:
                outcome.append(self._replay(recorded[key.id], key, session))
                continue
            if key is not None and key.id in fresh:  # the same command twice in one batch
                first_key, envelopes = fresh[key.id]
                same = first_key.fingerprint == key.fingerprint
                outcome.append((envelopes, None) if same else (None, CommandKeyReused(key.id)))
                continue
            current = versions[req.stream_id]
            if req.expected_version is not None and req.expected_version != current:
                # the key is checked before the version: a retry of a command that ran
                # answers what it appended (looked up here, the first attempt skipped it)
                found = self._command_records([key], session) if first and key is not None else {}
                if key is not None and key.id in found:
                    outcome.append(self._replay(found[key.id], key, session))
                    continue
                outcome.append((None, ConcurrencyError(req.stream_id, req.expected_version, current)))
                continue
            envelopes = seal(req, current, position, last_hash, keyring=keyring)
            versions[req.stream_id] = envelopes[-1]["version"]
            position, last_hash = envelopes[-1]["position"], envelopes[-1]["hash"]
            docs.extend(envelopes)
            outcome.append((envelopes, None))
            if key is not None:
                fresh[key.id] = (key, envelopes)
                commands.append(command_record(key, envelopes))
        if docs:
            # the events, the command records, the head's move and the own projections'
            # writes gathered into one round trip (shared.write_batch), sent before this
            # returns: a reaction appending twice in one transaction reads the head again
            with wb.gathering(self.client, session, trusting=first):
                wb.add_to(session, self.events,
                          [wb.insert(self.events, dict(d, _id=d["position"])) for d in docs])
                wb.add_to(session, self.commands, [wb.insert(self.commands, c) for c in commands])
                self._move_head(session, head, position, last_hash)
                self._write_keys(keyring, session)
                if self.on_append:
                    self.on_append(session, keyring.shown_to_caller(docs))
        if written is not None:  # this attempt's, replaced by a retry's: read once committed
            written["docs"] = docs
            written["head"] = {"position": position, "hash": last_hash}
            written["versions"] = {p.request.stream_id: versions[p.request.stream_id] for p in batch}
        return [(keyring.shown_to_caller(envs) if envs else None, err) for envs, err in outcome]

    def _keyring(self, requests: list[AppendRequest], session) -> personal_data.Keyring:
        """The keys of every person the batch holds personal data of (one lookup, none
        when it holds none), read inside the transaction's snapshot."""
        subjects = set()
        for request in requests:
            subjects |= personal_data.Keyring.subjects_of(request.events)
        return personal_data.Keyring(self.key_docs(subjects, session), utc_now_iso())

    def _write_keys(self, keyring: personal_data.Keyring, session) -> None:
        self.vault.write(keyring, session)

    def key_docs(self, subjects: set[str], session=None) -> dict[str, dict]:
        return self.vault.docs(subjects, session)

    def _command_records(self, keys: list, session) -> dict[str, dict]:
        ids = sorted({key.id for key in keys if key is not None})
        if not ids:
            return {}
        return {doc["_id"]: doc for doc in self.commands.find({"_id": {"$in": ids}}, session=session)}

    def _replay(self, record: dict, key: CommandKey, session) -> tuple:
        """(the recorded command's events, None), or (None, CommandKeyReused)."""
        try:
            check_fingerprint(record, key)
        except CommandKeyReused as err:
            return None, err
        return self._recorded_events(record, session), None

    def _recorded_events(self, record: dict, session=None) -> list[dict]:
        found = self.events.find({"position": {"$gte": record["first"], "$lte": record["last"]}},
                                 session=session).sort("position", ASCENDING)
        return self._read(list(found), raw=False, session=session)

    def recorded_command(self, key: CommandKey) -> list[dict] | None:
        record = self.commands.find_one({"_id": key.id})
        if record is None:
            return None
        check_fingerprint(record, key)
        return self._recorded_events(record)

    def _move_head(self, session, old: dict, position: int, last_hash: str) -> None:
        """The head's compare-and-set from the position this transaction read (or took as
        known): another writer's move makes it collide on the head's _id, a conflict the
        transaction retries (shared.write_batch.cas; a head not yet written is inserted)."""
        moved = {"$set": {"position": position, "hash": last_hash}}
        wb.add_to(session, self.meta, [wb.cas(self.meta, {"_id": HEAD_ID, "position": old["position"]}, moved)])

    def _stream_versions(self, stream_ids: set[str], session) -> dict[str, int]:
        """Every batched stream's version in one round trip (inside the transaction's
        snapshot, like the per-stream lookup it replaces)."""
        if len(stream_ids) == 1:
            [stream_id] = stream_ids
            return {stream_id: self._stream_version(stream_id, session)}
        found = self.events.aggregate([
            {"$match": {"stream_id": {"$in": sorted(stream_ids)}}},
            {"$group": {"_id": "$stream_id", "version": {"$max": "$version"}}},
        ], session=session)
        versions = dict.fromkeys(stream_ids, 0)
        versions.update({doc["_id"]: doc["version"] for doc in found})
        return versions

    def _stream_version(self, stream_id: str, session=None) -> int:
        last = self.events.find_one({"stream_id": stream_id}, {"version": 1},
                                    sort=[("version", DESCENDING)], session=session)
        return last["version"] if last else 0

    # -- reading --------------------------------------------------------------------------
    def stream_version(self, stream_id: str) -> int:
        return self._stream_version(stream_id)

    def _raw_stream(self, stream_id: str) -> list[dict]:
        docs = list(self.events.find({"stream_id": stream_id}).sort("version", ASCENDING))
        # the version the caller will expect when it appends what it decided from these
        if len(self._known_versions) > KNOWN_STREAMS_MAX:
            self._known_versions.clear()
        self._known_versions[stream_id] = docs[-1]["version"] if docs else 0
        return docs

    def _since_cursor(self, position: int):
        # on the position index (ensure_indexes), not _id: see there. No hint: SecantusDB
        # walks a hinted index from its start, an unhinted range from the bound.
        return self.events.find({"position": {"$gt": position}}).sort("position", ASCENDING)

    def committed_since(self, position: int, limit: int) -> list[dict]:
        # the stored documents, opened and upcast by the very code events_since uses
        return self._read(self.handoff.take(position, limit), raw=False)

    def _raw_since(self, position: int, limit: int | None) -> list[dict]:
        cursor = self._since_cursor(position)
        return list(cursor.limit(limit) if limit else cursor)

    def iter_all(self, batch: int = READ_BATCH, raw: bool = False):
        """Every document of the log, in position order, through one cursor (read_log).
        No filter: ``verify`` should see every stored document (and on SecantusDB a filter
        costs a match per document)."""
        chunk: list[dict] = []
        for doc in read_log(self.events, {}, batch):
            del doc["_id"]  # a fresh document: no copy needed to hide the _id
            if raw:
                yield doc
                continue
            chunk.append(doc)
            if len(chunk) >= REVEAL_CHUNK:
                yield from map(self.upcasters.upcast, self.reveal(chunk))
                chunk = []
        if chunk:
            yield from map(self.upcasters.upcast, self.reveal(chunk))

    def head(self) -> dict:
        doc = self.meta.find_one({"_id": HEAD_ID})
        return {"position": doc["position"], "hash": doc["hash"]} if doc else empty_head()
