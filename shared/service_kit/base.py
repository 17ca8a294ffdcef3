"""The base every domain service stands on: the audit RPCs (events_since, head,
verify, inbox_checkpoints), health, parked events and the inbox's catch-up timer."""
from __future__ import annotations

import logging

import eventlet
from marshmallow import fields, validate
from nameko.rpc import rpc

from shared.attachment_files import with_files
from shared.config import settings
from shared.domain import NotFound
from shared.edge import entrypoint
from shared.inbox import NothingParked
from shared.opcount import purpose
from shared.schema_fields import StrictSchema
from shared.service_kit.pacing import TimerPace, paced_timer
from shared.service_kit.peers import ClusterRpc
from shared.service_kit.storage import StorageAccess

log = logging.getLogger(__name__)


def endpoint(schema, handler):
    """A typed RPC of a service: ``handler(service, request, actor)`` behind
    ``entrypoint(schema)`` (named fields + actor in, the one answer shape out)."""
    return rpc(entrypoint(schema)(handler))


class ReplayParked(StrictSchema):
    source = fields.String(required=True, validate=validate.Length(min=1, max=40))
    stream_id = fields.String(required=True, validate=validate.Length(min=1, max=200))


def _replay_parked(service, request: dict, actor):
    try:
        return {"replayed": service.storage.inbox.replay(request["source"], request["stream_id"])}
    except NothingParked as err:
        raise NotFound(str(err)) from None


class DomainService:
    """Base of the four domain services: audit RPCs, health, parked events, catch-up."""

    name = "base"
    storage: StorageAccess
    cluster = ClusterRpc()
    pace = TimerPace()

    def _fetch(self, source: str, after: int, limit: int) -> list[dict]:
        # a source that is down must not hang the consumer (or its shutdown)
        timeout = settings().rpc_timeout
        try:
            with eventlet.Timeout(timeout):
                return self.cluster[source].events_since(after, limit)
        except eventlet.Timeout:
            raise RuntimeError(f"{source} did not answer events_since within {timeout}s") from None

    def _receive(self, source: str, envelope: dict) -> str:
        self.pace.busy()  # deliveries flow: the catch-up comes back to its shortest interval
        with purpose("inbox"):
            return self.storage.inbox.receive(source, envelope, self._fetch)

    @rpc
    def events_since(self, position=0, limit=1000, raw=False):
        with purpose("serving events_since"):
            return self.storage.store.events_since(int(position), int(limit) or None, raw=raw)

    @rpc
    def head(self):
        return self.storage.store.head()

    @rpc
    def verify(self):
        """The log's chain, and every stored evidence file against the sha256 its event
        recorded (shared.attachment_files): a changed byte fails it, naming the attachment."""
        return with_files(self.storage.store.verify(), self.storage.db)

    @rpc
    def health(self):
        """Up, its log's head, what it has applied of each source, what is parked, and any
        fork (a source stopped because its log disagrees with what was applied here): a
        fork makes the service, and so the gateway's /health, red."""
        with purpose("health"):
            return self._health()

    def _health(self):
        self.storage.db.command("ping")
        forks = self.storage.inbox.fork_alarms()
        return {"service": self.name, "ok": not forks,
                "head": self.storage.store.head(),
                "checkpoints": {d["_id"]: d["position"]
                                for d in self.storage.db["inbox_checkpoints"].find()},
                "parked": len(self.storage.inbox.parked_events()),
                "forks": forks}

    @rpc
    def inbox_checkpoints(self):
        """Per source: the position applied up to and that event's hash (audit verify)."""
        return self.storage.inbox.kept_checkpoints()

    @rpc
    def fork_alarms(self):
        return self.storage.inbox.fork_alarms()

    @rpc
    def parked_events(self, status="open"):
        return self.storage.inbox.parked_events(status)

    replay_parked = rpc(entrypoint(ReplayParked)(_replay_parked))

    def _tick(self, what: str, run) -> None:
        """One round of a timer of the service's own: a failure (the database may be down) is
        logged, and the next tick retries."""
        try:
            run(self)
        except Exception as err:
            log.warning("%s's tick failed: %s", what, err)

    # every DUDAO_CATCH_UP_SECONDS while deliveries flow or a round pulls something; each
    # round that pulls nothing doubles the wait, up to DUDAO_CATCH_UP_IDLE_SECONDS (an idle
    # stack's cost), and the next delivery brings it back. A source that goes quiet is still
    # looked at within a few short rounds: a lost last event of a burst is pulled then
    @paced_timer(settings().catch_up_seconds, settings().catch_up_idle_seconds)
    def catch_up(self) -> int:
        """Pull from each quiet source what the broker did not bring; how many applied."""
        applied = 0
        for source in self.storage.inbox.handlers:
            try:
                with purpose("catch-up"):
                    applied += self.storage.inbox.catch_up(source, self._fetch, quiet_only=True)
            except Exception as err:  # the source may be down; the next tick retries
                log.info("catch-up from %s deferred: %s", source, err)
                applied += 1  # not found idle: look again at the short interval
        return applied
