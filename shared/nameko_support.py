"""Everything a domain service's nameko entrypoints stand on.

- ``ServiceStorage``: the service's database behind a DependencyProvider whose
  wrapper has methods named for what they do (execute a command, read a
  projection, answer the audit RPCs).
- ``OutboxRelay``: runs the relay loop beside the service.
- ``ClusterRpc``: RPC to a service named at call time (gap filling).
- ``DomainService``: the RPCs every service answers (events_since, head,
  verify, health, parked events) and the inbox's catch-up timer.
"""
from __future__ import annotations

import dataclasses

import eventlet
import functools
import logging
import os
import threading
from typing import Callable, Iterable

from marshmallow import ValidationError
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy, rpc
from nameko.timer import timer
from pymongo import MongoClient

from shared.config import settings
from shared.domain import SYSTEM, Actor, DomainError, NotFound
from shared.eventstore import AppendRequest, ConcurrencyError
from shared.eventstore.mongo import MongoEventStore
from shared.inbox import Inbox, NothingParked
from shared.projection import Projection
from shared.projection_store import MongoProjector
from shared.relay import Relay

log = logging.getLogger(__name__)
COMMAND_ATTEMPTS = 5

# A reaction turns another service's event into a command on this service:
# (ReactionContext, envelope) -> None
Reaction = Callable[["ReactionContext", dict], None]


@dataclasses.dataclass(frozen=True)
class Wiring:
    """What a service declares about itself: its projections and reactions."""

    service: str
    projections: tuple[Projection, ...] = ()
    # {source service: {event type: reaction}}
    reactions: dict = dataclasses.field(default_factory=dict)
    upcasters: object = None

    def sources(self) -> list[str]:
        found = {p.source for p in self.projections if p.source != self.service}
        return sorted(found | set(self.reactions))


class ReactionContext:
    """A reaction's view of the service's own log, inside the inbox transaction."""

    def __init__(self, storage: "Storage", session, cause: dict):
        self.storage, self.session, self.cause = storage, session, cause
        self.actor = {"id": f"system:{storage.service}", "name": f"{storage.service} service",
                      "role": "system", "scope": None}

    def load(self, stream_id: str) -> list[dict]:
        return self.storage.store.read_stream_in(self.session, stream_id)

    def get(self, collection: str, key: str):
        return self.storage.db[collection].find_one({"_id": key}, session=self.session)

    def append(self, stream_id: str, expected_version: int | None, events: Iterable) -> list[dict]:
        request = AppendRequest(stream_id, expected_version, list(events), self.actor,
                                correlation_id=self.cause["correlation_id"],
                                causation_id=self.cause["event_id"],
                                occurred_at=self.cause["occurred_at"])
        return self.storage.store.append_in_session(self.session, request)

    def execute(self, stream_id: str, decide, fold, command) -> list[dict]:
        """Fold the stream, decide the command, append what it decided."""
        history = self.load(stream_id)
        events = decide(fold(history), command)
        if not events:
            return []
        return self.append(stream_id, history[-1]["version"] if history else 0, events)


class Storage:
    """One service's database: event store, projections, inbox, relay."""

    def __init__(self, wiring: Wiring, mongo_uri: str, database: str):
        self.service = wiring.service
        self.wiring = wiring
        self.client = MongoClient(mongo_uri)
        self.db = self.client[database]
        self.own = MongoProjector(self.db, [p for p in wiring.projections if p.source == self.service])
        self.foreign = MongoProjector(self.db, [p for p in wiring.projections if p.source != self.service])
        self.store = MongoEventStore(self.service, self.client, database, upcasters=wiring.upcasters,
                                     on_append=self._project_own)
        self.inbox = Inbox(self.client, self.db,
                           {source: self._handler_for(source) for source in wiring.sources()},
                           retries=settings().inbox_retries, on_commit=self.store.wake_relay_if_appended)

    def ensure_ready(self) -> None:
        self.store.ensure_indexes()
        self.own.ensure_indexes()
        self.foreign.ensure_indexes()
        self.inbox.ensure_indexes()

    def _project_own(self, session, envelopes: list[dict]) -> None:
        self.own.apply(envelopes, self.service, session)

    def _handler_for(self, source: str):
        reactions = self.wiring.reactions.get(source, {})

        def handle(session, env: dict) -> None:
            self.foreign.apply([env], source, session)
            reaction = reactions.get(env["type"])
            if reaction is not None:
                reaction(ReactionContext(self, session, env), env)

        return handle

    def close(self) -> None:
        self.client.close()


class StorageAccess:
    """What a worker sees: methods named for what they do."""

    def __init__(self, storage: Storage):
        self._s = storage
        self.store = storage.store
        self.inbox = storage.inbox
        self.db = storage.db

    def execute(self, stream_id: str, decide, fold, command, *, actor: Actor | dict,
                correlation_id: str | None = None) -> list[dict]:
        """Load the stream, decide, append with the loaded version; on a concurrent
        write, reload and decide again (the rule is re-checked on fresh state)."""
        actor = actor.to_dict() if isinstance(actor, Actor) else actor
        for _ in range(COMMAND_ATTEMPTS):
            history = self.store.read_stream(stream_id)
            events = decide(fold(history), command)
            if not events:
                return []
            try:
                return self.store.append(stream_id, history[-1]["version"] if history else 0,
                                         events, actor=actor, correlation_id=correlation_id)
            except ConcurrencyError:
                continue
        raise ConcurrencyError(stream_id, -1, self.store.stream_version(stream_id))

    def load(self, stream_id: str) -> list[dict]:
        return self.store.read_stream(stream_id)

    def get(self, collection: str, key: str) -> dict | None:
        return self.db[collection].find_one({"_id": key})

    def find(self, collection: str, query: dict | None = None, sort=None, limit: int = 0) -> list[dict]:
        cursor = self.db[collection].find(query or {})
        if sort:
            cursor = cursor.sort(sort)
        return list(cursor.limit(limit))


class ServiceStorage(DependencyProvider):
    def __init__(self, wiring: Wiring):
        self.wiring = wiring
        self.storage: Storage | None = None

    def setup(self):
        cfg = settings()
        self.storage = Storage(self.wiring, cfg.mongo_uri, cfg.database_name(self.wiring.service))
        self.storage.ensure_ready()

    def stop(self):
        if self.storage:
            self.storage.close()

    def get_dependency(self, worker_ctx):
        return StorageAccess(self.storage)


class OutboxRelay(DependencyProvider):
    """Runs the relay beside the service; wakes on every local commit."""

    def __init__(self):
        self._stopping = threading.Event()
        self.relay = None

    def _storage(self) -> Storage:
        # the container's bound ServiceStorage (holding a reference to the unbound
        # provider would make nameko treat it as a sub-extension)
        return next(d for d in self.container.dependencies if isinstance(d, ServiceStorage)).storage

    def start(self):
        if os.environ.get("DUDAO_FAULT_RELAY_DISABLED") == "1":
            log.warning("relay disabled by DUDAO_FAULT_RELAY_DISABLED (tests only)")
            return
        storage = self._storage()
        self.relay = Relay(storage.store, self.container.config["AMQP_URI"])
        self.container.spawn_managed_thread(
            lambda: self.relay.run(self._stopping.is_set, storage.store.committed,
                                   settings().relay_poll_seconds))

    def stop(self):
        self._stopping.set()
        self._storage().store.committed.set()
        if self.relay is not None:
            try:
                self.relay.release_lease()
            except Exception:
                pass
            self.relay.close()

    def kill(self):
        self._stopping.set()

    def get_dependency(self, worker_ctx):
        return self.relay


class ClusterRpc(DependencyProvider):
    """``self.cluster["units"].events_since(0, 100)``: a target chosen at call time."""

    rpc_reply_listener = ReplyListener()

    def get_dependency(self, worker_ctx):
        listener = self.rpc_reply_listener

        class Targets:
            def __getitem__(self, service):
                return ServiceProxy(worker_ctx, service, listener)

        return Targets()


def command_rpc(fn):
    """Answer a command or query as data: {"ok": True, "result": …} or the refusal
    ({"ok": False, "status", "error", "message", "details"}) so the gateway can map it
    to HTTP without exceptions crossing the wire."""

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return {"ok": True, "result": fn(self, *args, **kwargs)}
        except ValidationError as err:
            return refusal(422, "invalid", "the request does not match the schema",
                           fields=err.messages)
        except DomainError as err:
            return refusal(err.status, err.code, err.message, **err.details)
        except ConcurrencyError as err:
            return refusal(409, "conflict", str(err))

    return wrapper


def refusal(status: int, code: str, message: str, /, **details) -> dict:
    return {"ok": False, "status": status, "error": code, "message": message, "details": details}


def actor_from(data: dict | None) -> Actor:
    if not data:
        return SYSTEM
    return Actor(id=data["id"], name=data["name"], role=data["role"], scope=data.get("scope"))


class DomainService:
    """Base of the four domain services: audit RPCs, health, parked events, catch-up."""

    name = "base"
    storage: StorageAccess
    cluster = ClusterRpc()

    def _fetch(self, source: str, after: int, limit: int) -> list[dict]:
        # a source that is down must not hang the consumer (or its shutdown)
        timeout = settings().rpc_timeout
        try:
            with eventlet.Timeout(timeout):
                return self.cluster[source].events_since(after, limit)
        except eventlet.Timeout:
            raise RuntimeError(f"{source} did not answer events_since within {timeout}s") from None

    def _receive(self, source: str, envelope: dict) -> str:
        return self.storage.inbox.receive(source, envelope, self._fetch)

    @rpc
    def events_since(self, position=0, limit=1000, raw=False):
        return self.storage.store.events_since(int(position), int(limit) or None, raw=raw)

    @rpc
    def head(self):
        return self.storage.store.head()

    @rpc
    def verify(self):
        return self.storage.store.verify()

    @rpc
    def health(self):
        self.storage.db.command("ping")
        return {"service": self.name, "ok": True,
                "head": self.storage.store.head(),
                "checkpoints": {d["_id"]: d["position"]
                                for d in self.storage.db["inbox_checkpoints"].find()},
                "parked": len(self.storage.inbox.parked_events())}

    @rpc
    def parked_events(self, status="open"):
        return self.storage.inbox.parked_events(status)

    @rpc
    @command_rpc
    def replay_parked(self, source, stream_id):
        try:
            return {"replayed": self.storage.inbox.replay(source, stream_id)}
        except NothingParked as err:
            raise NotFound(str(err))

    @timer(interval=settings().catch_up_seconds)
    def catch_up(self):
        for source in self.storage.inbox.handlers:
            try:
                self.storage.inbox.catch_up(source, self._fetch)
            except Exception as err:  # the source may be down; the next tick retries
                log.info("catch-up from %s deferred: %s", source, err)
