"""Projections (read models) as pure functions of events.

A projection owns one collection of documents. For each event envelope it
names the documents the event touches (``keys``) and computes each new document
from the old one (``apply``). The runner — in memory for unit tests, in MongoDB
inside the inbox/append transaction for real — loads, applies and saves. Because
``apply`` is pure, replaying the log into empty collections rebuilds exactly
the live read model (the audit ``rebuild`` relies on this).

Envelope dicts carry: event_id, type, schema_version, stream_id, version,
position, occurred_at, recorded_at, actor, correlation_id, causation_id,
payload, hash, prev_hash. A projection fed by another service's events reads
them as envelopes (type name + payload dict); it never imports that service.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import uuid
from typing import Any, Callable, Iterable

Envelope = dict[str, Any]
Doc = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Projection:
    collection: str
    # source service name whose log feeds this projection ("units", ...)
    source: str
    # document ids the event touches; empty for events it ignores
    keys: Callable[[Envelope], Iterable[str]]
    # new document from the old one (None when absent); return None to delete
    apply: Callable[[Doc | None, Envelope, str], Doc | None]
    # indexes to create on the collection: list of (field, direction) lists
    indexes: tuple = ()


def by_type(handlers: dict[str, Callable[[Doc | None, Envelope], Doc | None]],
            key_field: str) -> tuple[Callable, Callable]:
    """Common case: one document per ``payload[key_field]``, a handler per type.

    Returns (keys, apply) for a Projection."""

    def keys(env: Envelope) -> list[str]:
        if env["type"] not in handlers:
            return []
        value = env["payload"].get(key_field)
        return [value] if value is not None else []

    def apply(doc: Doc | None, env: Envelope, key: str) -> Doc | None:
        return handlers[env["type"]](doc, env)

    return keys, apply


class MemoryProjectionRunner:
    """Folds envelopes through projections into plain dicts (unit tests, rebuild diffs)."""

    def __init__(self, projections: Iterable[Projection]):
        self.projections = list(projections)
        self.collections: dict[str, dict[str, Doc]] = {p.collection: {} for p in self.projections}

    def apply(self, env: Envelope, source: str | None = None) -> None:
        for p in self.projections:
            if source is not None and p.source != source:
                continue
            docs = self.collections[p.collection]
            for key in p.keys(env):
                old = docs.get(key)
                new = p.apply(copy.deepcopy(old) if old is not None else None, env, key)
                if new is None:
                    docs.pop(key, None)
                else:
                    new["_id"] = key
                    docs[key] = new

    def fold(self, envelopes: Iterable[Envelope], source: str | None = None) -> "MemoryProjectionRunner":
        for env in envelopes:
            self.apply(env, source)
        return self


def utc_now_iso() -> str:
    return iso(_dt.datetime.now(_dt.timezone.utc))


def iso(moment: _dt.datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: the one timestamp format in the log."""
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def envelope_for(event, *, stream_id: str, version: int = 1, position: int = 1,
                 occurred_at: str | None = None, actor: dict | None = None) -> Envelope:
    """Build an envelope around a domain event, for pure tests of projections."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": event.type,
        "schema_version": event.schema_version,
        "stream_id": stream_id,
        "version": version,
        "position": position,
        "occurred_at": occurred_at or utc_now_iso(),
        "recorded_at": occurred_at or utc_now_iso(),
        "actor": actor or {"id": "test", "name": "test", "role": "system", "scope": None},
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "payload": event.payload(),
        "hash": "",
        "prev_hash": "",
    }
