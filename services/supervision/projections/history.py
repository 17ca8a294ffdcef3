"""A unit's supervision history, the unit->group lookup, reports and briefings.

- ``supervision_unit_history`` (per unit): {unit_id, group_id, entries: [{position,
  occurred_at, type, actor: {id, name, role}, payload}]} in log order.
- ``supervision_unit_groups`` (per unit): {unit_id, group_id, assigned_on} — the gateway's
  scope check ("a supervisor acts only on their group's units").
- ``supervision_reports`` (per report): the ReportFiled payload; a briefing's candidates.
- ``supervision_briefings`` (per briefing): the BriefingCompiled payload.
"""
from __future__ import annotations

from services.supervision.projections.common import SUPERVISION, at, by_types
from shared.projection import Projection

HISTORY = "supervision_unit_history"
UNIT_GROUPS = "supervision_unit_groups"
REPORTS = "supervision_reports"
BRIEFINGS = "supervision_briefings"


def _history_keys(env):
    unit_id = env["payload"].get("unit_id")
    return [unit_id] if unit_id else []


def _history_apply(doc, env, key):
    # a copy with new top-level values: apply never changes the document it is given
    doc = dict(doc or {"unit_id": key, "group_id": None, "entries": []})
    if env["type"] == "UnitAssigned":
        doc["group_id"] = env["payload"]["group_id"]
    if any(e["position"] == env.get("position") for e in doc["entries"]):
        return doc  # already there
    actor = env.get("actor") or {}
    doc["entries"] = [*doc["entries"], {**at(env), "type": env["type"],
                                        "actor": {k: actor.get(k) for k in ("id", "name", "role")},
                                        "payload": env["payload"]}]
    return doc


def _lookup(doc, env):
    p = env["payload"]
    return {"unit_id": p["unit_id"], "group_id": p["group_id"], "assigned_on": p.get("assigned_on")}


def _report(doc, env):
    return {**env["payload"], **at(env)}


def _briefing(doc, env):
    return {**env["payload"], **at(env)}


def history_projections() -> list[Projection]:
    lookup_keys, lookup_apply = by_types({"UnitAssigned": _lookup}, "unit_id")
    report_keys, report_apply = by_types({"ReportFiled": _report}, "report_id")
    brief_keys, brief_apply = by_types({"BriefingCompiled": _briefing}, "briefing_id")
    return [
        Projection(HISTORY, SUPERVISION, _history_keys, _history_apply),
        Projection(UNIT_GROUPS, SUPERVISION, lookup_keys, lookup_apply,
                   indexes=([("group_id", 1)],)),
        Projection(REPORTS, SUPERVISION, report_keys, report_apply,
                   indexes=([("date", 1)], [("group_id", 1)], [("unit_id", 1)])),
        Projection(BRIEFINGS, SUPERVISION, brief_keys, brief_apply),
    ]
