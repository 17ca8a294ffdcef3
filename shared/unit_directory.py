"""The directory of units every consuming service keeps from the units service's log.

``events_applied`` counts the units events folded into each entry: a duplicate
delivery applied twice would show up there, which the delivery tests check."""
from __future__ import annotations

from shared.projection import Projection

UNIT_FIELDS = ("name", "org_type", "batch")


def _keys(env: dict) -> list[str]:
    unit_id = env["payload"].get("unit_id")
    return [unit_id] if unit_id else []


def _apply(doc: dict | None, env: dict, key: str) -> dict:
    # a new dict each time: apply never changes the document it is given
    doc = dict(doc or {"unit_id": key, "events_applied": 0, "last_position": 0})
    payload = env["payload"]
    if env["type"] == "UnitRegistered":
        doc.update({f: payload.get(f) for f in UNIT_FIELDS})
    if env["type"] == "PhaseEntered":
        doc["phase"] = payload.get("phase")
    doc["events_applied"] += 1
    doc["last_position"] = env["position"]
    return doc


def unit_directory(collection: str = "unit_directory") -> Projection:
    # a unit's first event in the units log is its registration: its entry is new then
    return Projection(collection=collection, source="units", keys=_keys, apply=_apply,
                      new_on=frozenset({"UnitRegistered"}))
