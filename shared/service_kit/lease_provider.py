"""A lease as a nameko DependencyProvider: of several instances of a service, the one
holding it does what it guards (shared.lease), e.g. the scheduler's ticks."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from shared.lease import Lease
from shared.service_kit.storage import ServiceStorage


class LeaseHolder(DependencyProvider):
    def __init__(self, lease_id: str, seconds: float = 10.0):
        self.lease_id, self.seconds = lease_id, seconds
        self.lease: Lease | None = None

    def start(self):
        storage = next(d for d in self.container.dependencies if isinstance(d, ServiceStorage)).storage
        self.lease = Lease(storage.store.meta, self.lease_id, seconds=self.seconds)

    def stop(self):
        if self.lease is not None:
            try:
                self.lease.release()
            except Exception:  # the database may be gone: the lease then expires by itself
                pass

    def get_dependency(self, worker_ctx):
        return self.lease
