"""A service's database behind a nameko DependencyProvider: the event store, its own
and foreign projections, the inbox. The worker sees ``StorageAccess``, whose methods
are named for what they do."""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

from nameko.extensions import DependencyProvider
from pymongo import MongoClient

from shared import personal_data
from shared import write_batch as wb
from shared.config import settings
from shared.domain import Actor, DomainError
from shared.eventstore import AppendRequest, CommandKey, ConcurrencyError
from shared.eventstore.mongo import MongoEventStore
from shared.inbox import Inbox
from shared.key_vault import KeyVault
from shared.opcount import purpose
from shared.projection import Projection
from shared.projection_store import MongoProjector
from shared.service_kit.sessions import SessionLedger

COMMAND_ATTEMPTS = 5

# A reaction turns another service's event into a command on this service:
# (ReactionContext, envelope) -> None. It may also take a run of consecutive events of its
# type at once, as ``reaction.run`` (ReactionContext, [envelope, ...]) -> None: called before
# the run's projection writes (the read models as they stood before its first event), it
# decides each event as the one-at-a-time reaction would have, each with its own cause
# (``ReactionContext.caused_by``)
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

    def caused_by(self, env: dict) -> "ReactionContext":
        """The same transaction, appending on behalf of another event (of a run)."""
        return ReactionContext(self.storage, self.session, env)

    def load(self, stream_id: str) -> list[dict]:
        return self.storage.store.read_stream_in(self.session, stream_id)

    def get(self, collection: str, key: str):
        """A read model's document, its personal data opened (shared.personal_data)."""
        found = self.storage.db[collection].find_one({"_id": key}, session=self.session)
        return self.storage.vault.open_one(found, self.session)

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

    def __init__(self, wiring: Wiring, mongo_uri: str, database: str, mongo_options: dict | None = None):
        self.service = wiring.service
        self.wiring = wiring
        self.client = MongoClient(mongo_uri, **(mongo_options or {}))
        self.db = self.client[database]
        # one vault for the database: the keys an erasure destroys leave the reads' cache
        self.vault = KeyVault(self.db)  # read models store personal data sealed
        self.sessions = SessionLedger(self.client, self.db)  # before any transaction
        self.own = MongoProjector(self.db, [p for p in wiring.projections if p.source == self.service],
                                  vault=self.vault)
        self.foreign = MongoProjector(self.db, [p for p in wiring.projections if p.source != self.service],
                                      vault=self.vault)
        self.store = MongoEventStore(self.service, self.client, database, upcasters=wiring.upcasters,
                                     on_append=self._project_own, vault=self.vault)
        self.inbox = Inbox(self.client, self.db,
                           {source: self._handler_for(source) for source in wiring.sources()},
                           retries=settings().inbox_retries, on_commit=self.store.wake_relay_if_appended,
                           vault=self.vault)

    def ensure_ready(self) -> None:
        self.sessions.end_predecessors()  # a process killed mid-transaction holds locks
        self.store.ensure_indexes()
        self.own.ensure_indexes()
        self.foreign.ensure_indexes()
        self.inbox.ensure_indexes()

    def _project_own(self, session, envelopes: list[dict]) -> None:
        with purpose("own projections"):
            self.own.apply(envelopes, self.service, session)

    def _handler_for(self, source: str):
        reactions = self.wiring.reactions.get(source, {})

        def handle(session, env: dict) -> None:
            handle_run(session, [env])

        def project(session, envs: list[dict]) -> None:
            if envs:
                with purpose("projection writes"):
                    self.foreign.apply(envs, source, session)

        def handle_run(session, envs: list[dict]) -> None:
            # a run of the inbox: its projection writes gathered (one read per collection,
            # the writes in the inbox's batch, shared.write_batch), flushed before each
            # reaction so that it sees what came before it.
            # A reaction that takes a run (``reaction.run``) is handed the consecutive events
            # of its type at once, before their projection writes: it sees the read models as
            # they stood before the first of them and folds the run itself (a roster import's
            # thousands of MemberEnrolled: one reaction per inbox run, not one per member)
            pending: list[dict] = []
            at = 0
            while at < len(envs):
                env = envs[at]
                reaction = reactions.get(env["type"])
                if reaction is None:
                    pending.append(env)
                    at += 1
                    continue
                run = getattr(reaction, "run", None)
                if run is None:
                    pending.append(env)
                    project(session, pending)
                    pending = []
                    wb.flush(session)  # the reaction reads and appends: it sees the writes
                    with purpose("reaction"):
                        reaction(ReactionContext(self, session, env), env)
                    at += 1
                    continue
                end = at + 1
                while end < len(envs) and envs[end]["type"] == env["type"]:
                    end += 1
                project(session, pending)
                wb.flush(session)
                with purpose("reaction"):
                    run(ReactionContext(self, session, env), envs[at:end])
                pending, at = envs[at:end], end
            project(session, pending)

        handle.run = handle_run
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
        self.request = None  # the worker's idempotent request (shared.edge), if it has one
        self._commands_run = 0

    def bind_request(self, request) -> None:
        """The entrypoint hands over the request's idempotency (None without a key)."""
        self.request, self._commands_run = request, 0

    def execute(self, stream_id: str, decide, fold, command, *, actor: Actor | dict,
                correlation_id: str | None = None, fresh: bool = False) -> list[dict]:
        """Load the stream, decide, append with the loaded version; on a concurrent
        write, reload and decide again (the rule is re-checked on fresh state).

        A command of an idempotent request that already ran answers the events it
        appended then: the store finds its key when appending, and a decision the first
        run made impossible (a unit registered twice) is looked up before refusing.

        ``fresh``: the stream is named by an id this request minted, so it is taken as empty
        without reading it (issue 18: a round trip). The append expects version 0, which the
        store checks against any stream that does exist (a retried request's, whose minted id
        repeats): then the stream is loaded and decided on as usual."""
        actor = actor.to_dict() if isinstance(actor, Actor) else actor
        key = self.request.command_key(self._commands_run) if self.request else None
        for _ in range(COMMAND_ATTEMPTS):
            if fresh:
                history, fresh = [], False
            else:
                with purpose("stream load"):
                    history = self.store.read_stream(stream_id)
            try:
                events = decide(fold(history), command)
            except DomainError:
                recorded = self._recorded(key)
                if recorded is None:
                    raise
                return self._ran(recorded)
            if not events:
                return self._ran(self._recorded(key) or [])
            try:
                with purpose("append"):
                    appended = self.store.append(
                        stream_id, history[-1]["version"] if history else 0, events, actor=actor,
                        correlation_id=correlation_id, command_key=key)
                return self._ran(appended)
            except ConcurrencyError:
                continue
        raise ConcurrencyError(stream_id, -1, self.store.stream_version(stream_id))

    def execute_new(self, commands: list, stream_of, decide, *, actor: Actor | dict) -> list[list[dict]]:
        """Several commands, each on a new stream named by an id this request minted (the
        office's unit list), decided on empty streams and appended all together or not at
        all (``append_all``): a refusal of any raises before anything is written. Each has
        its command key, so a retried request answers what the first appended."""
        actor = actor.to_dict() if isinstance(actor, Actor) else actor
        requests = []
        for command in commands:
            key = self.request.command_key(self._commands_run) if self.request else None
            self._commands_run += 1
            requests.append(AppendRequest(stream_of(command), 0, decide(None, command), actor,
                                          command_key=key))
        if not requests:
            return []
        with purpose("append"):
            return self.store.append_all(requests)

    def _recorded(self, key: CommandKey | None) -> list[dict] | None:
        if key is None:
            return None
        with purpose("idempotency lookup"):
            return self.store.recorded_command(key)

    def _ran(self, envelopes: list[dict]) -> list[dict]:
        self._commands_run += 1  # the request's next command gets the next key
        return envelopes

    def load(self, stream_id: str) -> list[dict]:
        return self.store.read_stream(stream_id)

    def get(self, collection: str, key: str) -> dict | None:
        """A read model's document, its personal data opened (shared.personal_data)."""
        with purpose("read model query"):
            return self._s.vault.open_one(self.db[collection].find_one({"_id": key}))

    def find(self, collection: str, query: dict | None = None, sort=None, limit: int = 0) -> list[dict]:
        """Read model documents, their personal data opened. Sorted by the database, except
        that where a sort field held sealed values they are sorted again once opened (the
        database sorts ciphertext); a limit then applies after that sort."""
        with purpose("read model query"):
            cursor = self.db[collection].find(query or {})
            if sort:
                cursor = cursor.sort(sort)
            stored = list(cursor.limit(0 if sort else limit))
            docs = self._s.vault.opened(stored)
        if sort and any(_sealed_in(d, field) for d in stored for field, _ in sort):
            docs = sorted_like_mongo(docs, sort)
        return docs[:limit] if sort and limit else docs


def _sealed_in(doc: dict, field: str) -> bool:
    return personal_data.is_sealed_at_rest(doc.get(field))


def sorted_like_mongo(docs: list[dict], sort) -> list[dict]:
    """Documents sorted by top-level fields as MongoDB orders them: missing and null first,
    then numbers, then text (what read models sort by)."""
    def rank(value):
        if value is None:
            return (0, 0)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (1, value)
        return (2, str(value))

    out = list(docs)
    for field, direction in reversed(list(sort)):  # stable: the last field first
        out.sort(key=lambda d: rank(d.get(field)), reverse=direction < 0)
    return out


class ServiceStorage(DependencyProvider):
    def __init__(self, wiring: Wiring):
        self.wiring = wiring
        self.storage: Storage | None = None

    def setup(self):
        cfg = settings()
        self.storage = Storage(self.wiring, cfg.mongo_uri, cfg.database_name(self.wiring.service),
                               cfg.mongo_options())
        self.storage.ensure_ready()

    def stop(self):
        if self.storage:
            self.storage.close()

    def get_dependency(self, worker_ctx):
        return StorageAccess(self.storage)




def wiring_of(service_class: type) -> Wiring:
    """The Wiring a nameko service class declares through its ServiceStorage: what the
    running service maintains (the composition root registers its projections)."""
    for klass in service_class.__mro__:
        for value in vars(klass).values():
            if isinstance(value, ServiceStorage):
                return value.wiring
    raise LookupError(f"{service_class.__name__} declares no ServiceStorage")
