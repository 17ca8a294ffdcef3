"""Facts about units that supervision's commands need, kept from the units service's log.

- ``supervision_unit_facts`` (per unit): {unit_id, name, org_type, batch, phase,
  phase_deadline, meeting_date, meeting_held_on, plan_version, plan, requirements_present,
  open_rectifications: [measure_id], open_problems: [problem_id]}
- ``supervision_transition_facts`` (per application): {transition_id, unit_id, from_phase,
  to_phase, summary, applicant_id, applied_at}

The entrypoint may read these (or ask the units service by RPC, which is fresher) and
turn them into command fields with the helpers below.
"""
from __future__ import annotations

from services.supervision.domain.commands import TransitionApplication
from services.supervision.projections.common import UNITS, by_types
from shared.projection import Projection

UNIT_FACTS = "supervision_unit_facts"
TRANSITION_FACTS = "supervision_transition_facts"


def _doc(doc, unit_id):
    return doc or {"unit_id": unit_id, "name": None, "org_type": None, "batch": None,
                   "phase": None, "phase_deadline": None, "meeting_date": None,
                   "meeting_held_on": None, "plan_version": None, "plan": None,
                   "requirements_present": False, "open_rectifications": [], "open_problems": []}


def _update(fields):
    def handle(doc, env):
        p = env["payload"]
        doc = _doc(doc, p["unit_id"])
        return {**doc, **fields(p, doc)}  # a new doc: apply never changes the one it is given
    return handle


def _plan(p, doc):
    if doc["plan_version"] is not None and p["plan_version"] < doc["plan_version"]:
        return {}
    return {"plan_version": p["plan_version"], "plan": p["plan"]}


def _phase_deadline(p, doc):
    return {"phase_deadline": p["until"]} if doc["phase"] in (None, p["phase"]) else {}


def _opened(doc, problem_id, payload):
    return sorted(set(doc.get("open_problems") or []) | {problem_id})


def _closed(doc, problem_id):
    return sorted(set(doc.get("open_problems") or []) - {problem_id})


HANDLERS = {
    "UnitRegistered": _update(lambda p, d: {"name": p["name"], "org_type": p["org_type"],
                                            "batch": p["batch"],
                                            "phase": d["phase"] or "registered"}),
    "MobilizationMeetingScheduled": _update(lambda p, d: {"meeting_date": p["date"]}),
    "MobilizationMeetingHeld": _update(lambda p, d: {"meeting_held_on": p["date"]}),
    "WorkPlanSubmitted": _update(_plan),
    "RequirementsSet": _update(lambda p, d: {
        "requirements_present": bool((p.get("text") or "").strip() or p.get("items"))}),
    "PhaseEntered": _update(lambda p, d: {"phase": p["phase"],
                                          "phase_deadline": p.get("deadline"),
                                          # the passed survey that moved the unit on
                                          "survey_id": p.get("survey_id") or d.get("survey_id")}),
    "DeadlineApplied": _update(_phase_deadline),
    "RectificationMeasureAdded": _update(lambda p, d: {
        "open_rectifications": sorted(set(d["open_rectifications"]) | {p["measure_id"]}),
        # before the ledger a measure named no problem: the unit's legacy problem holds it
        "open_problems": _opened(d, p.get("problem_id") or f"{p['unit_id']}.before-ledger", p)}),
    # the ledger (整改台账): a problem is open until signed off or carried forward
    "MeasureReturned": _update(lambda p, d: {
        "open_rectifications": sorted(set(d["open_rectifications"]) | {p["measure_id"]})}),
    "MeasureReopened": _update(lambda p, d: {
        "open_rectifications": sorted(set(d["open_rectifications"]) | {p["measure_id"]})}),
    "ProblemRecorded": _update(lambda p, d: {"open_problems": _opened(d, p["problem_id"], p)}),
    "ProblemReopened": _update(lambda p, d: {"open_problems": _opened(d, p["problem_id"], p)}),
    "ProblemSignedOff": _update(lambda p, d: {"open_problems": _closed(d, p["problem_id"])}),
    "ProblemCarriedForward": _update(lambda p, d: {"open_problems": _closed(d, p["problem_id"])}),
    # a problem the group proposed, answered by the unit with its reasons, is closed (answered);
    # one still proposed stays open (ProblemRecorded above), one accepted stays open
    "ProblemAnswered": _update(lambda p, d: {"open_problems": _closed(d, p["problem_id"])}),
    "RectificationMeasureCompleted": _update(lambda p, d: {
        "open_rectifications": sorted(set(d["open_rectifications"]) - {p["measure_id"]})}),
}


def _application(doc, env):
    p = env["payload"]
    return {"transition_id": p["transition_id"], "unit_id": p["unit_id"],
            "from_phase": p["from_phase"], "to_phase": p["to_phase"],
            "summary": p.get("summary", ""), "applicant_id": (env.get("actor") or {}).get("id"),
            "applied_at": env.get("occurred_at")}


def facts_projections() -> list[Projection]:
    keys, apply = by_types(HANDLERS, "unit_id")
    t_keys, t_apply = by_types({"TransitionApplied": _application}, "transition_id")
    # a unit's facts are new at its registration, its first event in the units log
    return [Projection(UNIT_FACTS, UNITS, keys, apply, new_on=frozenset({"UnitRegistered"})),
            Projection(TRANSITION_FACTS, UNITS, t_keys, t_apply, indexes=([("unit_id", 1)],))]


# ------------------------------------------------ facts -> command fields
def transition_application(doc: dict | None) -> TransitionApplication | None:
    if doc is None:
        return None
    return TransitionApplication(**{k: doc.get(k) for k in (
        "transition_id", "unit_id", "from_phase", "to_phase", "summary", "applicant_id")})


def speech_draft(doc: dict | None) -> str | None:
    plan = (doc or {}).get("plan") or {}
    return plan.get("speech_draft")
