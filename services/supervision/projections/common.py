"""Helpers the supervision projections share."""
from __future__ import annotations

from typing import Callable

Envelope = dict
Doc = dict

SUPERVISION = "supervision"
UNITS = "units"


def by_types(handlers: dict[str, Callable], key_field: str):
    """(keys, apply) for one document per payload[key_field]; handlers get (doc, env)."""
    def keys(env: Envelope) -> list[str]:
        if env["type"] not in handlers:
            return []
        value = env["payload"].get(key_field)
        return [value] if value is not None else []

    def apply(doc: Doc | None, env: Envelope, key: str) -> Doc | None:
        return handlers[env["type"]](doc, env)

    return keys, apply


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
