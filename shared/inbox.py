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

An event the handler cannot apply is retried, then parked with its error; the
checkpoint moves past it so other streams keep flowing, while later events of
the same stream are held behind it (parked as "held") to keep stream order.
``replay`` applies a stream's parked events once, after the fix.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import defaultdict
from typing import Callable

from shared.envelope import GENESIS_HASH
from shared.eventstore.mongo import run_transaction
from shared.projection import utc_now_iso

log = logging.getLogger(__name__)

Handler = Callable[[object, dict], None]  # (session, envelope) -> None
Fetch = Callable[[str, int, int], list]  # (source, after_position, limit) -> envelopes


class AlreadyApplied(Exception):
    """Another instance (or an earlier delivery) moved the checkpoint first."""


class NothingParked(LookupError):
    pass


class NotOurSource(Exception):
    """The event's prev_hash does not continue the source chain this inbox has followed."""


class Inbox:
    def __init__(self, client, db, handlers: dict[str, Handler], *, retries: int = 3,
                 on_commit: Callable[[], None] | None = None, retry_delay: float = 0.05):
        self.client = client
        self.checkpoints = db["inbox_checkpoints"]
        self.parked = db["parked_events"]
        self.handlers = handlers
        self.retries = retries
        self.retry_delay = retry_delay
        self.on_commit = on_commit or (lambda: None)
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)

    def ensure_indexes(self) -> None:
        self.parked.create_index([("source", 1), ("stream_id", 1), ("status", 1)])
        for source in self.handlers:
            self.checkpoints.update_one({"_id": source},
                                        {"$setOnInsert": {"position": 0, "hash": GENESIS_HASH}},
                                        upsert=True)

    def checkpoint(self, source: str) -> int:
        doc = self.checkpoints.find_one({"_id": source})
        return doc["position"] if doc else 0

    # -- receiving -----------------------------------------------------------------------
    # The per-source lock keeps one instance's deliveries in order. It is never held
    # across ``fetch``: that is an RPC to the source, whose own workers may at that moment
    # be waiting on its inbox for events from us. Holding the lock through it tied the
    # two worker pools into a cycle that only the RPC timeout broke, and meanwhile every
    # worker of this service sat on the lock, so its own RPCs went unanswered.
    def receive(self, source: str, envelope: dict, fetch: Fetch) -> str:
        """Apply one delivered event in order; returns what happened to it."""
        position = envelope["position"]
        with self._locks[source]:
            current = self.checkpoint(source)
            if position <= current:
                return "duplicate"
            if position == current + 1:
                # the next one: no second checkpoint read (the CAS in _advance still
                # refuses it if another instance got there first)
                return self._apply_in_order(source, envelope, checked=True)
        missing = self._missing(source, current, position - 1, fetch)
        with self._locks[source]:
            for env in missing:
                if self._apply_in_order(source, env) == "refused":
                    raise RuntimeError(f"{source} #{env['position']} does not continue the "
                                       f"{source} log this consumer follows; refused")
            return self._apply_in_order(source, envelope)

    def catch_up(self, source: str, fetch: Fetch, page: int = 500) -> int:
        """Pull whatever the broker has not brought (lost messages, a late start)."""
        applied = 0
        while True:
            batch = fetch(source, self.checkpoint(source), page)
            with self._locks[source]:
                for env in batch:
                    if self._apply_in_order(source, env) == "applied":
                        applied += 1
            if len(batch) < page:
                return applied

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
                outcome = run_transaction(self.client, lambda s: self._apply(s, source, env))
                self.on_commit()
                return outcome
            except AlreadyApplied:
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

    def _apply(self, session, source: str, env: dict) -> str:
        self._advance(session, source, env)
        blocker = self._parked_before(session, source, env["stream_id"])
        if blocker is not None:
            self._insert_parked(session, source, env, "held",
                                f"held behind parked position {blocker['position']} of the same stream")
            return "held"
        self.handlers[source](session, env)
        return "applied"

    def _advance(self, session, source: str, env: dict) -> None:
        """Compare-and-set from the previous position and its hash (checkpoints written
        before hashes were kept accept the next event and start keeping them)."""
        position = env["position"]
        moved = self.checkpoints.update_one(
            {"_id": source, "position": position - 1,
             "$or": [{"hash": env["prev_hash"]}, {"hash": {"$exists": False}}]},
            {"$set": {"position": position, "hash": env["hash"]}}, session=session)
        if moved.modified_count == 1:
            return
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

        try:
            run_transaction(self.client, work)
        except AlreadyApplied:
            return "duplicate"
        log.error("parked %s #%s: %s", source, env["position"], detail)
        return "parked"

    def _parked_before(self, session, source: str, stream_id: str):
        return self.parked.find_one({"source": source, "stream_id": stream_id,
                                     "status": {"$in": ["parked", "held"]}},
                                    sort=[("position", 1)], session=session)

    def _insert_parked(self, session, source, env, status, error) -> None:
        self.parked.insert_one({"_id": f"{source}:{env['position']}", "source": source,
                                "position": env["position"], "stream_id": env["stream_id"],
                                "type": env["type"], "status": status, "error": error,
                                "envelope": env, "parked_at": utc_now_iso()}, session=session)

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
                    self.handlers[source](session, doc["envelope"])
                    self.parked.update_one({"_id": doc["_id"]},
                                           {"$set": {"status": "replayed",
                                                     "replayed_at": utc_now_iso()}},
                                           session=session)
                return [d["position"] for d in docs]

            positions = run_transaction(self.client, work)
            self.on_commit()
            return positions
