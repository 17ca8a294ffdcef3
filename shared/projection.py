"""Projections (read models) as pure functions of events.

A projection owns one collection of documents. For each event envelope it
names the documents the event touches (``keys``) and computes each new document
from the old one (``apply``). The runner — in memory for unit tests, in MongoDB
inside the inbox/append transaction for real — loads, applies and saves. Because
``apply`` is pure, replaying the log into empty collections rebuilds exactly
the live read model (the audit ``rebuild`` relies on this).

Pure here also means: ``apply`` never mutates its inputs (see ``Projection``). The
memory runner hands it the stored document itself, not a copy, and feeds one
envelope object to every projection (and, in an as-of fold, to every service).
``MemoryProjectionRunner(check_purity=True)``, or DUDAO_CHECK_PROJECTION_PURITY=1
(the test suite sets it), asserts this on every call.

Envelope dicts carry: event_id, type, schema_version, stream_id, version,
position, occurred_at, recorded_at, actor, correlation_id, causation_id,
payload, hash, prev_hash. A projection fed by another service's events reads
them as envelopes (type name + payload dict); it never imports that service.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import os
import uuid
from typing import Any, Callable, Iterable, Iterator

from shared.clock import utc_now_iso

Envelope = dict[str, Any]
Doc = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Projection:
    """One collection's read model.

    Contract of ``apply(doc, env, key)``: it must not mutate ``doc`` nor ``env``, nested
    lists and dicts included (``doc["history"].append(...)``, ``doc.update(...)``, an
    in-place change of a payload list: all forbidden). It returns a new document, e.g.
    ``{**doc, "sections": [*doc["sections"], s]}``, or ``doc`` itself when nothing
    changes, or None to delete. The new document may share unchanged sub-objects with
    ``doc`` or with the envelope: runners never mutate documents. Why: the memory
    runner passes the stored document (no defensive copy, it was a third of a
    rebuild), an as-of fold passes one envelope to every service's runner, and the
    in-memory event store may hand out its stored envelopes."""
    collection: str
    # source service name whose log feeds this projection ("units", ...)
    source: str
    # document ids the event touches; empty for events it ignores
    keys: Callable[[Envelope], Iterable[str]]
    # new document from the old one (None when absent); return None to delete
    apply: Callable[[Doc | None, Envelope, str], Doc | None]
    # indexes to create on the collection: list of (field, direction) lists
    indexes: tuple = ()
    # event types whose documents do not exist yet when the source's log is followed in
    # order (an aggregate's first event, keyed by its id): a transaction's first attempt
    # inserts them unread (issue 18: a lookup per collection). Where one does exist (a stub
    # an overtaking event of another source made), the insert collides on its _id and the
    # transaction is retried, reading it (shared.write_batch)
    new_on: frozenset = frozenset()


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


PURITY_ENV = "DUDAO_CHECK_PROJECTION_PURITY"


def purity_check_default() -> bool:
    return os.environ.get(PURITY_ENV, "").strip().lower() not in ("", "0", "false", "no")


class MemoryProjectionRunner:
    """Folds envelopes through projections into plain dicts (unit tests, rebuild diffs).

    Documents are handed to ``apply`` as stored, uncopied: projections must be pure
    (``Projection``). With ``check_purity`` (default: DUDAO_CHECK_PROJECTION_PURITY)
    every call deep-copies the old document first (the envelope once per ``apply``) and
    raises AssertionError when ``apply`` changed either; without it nothing is copied."""

    def __init__(self, projections: Iterable[Projection], check_purity: bool | None = None):
        self.projections = list(projections)
        self.collections: dict[str, dict[str, Doc]] = {p.collection: {} for p in self.projections}
        self.check_purity = purity_check_default() if check_purity is None else check_purity

    def apply(self, env: Envelope, source: str | None = None) -> None:
        env_before = None  # with the check: one snapshot serves every projection's call
        for p in self.projections:
            if source is not None and p.source != source:
                continue
            docs = self.collections[p.collection]
            for key in p.keys(env):
                old = docs.get(key)
                if not self.check_purity:
                    new = p.apply(old, env, key)
                else:
                    env_before = copy.deepcopy(env) if env_before is None else env_before
                    new = _checked_apply(p, old, env, key, env_before)
                if new is None:
                    docs.pop(key, None)
                else:
                    if new.get("_id") != key:
                        # a copy, not new["_id"] = key: what apply returned may be shared
                        new = {**new, "_id": key}
                    docs[key] = new

    def fold(self, envelopes: Iterable[Envelope], source: str | None = None) -> "MemoryProjectionRunner":
        for env in envelopes:
            self.apply(env, source)
        return self


def _checked_apply(p: Projection, old: Doc | None, env: Envelope, key: str,
                   env_before: Envelope) -> Doc | None:
    old_before = copy.deepcopy(old)
    new = p.apply(old, env, key)
    mutated = []
    for what, name, before, after in (("the old document", "doc", old_before, old),
                                      ("the envelope", "env", env_before, env)):
        paths = list(itertools.islice(_changed_paths(before, after, name), 5))
        if paths:
            mutated.append(f"{what} at {', '.join(paths)}")
    if mutated:
        raise AssertionError(
            f"projection {p.collection!r} (source {p.source!r}) mutated its input applying "
            f"{env.get('type')!r} (position {env.get('position')}) to key {key!r}: "
            f"{'; and '.join(mutated)}. Projection.apply must build a new document instead.")
    return new


def _changed_paths(before: Any, after: Any, path: str) -> Iterator[str]:
    """Where ``after`` differs from ``before``, as paths (for the purity message)."""
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for k in {**before, **after}:
            if k in before and k in after:
                yield from _changed_paths(before[k], after[k], f"{path}[{k!r}]")
            else:
                yield f"{path}[{k!r}] {'removed' if k in before else 'added'}"
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            yield from _changed_paths(b, a, f"{path}[{i}]")
    else:
        yield f"{path}: {_short(before)} -> {_short(after)}"


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


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
