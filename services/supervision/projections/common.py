"""Helpers the supervision projections share."""
from __future__ import annotations

from shared.projection import by_type

Envelope = dict
Doc = dict

SUPERVISION = "supervision"
UNITS = "units"


# one document per payload[key_field], a handler per type: the shared helper
by_types = by_type


def append_once(items: list, item, key: str | None = None) -> list:
    """Append unless already there (by ``key`` field when given): a replayed event is harmless."""
    if key is None:
        return items if item in items else [*items, item]
    if any(existing.get(key) == item.get(key) for existing in items):
        return items
    return [*items, item]


def at(env: Envelope) -> dict:
    """Where in the log an entry came from."""
    return {"position": env.get("position"), "occurred_at": env.get("occurred_at")}
