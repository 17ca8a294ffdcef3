"""The gateway's ``/audit`` routes, answered over service RPCs only (the gateway never
reads a service's database): verify = each service's ``verify`` RPC, and each consumer's
``inbox_checkpoints`` held against its sources' ``events_since`` (shared.audit.checkpoints);
timeline and as-of = each service's log paged through ``events_since`` and handed to the
same pure functions the CLI uses.

Cost: timeline and as-of read every log in full on each request (pages of ``PAGE``
events). Fine for a county; a busy deployment would want a per-unit index RPC instead.

``answer(rpc, call, params, query) -> (body, status)`` where ``call(service, rpc, kwargs)``
is the gateway's RPC function."""
from __future__ import annotations

from typing import Callable, Iterator

from shared.audit import asof, checkpoints, timeline
from shared.audit.logs import merged
from shared.config import DOMAIN_SERVICES

PAGE = 1000
Call = Callable[[str, str, dict], object]


def pages(call: Call, service: str, page: int = PAGE, raw: bool = True) -> Iterator[dict]:
    """A log's envelopes as stored (``raw``: personal fields sealed), or as read (opened,
    upcast): what a replay of projections wants."""
    after = 0
    while True:
        batch = call(service, "events_since", {"position": after, "limit": page, "raw": raw})
        if not batch:
            return
        yield from batch
        after = batch[-1]["position"]


def verify(call: Call, params: dict, query: dict):
    chains = {s: call(s, "verify", {}) for s in DOMAIN_SERVICES}
    # every checkpoint read before any source is asked (see shared.audit.checkpoints)
    kept = {s: call(s, "inbox_checkpoints", {}) for s in DOMAIN_SERVICES}
    consumers = checkpoints.check(kept, _event_at(call), lambda source: call(source, "head", {}))
    return checkpoints.verdict(chains, consumers), 200


def _event_at(call: Call) -> checkpoints.EventAt:
    """A source's event at a position, through its ``events_since`` RPC."""
    def event_at(source: str, position: int):
        found = call(source, "events_since", {"position": position - 1, "limit": 1, "raw": True})
        return found[0] if found and found[0]["position"] == position else None
    return event_at


def unit_timeline(call: Call, params: dict, query: dict):
    unit = params["unit"]
    everything = [(s, env) for s in DOMAIN_SERVICES for env in pages(call, s)]
    events = [(s, env) for s, env in everything if timeline.concerns(env, unit)]
    if not events:
        return _error(404, "not_found", f"no event in any log concerns unit {unit}", unit=unit)
    wanted = timeline.needed_causes(env for _s, env in events)
    causes = [(s, env) for s, env in everything if env["event_id"] in wanted]
    return timeline.build(unit, events, causes), 200


def as_of(call: Call, params: dict, query: dict):
    try:
        until = asof.parse_time(query.get("time", ""))
    except asof.BadTime as err:
        return _error(422, "invalid", str(err), fields={"time": [str(err)]})
    unit = query.get("unit") or None
    # projections replayed: they see personal data opened (shared.personal_data), as live
    return asof.as_of(merged({s: pages(call, s, raw=False) for s in DOMAIN_SERVICES}), until, unit), 200


HANDLERS = {"audit_verify": verify, "audit_timeline": unit_timeline, "audit_as_of": as_of}


def answer(rpc: str, call: Call, params: dict, query: dict):
    handler = HANDLERS.get(rpc)
    if handler is None:
        return _error(404, "not_found", f"no audit answer named {rpc}")
    return handler(call, params or {}, query or {})


def _error(status: int, code: str, message: str, **details):
    return {"error": code, "message": message, "details": details}, status
