"""The units service's nameko entrypoints: validate → decide → append, nothing more."""
from __future__ import annotations

import uuid

from nameko.rpc import rpc

from services.units.domain import commands as C
from services.units.domain.config import DEFAULT_CONFIG
from services.units.domain.membership import register_unit
from services.units.domain.state import fold
from shared.domain import NotFound, events_of
from shared.nameko_support import (DomainService, OutboxRelay, ServiceStorage, Wiring, actor_from,
                                   command_rpc)
from shared.projection import Projection

CARDS = "unit_cards"


def unit_stream(unit_id: str) -> str:
    return f"unit-{unit_id}"


def _card_keys(env):
    return [env["payload"]["unit_id"]] if "unit_id" in env["payload"] else []


def _card_apply(doc, env, key):
    p = env["payload"]
    if env["type"] == "UnitRegistered":
        return {"unit_id": key, "name": p["name"], "org_type": p["org_type"], "batch": p["batch"],
                "phase": "registered", "deadlines": p.get("deadlines", {}), "group_id": None,
                "flags": [], "registered_at": env["occurred_at"]}
    return doc


WIRING = Wiring(service="units", projections=(
    Projection(CARDS, "units", _card_keys, _card_apply, indexes=([("batch", 1), ("phase", 1)],)),))


def _fold(envelopes):
    return fold(events_of(envelopes))


class UnitsService(DomainService):
    name = "units"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()

    @rpc
    @command_rpc
    def register_unit(self, body, actor, params=None, query=None):
        from services.units.schemas import RegisterUnitSchema
        data = RegisterUnitSchema().load(body or {})
        unit_id = "u-" + uuid.uuid4().hex[:12]
        command = C.RegisterUnit(actor=actor_from(actor), unit_id=unit_id, name=data["name"],
                                 org_type=data["org_type"], batch=data["batch"],
                                 sections=tuple(data.get("sections", ())))
        self.storage.execute(unit_stream(unit_id), lambda s, c: register_unit(s, c, DEFAULT_CONFIG),
                             _fold, command, actor=actor)
        return {"unit_id": unit_id}

    @rpc
    @command_rpc
    def get_unit(self, params, actor, body=None, query=None):
        card = self.storage.get(CARDS, params["unit"])
        if card is None:
            raise NotFound(f"no unit {params['unit']}", unit_id=params["unit"])
        return card

    @rpc
    @command_rpc
    def list_units(self, actor, params=None, body=None, query=None):
        query_filter = {}
        if actor and actor.get("role") == "unit":
            query_filter["_id"] = actor.get("scope")
        return self.storage.find(CARDS, query_filter, sort=[("batch", 1), ("name", 1)])
