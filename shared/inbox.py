"""The inbox: exactly-once application of another service's events.

Per source service the consumer keeps the last applied position. Applying an
event and moving that checkpoint happen in one transaction, and the move is a
compare-and-set from ``position - 1``, so two instances never both apply a
position and a crash never half-applies one. Duplicates (position <= checkpoint)
are dropped; gaps are filled from the source's ``events_since`` RPC first.

The checkpoint also keeps the hash of the last applied event, and an event is applied
only if its ``prev_hash`` continues it: an event of another log (a second stack sharing
the broker, a source whose database was swapped) is refused rather than mixed into this
consumer's read models.

Deliveries that queue up behind the lock are applied together: the delivery holding it
takes the run of consecutive positions waiting after the checkpoint and applies them in one
transaction (one checkpoint move, one commit), the way the event store group-commits
appends. A run that does not apply cleanly falls back to one event at a time.

An event the handler cannot apply is retried, then parked with its error; the
checkpoint moves past it so other streams keep flowing, while later events of
the same stream are held behind it (parked as "held") to keep stream order.
``replay`` applies a stream's parked events once, after the fix. The checkpoint document
lists the streams so blocked (``blocked``, written in the transaction that parks and the
one that replays), so the compare-and-set that moves it answers, in the same round trip,
which of a run's events must be held.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import defaultdict
from typing import Callable

from shared import personal_data
from shared import write_batch as wb
from shared.clock import utc_now_iso
from shared.envelope import GENESIS_HASH
from shared.eventstore.mongo import run_transaction
from shared.key_vault import KeyVault

log = logging.getLogger(__name__)

MAX_RUN = 32  # events applied in one transaction at most (a longer one conflicts more)

Handler = Callable[[object, dict], None]  # (session, envelope) -> None
Fetch = Callable[[str, int, int], list]  # (source, after_position, limit) -> envelopes


class AlreadyApplied(Exception):
    """Another instance (or an earlier delivery) moved the checkpoint first."""


class NothingParked(LookupError):
    pass


class NotOurSource(Exception):
    """The event's prev_hash does not continue the source chain this inbox has followed."""


class Forked(Exception):
    """The source's log and what this consumer applied disagree at a position: the source
    rewrote its history (a database restored or crashed behind what it had published) or
    another log is being fed in. The source is stopped here until an operator recovers it
    (deploy/README.md, "A fork")."""


def kept_checkpoints(db) -> list[dict]:
    """Per source, the position applied up to and the hash of the event there (None for a
    checkpoint kept before hashes were): what ``dudao audit verify`` holds against the
    source's log (shared.audit.checkpoints)."""
    return [{"source": doc["_id"], "position": doc["position"], "hash": doc.get("hash")}
            for doc in db["inbox_checkpoints"].find().sort("_id", 1)]


class _Delivery:
    """One delivered event waiting for its source's lock; ``outcome`` is set by whichever
    delivery applied it."""
    __slots__ = ("envelope", "outcome")

    def __init__(self, envelope: dict):
        self.envelope, self.outcome = envelope, None


class Inbox:
    def __init__(self, client, db, handlers: dict[str, Handler], *, retries: int = 3,
                 on_commit: Callable[[], None] | None = None, retry_delay: float = 0.05,
                 vault: KeyVault | None = None):
        self.client = client
        self.checkpoints = db["inbox_checkpoints"]
        self.parked = db["parked_events"]
        self.vault = vault or KeyVault(db)  # parked events hold personal data sealed
        self.forks = db["inbox_forks"]
        self._stopped: set[str] = set()  # sources stopped by a fork
        self.handlers = handlers
        self.retries = retries
        self.retry_delay = retry_delay
        self.on_commit = on_commit or (lambda: None)
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._waiting: dict[str, dict[int, _Delivery]] = defaultdict(dict)  # by position
        # per source, a position the checkpoint has reached for sure: last read from the
        # database or last moved there by this instance's own commit. Never ahead of the
        # stored checkpoint (which only moves forward), so what it calls a duplicate is one;
        # when another instance moved it further, the compare-and-set in _advance refuses
        # and the delivery is judged again on a fresh read. It spares a delivery its read of
        # the checkpoint (issue 18); the catch-up timer reads the stored one every tick.
        self._known: dict[str, int] = {}
        # per source, the checkpoint's list of blocked streams as last read or left by this
        # instance's own commit: when known to be empty, a run's compare-and-set is gathered
        # with its projection writes (one round trip, shared.write_batch) and checks that the
        # list is still empty instead of returning it
        self._known_blocked: dict[str, list] = {}
        # per source, whether a delivery applied something since the last catch-up tick
        self._delivered: set[str] = set()

    def ensure_indexes(self) -> None:
        self.parked.create_index([("source", 1), ("stream_id", 1), ("status", 1)])
        self._stopped = {doc["_id"] for doc in self.forks.find({}, {"_id": 1})}
        for source in self.handlers:
            self.checkpoints.update_one({"_id": source},
                                        {"$setOnInsert": {"position": 0, "hash": GENESIS_HASH}},
                                        upsert=True)
            # a checkpoint kept before it listed its blocked streams: listed from parked_events
            self.checkpoints.update_one({"_id": source, "blocked": {"$exists": False}},
                                        {"$set": {"blocked": self._blocked_from_parked(source)}})

    def _list_blocked(self, session, source: str) -> None:
        """The checkpoint's list of blocked streams, anew from parked_events (a park or a
        replay, both rare, pays these two round trips; every run is spared one)."""
        self.checkpoints.update_one({"_id": source},
                                    {"$set": {"blocked": self._blocked_from_parked(source, session)}},
                                    session=session)

    def _blocked_from_parked(self, source: str, session=None) -> list[dict]:
        first: dict[str, int] = {}
        for doc in self.parked.find({"source": source, "status": {"$in": ["parked", "held"]}},
                                    {"stream_id": 1, "position": 1}, session=session):
            first[doc["stream_id"]] = min(doc["position"], first.get(doc["stream_id"], doc["position"]))
        return [{"stream": stream, "position": position} for stream, position in sorted(first.items())]

    def checkpoint(self, source: str) -> int:
        doc = self.checkpoints.find_one({"_id": source})
        position = doc["position"] if doc else 0
        self._known[source] = position
        if doc is not None and doc.get("blocked") is not None:
            self._known_blocked[source] = doc["blocked"]
        else:
            self._known_blocked.pop(source, None)
        return position

    def _known_checkpoint(self, source: str) -> int:
        known = self._known.get(source)
        return self.checkpoint(source) if known is None else known

    def _moved(self, source: str, position: int) -> None:
        """This instance's commit moved the checkpoint to ``position``."""
        self._known[source] = max(position, self._known.get(source, 0))

    def _forget(self, source: str) -> None:
        """The checkpoint moved elsewhere (another instance): read it next time."""
        self._known.pop(source, None)
        self._known_blocked.pop(source, None)

    def kept_checkpoints(self) -> list[dict]:
        return kept_checkpoints(self.checkpoints.database)

    # -- forks: an alarm, never a silent stall --------------------------------------------
    def fork_alarms(self) -> list[dict]:
        """Every source stopped by a fork: position, the hash applied here, the source's."""
        return [{k: v for k, v in doc.items() if k != "_id"} for doc in self.forks.find()]

    def _forked(self, source: str) -> bool:
        # kept in memory (loaded by ensure_indexes, added to when this instance finds one):
        # a delivery costs no extra read, and never waits on one before it queues
        return source in self._stopped

    def _raise_fork(self, source: str, position: int, applied: str | None, theirs: str | None) -> None:
        alarm = {"source": source, "position": position, "applied_hash": applied,
                 "source_hash": theirs, "detected_at": utc_now_iso(),
                 "message": f"{source} #{position} was applied here with hash {applied}; the {source} "
                            f"log now holds {theirs or 'no event'} there"}
        self.forks.update_one({"_id": source}, {"$setOnInsert": alarm}, upsert=True)
        self._stopped.add(source)
        log.error("FORK: %s #%s applied here with hash %s, the source now has %s; %s stopped",
                  source, position, str(applied)[:12], str(theirs)[:12], source)

    def _compare_with_source(self, source: str, current: int, fetch: Fetch) -> None:
        if current == 0:
            return
        theirs = fetch(source, current - 1, 1)
        if not theirs or theirs[0]["position"] != current:
            doc = self.checkpoints.find_one({"_id": source}) or {}
            self._raise_fork(source, current, doc.get("hash"), None)
            return
        self._check_same_event(source, theirs[0])

    def _check_same_event(self, source: str, env: dict) -> None:
        """A delivery at the checkpoint's own position must be the event applied there."""
        doc = self.checkpoints.find_one({"_id": source}) or {}
        if doc.get("position") == env["position"] and doc.get("hash") not in (None, env["hash"]):
            self._raise_fork(source, env["position"], doc.get("hash"), env["hash"])

    # -- receiving -----------------------------------------------------------------------
    # The per-source lock keeps one instance's deliveries in order. It is never held
    # across ``fetch``: that is an RPC to the source, whose own workers may at that moment
    # be waiting on its inbox for events from us. Holding the lock through it tied the
    # two worker pools into a cycle that only the RPC timeout broke, and meanwhile every
    # worker of this service sat on the lock, so its own RPCs went unanswered.
    def receive(self, source: str, envelope: dict, fetch: Fetch) -> str:
        """Apply one delivered event in order; returns what happened to it."""
        outcome = self._receive(source, envelope, fetch)
        if outcome == "applied":
            self._delivered.add(source)
        return outcome

    def _receive(self, source: str, envelope: dict, fetch: Fetch) -> str:
        position = envelope["position"]
        if self._forked(source):
            return "forked"
        mine, waiting = _Delivery(envelope), self._waiting[source]
        waiting.setdefault(position, mine)
        try:
            with self._locks[source]:
                if mine.outcome is not None:  # applied in the run of the one before us
                    return mine.outcome
                current = self._known_checkpoint(source)
                if position <= current:
                    if position == current:  # only there does the checkpoint keep a hash to compare
                        self._check_same_event(source, envelope)
                    return "forked" if self._forked(source) else "duplicate"
                if position == current + 1:
                    # the next one: it and whatever waits right after it. No second
                    # checkpoint read (the CAS in _advance still refuses the run if another
                    # instance got there first)
                    return self._apply_waiting(source, self._run_from(waiting, mine))
            missing = self._missing(source, current, position - 1, fetch)
            with self._locks[source]:
                if mine.outcome is not None:
                    return mine.outcome
                outcomes = self._apply_envelopes(source, [*missing, envelope])
                if "refused" in outcomes[:-1]:
                    raise RuntimeError(f"{source} #{missing[outcomes.index('refused')]['position']} "
                                       f"does not continue the {source} log this consumer "
                                       f"follows; refused")
                return outcomes[-1]
        finally:
            if waiting.get(position) is mine:
                del waiting[position]

    def catch_up(self, source: str, fetch: Fetch, page: int = 500, *, quiet_only: bool = False) -> int:
        """Pull whatever the broker has not brought (lost messages, a late start).

        ``quiet_only`` (the timer): skip a source whose deliveries applied something since
        the last tick. While deliveries flow, a lost one is a gap that the next delivery
        fills from the source; only a source gone quiet can leave one unfilled, and the
        next tick, with nothing delivered meanwhile, pulls it."""
        if quiet_only and source in self._delivered:
            self._delivered.discard(source)
            return 0
        applied = 0
        while True:
            if self._forked(source):
                return applied
            current = self.checkpoint(source)
            batch = fetch(source, current, page)
            with self._locks[source]:
                outcomes = self._apply_envelopes(source, batch)
            applied += outcomes.count("applied")
            if outcomes[:1] == ["refused"]:
                # the source's next event does not continue what was applied here: does the
                # source still hold, at our checkpoint, the event we applied?
                self._compare_with_source(source, current, fetch)
                return applied
            if len(batch) < page:
                return applied

    @staticmethod
    def _run_from(waiting: dict[int, _Delivery], first: _Delivery) -> list[_Delivery]:
        run, position = [first], first.envelope["position"] + 1
        while len(run) < MAX_RUN and position in waiting and waiting[position].outcome is None:
            run.append(waiting[position])
            position += 1
        return run

    def _apply_waiting(self, source: str, run: list[_Delivery]) -> str:
        together = self._together(source, [d.envelope for d in run])
        if together is None:
            # alone, or the run did not go through: only ours, the usual way. The others
            # apply themselves when they get the lock (one of them may be another log's,
            # and what follows it must then go through the gap fill, not be judged here)
            run, together = run[:1], [self._apply_in_order(source, run[0].envelope, checked=True)]
        for delivery, outcome in zip(run, together):
            delivery.outcome = outcome
        return together[0]

    def _apply_envelopes(self, source: str, envs: list[dict]) -> list[str]:
        """Fetched events (a gap, a catch-up page), in runs of up to MAX_RUN."""
        outcomes: list[str] = []
        for at in range(0, len(envs), MAX_RUN):
            run = envs[at:at + MAX_RUN]
            together = self._together(source, run)
            outcomes += together if together is not None else [
                self._apply_in_order(source, env) for env in run]
        return outcomes

    def _together(self, source: str, envs: list[dict]) -> list[str] | None:
        """Consecutive events of one source in one transaction; None for a single event
        (nothing to share) or if they did not all apply cleanly: the caller then goes one
        at a time, with retries, parking, refusal and duplicates decided as ever."""
        if len(envs) < 2:
            return None
        try:
            outcomes = run_transaction(self.client, self._trusting_once(source, envs))
        except Exception as err:  # noqa: BLE001 - every case is decided again one at a time
            log.info("applying %s #%s-#%s together did not go through (%s); one at a time",
                     source, envs[0]["position"], envs[-1]["position"], err)
            self._forget(source)
            return None
        self._moved(source, envs[-1]["position"])
        self.on_commit()
        return outcomes

    @staticmethod
    def _missing(source: str, current: int, upto: int, fetch: Fetch) -> list[dict]:
        """The source's events after ``current`` up to ``upto``, fetched page by page."""
        found: list[dict] = []
        while current < upto:
            batch = [env for env in fetch(source, current, min(500, upto - current))
                     if env["position"] <= upto]
            if not batch:
                raise RuntimeError(f"{source} has no events after {current} yet; "
                                   f"will retry the delivery")
            found.extend(batch)
            current = batch[-1]["position"]
        return found

    def _apply_in_order(self, source: str, env: dict, checked: bool = False) -> str:
        if not checked and env["position"] <= self.checkpoint(source):
            return "duplicate"
        error = None
        for attempt in range(self.retries):
            try:
                [outcome] = run_transaction(self.client, self._trusting_once(source, [env]))
                self._moved(source, env["position"])
                self.on_commit()
                return outcome
            except AlreadyApplied:
                self._forget(source)
                return "duplicate"
            except NotOurSource as err:
                log.error("refused %s #%s: %s", source, env["position"], err)
                return "refused"
            except Exception as err:  # the handler could not apply it
                error = err
                log.warning("applying %s #%s failed (attempt %d): %s", source, env["position"],
                            attempt + 1, err)
                time.sleep(self.retry_delay * (attempt + 1))
        return self._park(source, env, error)

    def _trusting_once(self, source: str, envs: list[dict]):
        """The transaction's work: its first attempt may trust what this instance knows of
        the checkpoint (``_apply_many``); a retry (a conflict, a collision) reads it."""
        attempts = [0]

        def work(session):
            attempts[0] += 1
            return self._apply_many(session, source, envs, trust=attempts[0] == 1)
        return work

    def _apply_many(self, session, source: str, envs: list[dict], trust: bool = False) -> list[str]:
        for before, env in zip(envs, envs[1:]):
            if env["position"] != before["position"] + 1 or env["prev_hash"] != before["hash"]:
                raise NotOurSource(f"{source} #{env['position']} does not continue "
                                   f"#{before['position']} in the run")
        with wb.gathering(self.client, session, trusting=trust):
            return self._apply_gathered(session, source, envs, trust)

    def _apply_gathered(self, session, source: str, envs: list[dict], trust: bool) -> list[str]:
        """The run's checkpoint move and projection writes in one batch (sent at the end,
        or before a reaction that must see them)."""
        if trust and self._known_blocked.get(source) == [] and \
                self._known.get(source) == envs[0]["position"] - 1:
            before = self._advance_gathered(session, source, envs[0], envs[-1])
        else:
            before = self._advance(session, source, envs[0], envs[-1])
            self._known_blocked[source] = before.get("blocked")
        blockers = self._parked_positions(session, source, {env["stream_id"] for env in envs}, before)
        outcomes, applying = [], []
        for env in envs:
            blocker = blockers.get(env["stream_id"])
            if blocker is not None:
                self._insert_parked(session, source, env, "held",
                                    f"held behind parked position {blocker} of the same stream")
                outcomes.append("held")
            else:
                applying.append(env)
                outcomes.append("applied")
        self._handle(session, source, applying)
        return outcomes

    def _handle(self, session, source: str, envs: list[dict]) -> None:
        """The handler over the run's events in order: at once when it takes a run
        (``handler.run``: its writes gathered), else one by one."""
        handler = self.handlers[source]
        run = getattr(handler, "run", None)
        if run is not None:  # it flushes the batch itself before what must see its writes
            if envs:
                run(session, envs)
            return
        for env in envs:
            wb.flush(session)  # a plain handler may read what the one before it wrote
            handler(session, env)

    def _advance_gathered(self, session, source: str, env: dict, last: dict) -> dict:
        """``_advance`` gathered into the run's batch, from a checkpoint known to list no
        blocked stream: the compare-and-set also checks that the list is still empty, and a
        checkpoint that moved or changed makes the batch collide (shared.write_batch.cas),
        so the transaction's retry reads it (``_advance``)."""
        cas = wb.cas(self.checkpoints,
                     {"_id": source, "position": env["position"] - 1, "hash": env["prev_hash"],
                      "blocked": {"$size": 0}},
                     {"$set": {"position": last["position"], "hash": last["hash"]}})
        wb.add_to(session, self.checkpoints, [cas])
        return {"blocked": []}

    def _advance(self, session, source: str, env: dict, last: dict | None = None) -> dict:
        """Compare-and-set from the position before ``env`` and its hash, to ``last`` (or
        ``env``); the checkpoint document as it was (its ``blocked`` streams). Checkpoints
        written before hashes were kept accept the next event and start keeping them."""
        position, last = env["position"], last or env
        before = self.checkpoints.find_one_and_update(
            {"_id": source, "position": position - 1,
             "$or": [{"hash": env["prev_hash"]}, {"hash": {"$exists": False}}]},
            {"$set": {"position": last["position"], "hash": last["hash"]}},
            projection={"blocked": 1}, session=session)
        if before is not None:
            return before
        at = self.checkpoints.find_one({"_id": source}, session=session)
        if at is not None and at["position"] == position - 1:
            raise NotOurSource(f"its prev_hash {env['prev_hash'][:12]}… is not the hash "
                               f"{str(at.get('hash'))[:12]}… of {source} #{position - 1} "
                               f"as applied here")
        raise AlreadyApplied(position)

    # -- parking -------------------------------------------------------------------------
    def _park(self, source: str, env: dict, error: Exception) -> str:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()

        def work(session):
            self._advance(session, source, env)
            self._insert_parked(session, source, env, "parked", detail)
            self._list_blocked(session, source)

        try:
            run_transaction(self.client, work)
        except AlreadyApplied:
            self._forget(source)
            return "duplicate"
        self._moved(source, env["position"])
        self._known_blocked.pop(source, None)  # it lists this stream now
        log.error("parked %s #%s: %s", source, env["position"], detail)
        return "parked"

    def _parked_positions(self, session, source: str, stream_ids: set[str],
                          checkpoint: dict) -> dict[str, int]:
        """Per stream, the first position still parked or held (later events wait behind it):
        from the checkpoint document's list, or parked_events when it keeps none."""
        blocked = checkpoint.get("blocked")
        if blocked is None:
            blocked = self._blocked_from_parked(source, session)
        first: dict[str, int] = {}
        for entry in blocked:
            if entry["stream"] in stream_ids:
                first[entry["stream"]] = min(entry["position"], first.get(entry["stream"], entry["position"]))
        return first

    def _insert_parked(self, session, source, env, status, error) -> None:
        # the envelope's personal data sealed at rest as the projections keep it
        # (shared.personal_data): a parked event outlives its subject's erasure
        stored = self.vault.sealed(personal_data.marked(env, source), session)
        self.parked.insert_one({"_id": f"{source}:{env['position']}", "source": source,
                                "position": env["position"], "stream_id": env["stream_id"],
                                "type": env["type"], "status": status, "error": error,
                                "envelope": stored, "parked_at": utc_now_iso()}, session=session)

    def parked_events(self, status: str | None = "open") -> list[dict]:
        query = {} if status is None else (
            {"status": {"$in": ["parked", "held"]}} if status == "open" else {"status": status})
        return [{k: v for k, v in d.items() if k != "envelope"} | {"event_id": d["envelope"]["event_id"]}
                for d in self.parked.find(query).sort([("source", 1), ("position", 1)])]

    def replay(self, source: str, stream_id: str) -> list[int]:
        """Apply a stream's parked and held events once, in position order, all or nothing."""
        with self._locks[source]:
            def work(session):
                docs = list(self.parked.find({"source": source, "stream_id": stream_id,
                                              "status": {"$in": ["parked", "held"]}},
                                             sort=[("position", 1)], session=session))
                if not docs:
                    raise NothingParked(f"nothing parked for {source} stream {stream_id}")
                for doc in docs:
                    self.handlers[source](session, self.vault.open_one(doc["envelope"], session))
                    self.parked.update_one({"_id": doc["_id"]},
                                           {"$set": {"status": "replayed",
                                                     "replayed_at": utc_now_iso()}},
                                           session=session)
                self._list_blocked(session, source)  # the stream flows again
                return [d["position"] for d in docs]

            positions = run_transaction(self.client, work)
            self._known_blocked.pop(source, None)  # the stream left the list
            self.on_commit()
            return positions
