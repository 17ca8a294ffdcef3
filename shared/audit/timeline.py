"""One unit's history across every service, linked by correlation and causation ids.

Pure functions over (service, envelope) pairs: the CLI feeds them from the databases,
the gateway from ``events_since`` pages."""
from __future__ import annotations

from typing import Iterable

from shared.config import DOMAIN_SERVICES


def concerns(env: dict, unit_id: str) -> bool:
    """An event is about a unit when its payload names it or its stream ends with its id."""
    payload = env.get("payload") or {}
    return payload.get("unit_id") == unit_id or str(env.get("stream_id", "")).endswith(unit_id)


def entry(service: str, env: dict) -> dict:
    return {"service": service, "position": env["position"], "type": env["type"],
            "stream_id": env["stream_id"], "version": env.get("version"),
            "event_id": env["event_id"], "actor": env.get("actor"),
            "occurred_at": env.get("occurred_at"), "recorded_at": env["recorded_at"],
            "correlation_id": env.get("correlation_id"), "causation_id": env.get("causation_id"),
            "payload": env.get("payload")}


def build(unit_id: str, events: Iterable[tuple[str, dict]],
          causes: Iterable[tuple[str, dict]] = (), order=DOMAIN_SERVICES) -> dict:
    """The unit's timeline: entries ordered by recorded_at then service position, each with
    ``caused_by`` (the event named by its causation id, wherever it lives) and ``caused``
    (the timeline's entries it caused). ``causes`` may add events outside the unit's own
    history that some entry's causation id names."""
    rank = {name: i for i, name in enumerate(order)}
    entries = [entry(s, e) for s, e in events if concerns(e, unit_id)]
    entries.sort(key=lambda x: (x["recorded_at"], rank.get(x["service"], len(rank)), x["position"]))
    known = {x["event_id"]: x for x in entries}
    for service, env in causes:
        known.setdefault(env["event_id"], entry(service, env))
    for x in entries:
        x["caused_by"] = _ref(known.get(x["causation_id"])) if x["causation_id"] else None
        if x["causation_id"] and x["caused_by"] is None:
            x["caused_by"] = {"event_id": x["causation_id"], "missing": True}
        x["caused"] = []
    in_timeline = {x["event_id"]: x for x in entries}
    for x in entries:
        cause = in_timeline.get(x["causation_id"]) if x["causation_id"] else None
        if cause is not None:
            cause["caused"].append(_ref(x))
    return {"unit_id": unit_id, "count": len(entries), "entries": entries}


def needed_causes(timeline_events: Iterable[dict]) -> set[str]:
    return {e["causation_id"] for e in timeline_events if e.get("causation_id")}


def _ref(x: dict | None) -> dict | None:
    if x is None:
        return None
    return {"service": x["service"], "position": x["position"], "type": x["type"],
            "event_id": x["event_id"]}


def render(timeline: dict) -> list[str]:
    """Text lines for the terminal."""
    lines = [f"timeline of {timeline['unit_id']}: {timeline['count']} events"]
    for x in timeline["entries"]:
        actor = x["actor"] or {}
        who = f"{actor.get('name')} ({actor.get('role')}{', ' + actor['scope'] if actor.get('scope') else ''})"
        lines.append(f"{x['recorded_at']}  {x['service']}#{x['position']:<6} {x['type']:<28} "
                     f"by {who}  stream {x['stream_id']} v{x['version']}")
        lines.append(f"    correlation {x['correlation_id']}  causation {x['causation_id'] or '-'}")
        cause = x["caused_by"]
        if cause and not cause.get("missing"):
            lines.append(f"    <- caused by {cause['service']}#{cause['position']} {cause['type']}")
        elif cause:
            lines.append(f"    <- caused by event {cause['event_id']} (not found in any log)")
        for effect in x["caused"]:
            lines.append(f"    -> caused {effect['service']}#{effect['position']} {effect['type']}")
    return lines
