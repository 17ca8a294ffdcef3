"""``supervision_obligations``: per unit, the facts its obligations are derived from, kept
from the units, supervision, evaluation and study logs, and the obligations themselves with their
statuses (services.supervision.domain.obligations), recomputed from the facts by every event
that changes them. A pure fold of the logs: a rebuild, or an as-of view at any moment,
shows the obligations and statuses of that moment (overdue only once the scheduler's
``ObligationBecameOverdue`` is in the log).

One doc per unit, and one per group that was sent a directive of its own (``unit_id`` None).
Doc: {party (the unit or group id), unit_id, group_id, meeting_date, arrived_on, contact_reported_on, plan_approved_on,
requirements_set_on, phases: {phase: {entered_on, deadline, left_on}},
measures: {measure_id: {due, completed_on, problem_id}}, carried: {problem_id: {on, reason}} (the
units log's ProblemCarriedForward: a carried-forward problem's measures are no longer due),
surveys: {survey_id: {opened_on, closed_on}},
directives: {directive_id: {recipient, reply_by, sent_on, replied_on}},
study_floor: {reached_on, lapsed_on} (the study service's StudyFloorReached / StudyFloorLapsed),
respondents_notified (a PublicNotified with pseudonymous people), respondents_erased_on (RespondentNamesErased),
overdue: {obligation_id: {due, on}}, cleared: {obligation_id: due}, waived: {obligation_id: {reason, on, by}},
obligations: [{obligation_id, type, unit_id, group_id, owed_by, subject, due, met_on, status}]}
"""
from __future__ import annotations

from services.supervision.domain.config import SupervisionConfig
from services.supervision.domain.obligations import unit_obligations
from services.supervision.projections.common import SUPERVISION, UNITS
from shared.projection import Projection

OBLIGATIONS = "supervision_obligations"
EVALUATION = "evaluation"
STUDY = "study"


def _day(env: dict) -> str:
    return (env.get("occurred_at") or "")[:10]


def _first(doc: dict, field: str, value):
    """The earliest date a thing was done: a later repeat does not move it."""
    return doc.get(field) or value


def _put(mapping: dict | None, key: str, **fields) -> dict:
    mapping = mapping or {}
    return {**mapping, key: {**mapping.get(key, {}), **fields}}


def _phase_entered(doc: dict, env: dict) -> dict:
    p = env["payload"]
    day = p.get("entered_on") or _day(env)
    phases = doc.get("phases") or {}
    previous = p.get("previous_phase")
    if previous in phases and not phases[previous].get("left_on"):
        phases = _put(phases, previous, left_on=day)
    return {"phases": _put(phases, p["phase"], entered_on=day, deadline=p.get("deadline"),
                           left_on=None)}


def _deadline_applied(doc: dict, env: dict) -> dict:
    p = env["payload"]
    if p["phase"] not in (doc.get("phases") or {}):
        return {}
    return {"phases": _put(doc["phases"], p["phase"], deadline=p["until"])}


def _measure_done(doc: dict, env: dict) -> dict:
    """Before the ledger the unit's own completion met the measure; in the ledger it is
    only reported done: the group's sign-off (销号) meets it (``_measure_signed_off``)."""
    p = env["payload"]
    if p["measure_id"] not in (doc.get("measures") or {}):
        return {}
    if "attachment_ids" in p and not p.get("legacy"):
        return {"measures": _put(doc["measures"], p["measure_id"],
                                 reported_on=p.get("completed_on") or _day(env))}
    return {"measures": _put(doc["measures"], p["measure_id"],
                             completed_on=p.get("completed_on") or _day(env))}


def _measure_signed_off(doc: dict, env: dict) -> dict:
    p = env["payload"]
    if p["measure_id"] not in (doc.get("measures") or {}):
        return {}
    return {"measures": _put(doc["measures"], p["measure_id"], completed_on=p.get("date") or _day(env))}


def _measure_not_met(doc: dict, env: dict) -> dict:
    """Returned by the group, or a signed-off measure reopened by the office: not met."""
    p = env["payload"]
    if p["measure_id"] not in (doc.get("measures") or {}):
        return {}
    return {"measures": _put(doc["measures"], p["measure_id"], completed_on=None, reported_on=None)}


def _problem_carried(doc: dict, env: dict) -> dict:
    """结转 with the group's acceptance: the problem's measures are no longer due (their
    obligations end as ``waived``, the group's acceptance the reason)."""
    p = env["payload"]
    return {"carried": _put(doc.get("carried"), p["problem_id"], on=p.get("date") or _day(env),
                            reason=p.get("reason") or "")}


def _problem_reopened(doc: dict, env: dict) -> dict:
    p = env["payload"]
    if p["problem_id"] not in (doc.get("carried") or {}):
        return {}
    return {"carried": {k: v for k, v in doc["carried"].items() if k != p["problem_id"]}}


def _plan_reviewed(doc: dict, env: dict) -> dict:
    p = env["payload"]
    if p.get("decision") != "approve":
        return {}
    return {"plan_approved_on": _first(doc, "plan_approved_on", p.get("date") or _day(env))}


def _report_filed(doc: dict, env: dict) -> dict:
    p = env["payload"]
    if p.get("kind") != "contact_details":
        return {}
    return {"contact_reported_on": _first(doc, "contact_reported_on", p.get("date") or _day(env))}


def _survey_closed(doc: dict, env: dict) -> dict:
    p = env["payload"]
    return {"surveys": _put(doc.get("surveys"), p["survey_id"], closed_on=p.get("closed_on") or _day(env))}


UNITS_FACTS = {
    "MobilizationMeetingScheduled": lambda d, e: {"meeting_date": e["payload"]["date"]},
    "PhaseEntered": _phase_entered,
    "DeadlineApplied": _deadline_applied,
    "RequirementsSet": lambda d, e: {"requirements_set_on": _first(d, "requirements_set_on", _day(e))},
    "RectificationMeasureAdded": lambda d, e: {"measures": _put(
        d.get("measures"), e["payload"]["measure_id"], due=e["payload"].get("due"),
        problem_id=e["payload"].get("problem_id"))},
    "RectificationMeasureCompleted": _measure_done,
    "MeasureSignedOff": _measure_signed_off,
    "MeasureReturned": _measure_not_met,
    "MeasureReopened": _measure_not_met,
    "ProblemCarriedForward": _problem_carried,
    "ProblemReopened": _problem_reopened,
    # issue 19: people notified under pseudonymous ids, their names erased after retention
    "PublicNotified": lambda d, e: {"respondents_notified": True} if e["payload"].get("people") else {},
    "RespondentNamesErased": lambda d, e: {"respondents_erased_on": _first(
        d, "respondents_erased_on", e["payload"]["erased_on"])},
}
def _directive_sent(doc: dict, env: dict) -> dict:
    p = env["payload"]
    return {"directives": _put(doc.get("directives"), p["directive_id"], recipient=p["recipient"],
                               reply_by=p["reply_by"], sent_on=p["sent_on"])}


def _directive_replied(doc: dict, env: dict) -> dict:
    p = env["payload"]
    if p["directive_id"] not in (doc.get("directives") or {}):
        return {}
    return {"directives": _put(doc["directives"], p["directive_id"], replied_on=p["replied_on"])}


SUPERVISION_FACTS = {
    "UnitAssigned": lambda d, e: {"group_id": e["payload"]["group_id"]},
    "GroupArrived": lambda d, e: {"arrived_on": _first(d, "arrived_on", e["payload"]["date"])},
    "ReportFiled": _report_filed,
    "WorkPlanReviewed": _plan_reviewed,
    "ObligationBecameOverdue": lambda d, e: {"overdue": _put(
        d.get("overdue"), e["payload"]["obligation_id"], due=e["payload"]["due"],
        on=e["payload"]["observed_on"])},
    "ObligationNoLongerOverdue": lambda d, e: {"cleared": {
        **(d.get("cleared") or {}), e["payload"]["obligation_id"]: e["payload"]["due"]}},
    "ObligationWaived": lambda d, e: {"waived": _put(
        d.get("waived"), e["payload"]["obligation_id"], reason=e["payload"]["reason"],
        on=e["payload"]["waived_on"], by=e["payload"]["waived_by"])},
    "DirectiveSent": _directive_sent,
    "DirectiveReplied": _directive_replied,
}
EVALUATION_FACTS = {
    "SurveyOpened": lambda d, e: {"surveys": _put(
        d.get("surveys"), e["payload"]["survey_id"], opened_on=e["payload"].get("opened_on") or _day(e))},
    "SurveyClosed": _survey_closed,
}


# R7: the floor as the study service records it; a lapse leaves the obligation unmet again
STUDY_FACTS = {
    "StudyFloorReached": lambda d, e: {"study_floor": {"reached_on": e["payload"]["reached_on"],
                                                       "lapsed_on": None}},
    "StudyFloorLapsed": lambda d, e: {"study_floor": {"reached_on": None,
                                                      "lapsed_on": e["payload"]["lapsed_on"]}},
}


def _party(payload: dict) -> str | None:
    """Whose obligations an event touches: its unit, or the group a directive went to
    (the obligations stream's events name it ``party``)."""
    return (payload.get("party") or payload.get("unit_id")
            or (payload.get("group_id") if "directive_id" in payload else None))


def _new(key: str, payload: dict) -> dict:
    if payload.get("recipient") == "group":  # a group's own directives (DirectiveSent)
        return {"party": key, "unit_id": None, "group_id": key}
    return {"party": key, "unit_id": key}


def _projection(source: str, facts: dict, config: SupervisionConfig) -> Projection:
    def keys(env):
        party = _party(env["payload"]) if env["type"] in facts else None
        return [party] if party else []

    def apply(doc, env, key):
        doc = doc or _new(key, env["payload"])
        changed = facts[env["type"]](doc, env)
        if not changed:
            return doc
        doc = {**doc, **changed}
        return {**doc, "obligations": unit_obligations(doc, config)}

    return Projection(OBLIGATIONS, source, keys, apply, indexes=([("group_id", 1)],))


def obligation_projections(config: SupervisionConfig) -> list[Projection]:
    return [_projection(UNITS, UNITS_FACTS, config), _projection(SUPERVISION, SUPERVISION_FACTS, config),
            _projection(EVALUATION, EVALUATION_FACTS, config), _projection(STUDY, STUDY_FACTS, config)]
