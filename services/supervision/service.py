"""The supervision service's nameko entrypoints: thin translations of RPC input into commands."""
from __future__ import annotations

from nameko.events import event_handler

from shared.nameko_support import DomainService, OutboxRelay, ServiceStorage, Wiring, command_rpc
from shared.unit_directory import unit_directory

from nameko.rpc import rpc

WIRING = Wiring(service="supervision", projections=(unit_directory(),))


class SupervisionService(DomainService):
    name = "supervision"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()

    @event_handler("units", "#", requeue_on_error=True)
    def on_units_event(self, envelope):
        self._receive("units", envelope)

    @rpc
    @command_rpc
    def known_unit(self, unit_id):
        return self.storage.get("unit_directory", unit_id)
