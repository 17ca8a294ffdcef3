"""The outbox relay running beside a service, as a nameko DependencyProvider."""
from __future__ import annotations

import threading

from nameko.extensions import DependencyProvider

from shared.config import settings
from shared.relay import Relay
from shared.service_kit.storage import ServiceStorage, Storage


class OutboxRelay(DependencyProvider):
    """Runs the relay beside the service; wakes on every local commit, and on another
    instance's, announced (shared.relay)."""

    def __init__(self):
        self._stopping = threading.Event()
        self.relay = None

    def _storage(self) -> Storage:
        # the container's bound ServiceStorage (holding a reference to the unbound
        # provider would make nameko treat it as a sub-extension)
        return next(d for d in self.container.dependencies if isinstance(d, ServiceStorage)).storage

    def start(self):
        storage = self._storage()
        self.relay = Relay(storage.store, self.container.config["AMQP_URI"])
        self.container.spawn_managed_thread(
            lambda: self.relay.run(self._stopping.is_set, storage.store.committed,
                                   settings().relay_poll_seconds, settings().relay_idle_seconds))
        # another instance's commits, announced while this one holds the lease
        self.container.spawn_managed_thread(
            lambda: self.relay.listen(self._stopping.is_set, storage.store.committed))

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


