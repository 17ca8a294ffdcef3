"""State as of a moment: every service's log folded, in global recorded_at order, into
each service's projections in memory. Pure (no database): the CLI feeds it from the
stores, the gateway from ``events_since`` pages.

Which projections (and views) a service has comes from ``shared.registry``, which the
composition root fills when the process starts; ``fold`` and ``state`` also take them as
parameters."""
from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import logging
from typing import Callable, Iterable

from shared import registry
from shared.clock import iso
from shared.config import DOMAIN_SERVICES
from shared.projection import MemoryProjectionRunner

log = logging.getLogger(__name__)


class BadTime(ValueError):
    pass


def parse_time(text: str) -> str:
    """An ISO-8601 moment as the log writes it (UTC, milliseconds, Z). A bare date means
    the end of that day (UTC); a time without an offset is UTC."""
    text = (text or "").strip()
    if not text:
        raise BadTime("give a time, e.g. 2024-03-01T12:00:00Z or 2024-03-01")
    try:
        if len(text) == 10:
            day = _dt.date.fromisoformat(text)
            moment = _dt.datetime.combine(day, _dt.time(23, 59, 59, 999000), _dt.timezone.utc)
        else:
            moment = _dt.datetime.fromisoformat(text.replace("z", "Z"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise BadTime(f"{text!r} is not an ISO-8601 date or time") from None
    return iso(moment)


@contextlib.contextmanager
def collector_paused():
    """For a whole-log replay in the audit CLI. A replay allocates millions of small,
    acyclic dicts that live until it ends; the cyclic garbage collector would rescan
    them again and again (it halved the fold rate of a county-sized log) and find
    nothing to free. Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def fold(pairs: Iterable[tuple[str, dict]], until: str | None = None,
         services: Iterable[str] = DOMAIN_SERVICES,
         projections: Callable[[str], list] = registry.projections_of,
         limits: dict[str, dict[str, int]] | None = None) -> dict:
    """Fold (source service, envelope) pairs, given in global order, into every service's
    projections (``projections(service)``, the registered ones unless given); events
    recorded after ``until`` are left out, and with ``limits``
    ({service: {source: position}}) each service folds a source only up to its position.

    Returns {"runners": {service: MemoryProjectionRunner}, "applied": n,
    "applied_by": {service: n}, "errors": [...]}."""
    runners = {s: MemoryProjectionRunner(projections(s)) for s in services}
    applied, errors = 0, []
    applied_by = dict.fromkeys(runners, 0)
    for source, env in pairs:
        if until is not None and env["recorded_at"] > until:
            continue
        applied += 1
        for service, runner in runners.items():
            if limits is not None and env["position"] > limits[service].get(source, 0):
                continue
            applied_by[service] += 1
            try:
                runner.apply(env, source=source)
            except Exception as err:  # a projection bug must not hide the rest of the record
                errors.append({"service": service, "source": source, "position": env["position"],
                               "type": env["type"], "error": f"{type(err).__name__}: {err}"})
    return {"runners": runners, "applied": applied, "applied_by": applied_by, "errors": errors}


def about_unit(doc: dict, unit_id: str) -> bool:
    if doc.get("_id") == unit_id or doc.get("unit_id") == unit_id:
        return True
    units = doc.get("unit_ids") or doc.get("units")
    return isinstance(units, (list, tuple)) and unit_id in units


def state(folded: dict, unit_id: str | None = None,
          views_of: Callable[[str], dict] = registry.views_of) -> dict:
    """{service: {collection: [docs]}}: the unit's documents, or every document. A
    collection with a view (``views_of(service)``, the registered ones unless given) shows
    what the service's API would have answered: the study sheets keep a basis and render
    their figures when asked."""
    out = {}
    for service, runner in folded["runners"].items():
        out[service] = {}
        views = views_of(service)
        for collection, docs in runner.collections.items():
            chosen = [d for d in docs.values() if unit_id is None or about_unit(d, unit_id)]
            view = views.get(collection)
            if view is not None:
                chosen = [{"_id": d["_id"], **view(d, runner.collections)} for d in chosen]
            if chosen:
                out[service][collection] = sorted(chosen, key=lambda d: str(d["_id"]))
    return out


def as_of(pairs: Iterable[tuple[str, dict]], until: str, unit_id: str | None = None,
          services: Iterable[str] = DOMAIN_SERVICES) -> dict:
    folded = fold(pairs, until, services)
    return {"as_of": until, "unit_id": unit_id, "events_applied": folded["applied"],
            "errors": folded["errors"], "services": state(folded, unit_id)}
