"""A group's portfolio (``supervision_group_portfolios``, one doc per group):
its people (released from their posts, later batch), temporary branch, leave, and
for each of its units what the group has done there.

Doc: {group_id, name, formed_on, leader_id, people: {member_id: {name, rank, home_unit,
post, released_from_post, is_leader, later_batch}}, branch, leaves: {leave_id: {...}},
unit_ids, unit_count, soft_limit, over_soft_limit, units: {unit_id: {assigned_on,
arrival_deadline, arrived_on, late, tasks, speech_draft_read_on, plan_reviews: {v:
{decision, missing, comments}}, transitions: {id: status}, inspections: [{inspection_id,
date, total, max_total}], committee_meetings: [{meeting_id, date, topic}], working_office,
reports: [{report_id, kind, title, date, urgent}], cases: {case_id: {kind, title,
person_name, recommended_to, publicised}}}}}

The legacy ``AcceptanceInspected`` (no longer written; 检查验收 is the evaluation
service's AcceptanceInspectionRecorded) has no handler here: old logs replay over it
without touching a portfolio.
"""
from __future__ import annotations

from services.supervision.projections.common import SUPERVISION, append_once, by_types
from shared.domain import ERASED
from shared.projection import Projection

PORTFOLIOS = "supervision_group_portfolios"


# Handlers never change the document they are given (Projection's contract): _doc hands
# them a shallow copy, and every nested dict or list they touch is rebuilt, never changed
# in place (a unit's entry goes back in with _with_unit).

def _doc(doc, group_id):
    return dict(doc) if doc else {
        "group_id": group_id, "name": "", "formed_on": None, "leader_id": None,
        "people": {}, "branch": None, "leaves": {}, "unit_ids": [], "unit_count": 0,
        "soft_limit": None, "over_soft_limit": False, "units": {}}


def _unit(doc, unit_id):
    """The unit's entry, or a fresh one (not yet in ``doc``)."""
    unit = doc["units"].get(unit_id)
    return unit if unit is not None else {
        "assigned_on": None, "arrival_deadline": None, "arrived_on": None, "late": False,
        "tasks": {}, "speech_draft_read_on": None, "plan_reviews": {}, "transitions": {},
        "inspections": [], "committee_meetings": [], "working_office": None,
        "reports": [], "cases": {}}


def _with_unit(doc, unit_id, unit):
    return {**doc, "units": {**doc["units"], unit_id: unit}}


def _on_unit(update):
    """A handler for an event about one of the group's units: ``update(unit, payload)``
    returns the unit's new entry."""
    def handle(doc, env):
        p = env["payload"]
        doc = _doc(doc, p["group_id"])
        return _with_unit(doc, p["unit_id"], update(_unit(doc, p["unit_id"]), p))
    return handle


def _formed(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    doc.update(name=p["name"], formed_on=p.get("formed_on"), leader_id=p["leader"]["member_id"])
    people = dict(doc["people"])
    for person in [p["leader"], *p["members"]]:
        people[person["member_id"]] = {
            **{k: v for k, v in person.items() if k != "member_id"},
            "is_leader": person is p["leader"], "later_batch": None}
    doc["people"] = people
    return doc


def _branch(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    doc["branch"] = {"secretary_member_id": p["secretary_member_id"], "rules": p["rules"],
                     "established_on": p["established_on"]}
    return doc


def _leave_requested(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    leave = {k: p[k] for k in ("member_id", "from_date", "to_date", "reason", "requested_on")}
    doc["leaves"] = {**doc["leaves"], p["leave_id"]: {**leave, "status": "pending"}}
    return doc


def _leave_decided(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    leave = doc["leaves"].get(p["leave_id"], {"member_id": p["member_id"]})
    doc["leaves"] = {**doc["leaves"], p["leave_id"]: {
        **leave, "status": "approved" if p["decision"] == "approve" else "denied",
        "decided_by": p["decided_by"], "decided_on": p["decided_on"], "comments": p["comments"]}}
    return doc


def _batch(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    person = doc["people"].get(p["member_id"], {})
    doc["people"] = {**doc["people"], p["member_id"]: {**person, "later_batch": p["batch"]}}
    return doc


def _assigned(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    doc["unit_ids"] = append_once(doc["unit_ids"], p["unit_id"])
    doc["unit_count"] = len(doc["unit_ids"])
    doc["soft_limit"] = p.get("soft_limit")
    doc["over_soft_limit"] = doc["soft_limit"] is not None and doc["unit_count"] > doc["soft_limit"]
    unit = {**_unit(doc, p["unit_id"]), "assigned_on": p.get("assigned_on"),
            "arrival_deadline": p.get("arrival_deadline")}
    return _with_unit(doc, p["unit_id"], unit)


def _arrived(unit, p):
    return {**unit, "arrived_on": p["date"], "late": p["late"], "arrival_deadline": p["deadline"],
            "tasks": {t: "open" for t in p.get("tasks", [])}}


def _plan_reviewed(unit, p):
    unit = {**unit, "plan_reviews": {**unit["plan_reviews"], str(p["plan_version"]): {
        "decision": p["decision"], "missing": p["missing"], "comments": p["comments"]}}}
    if p["decision"] == "approve":
        unit["tasks"] = {**unit["tasks"], "review_work_plan": "done"}
    return unit


def _transition(status):
    def update(unit, p):
        return {**unit, "transitions": {**unit["transitions"], p["transition_id"]: status}}
    return update


def _with_case(unit, case_id, case):
    return {**unit, "cases": {**unit["cases"], case_id: case}}


def _case_recommended(unit, p):
    case = unit["cases"].get(p["case_id"], {"recommended_to": [], "publicised": False})
    return _with_case(unit, p["case_id"], {
        **case, "recommended_to": append_once(case["recommended_to"], p["recipient"])})


def _case_publicised(unit, p):
    case = unit["cases"].get(p["case_id"], {"recommended_to": []})
    return _with_case(unit, p["case_id"], {**case, "publicised": True})


def _member_erased(doc, env):
    """The office forgot a group member's name (shared.personal_data): 已删除 in its place."""
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    person = doc["people"].get(p["subject_id"])
    if person is None:
        return doc
    doc["people"] = {**doc["people"], p["subject_id"]: {**person, "name": ERASED}}
    return doc


def _picked(p, keys):
    return {k: p[k] for k in keys}


HANDLERS = {
    "GroupFormed": _formed,
    "TemporaryBranchEstablished": _branch,
    "LeaveRequested": _leave_requested,
    "LeaveDecided": _leave_decided,
    "MemberBatchJoined": _batch,
    "GroupMemberDataErased": _member_erased,
    "UnitAssigned": _assigned,
    "GroupArrived": _on_unit(_arrived),
    "SpeechDraftRead": _on_unit(lambda u, p: {**u, "speech_draft_read_on": p["date"]}),
    "ArrivalTaskCompleted": _on_unit(lambda u, p: {**u, "tasks": {**u["tasks"], p["task"]: "done"}}),
    "WorkPlanReviewed": _on_unit(_plan_reviewed),
    "TransitionAgreed": _on_unit(_transition("agreed")),
    "TransitionReturned": _on_unit(_transition("returned")),
    "TransitionApproved": _on_unit(_transition("approved")),
    "TransitionRejected": _on_unit(_transition("rejected")),
    "InspectionRecorded": _on_unit(lambda u, p: {**u, "inspections": append_once(
        u["inspections"], _picked(p, ("inspection_id", "date", "total", "max_total")),
        "inspection_id")}),
    "CommitteeMeetingAttended": _on_unit(lambda u, p: {**u, "committee_meetings": append_once(
        u["committee_meetings"], _picked(p, ("meeting_id", "date", "topic")), "meeting_id")}),
    "WorkingOfficeChecked": _on_unit(lambda u, p: {**u, "working_office": _picked(
        p, ("date", "office_established", "staff_trained", "notes"))}),
    "ReportFiled": _on_unit(lambda u, p: {**u, "reports": append_once(
        u["reports"], _picked(p, ("report_id", "kind", "title", "date", "urgent")), "report_id")}),
    "TypicalCaseReported": _on_unit(lambda u, p: _with_case(u, p["case_id"], {
        "kind": p["kind"], "title": p["title"], "person_name": p["person_name"],
        "recommended_to": [], "publicised": False})),
    "TypicalCaseRecommended": _on_unit(_case_recommended),
    "TypicalCasePublicised": _on_unit(_case_publicised),
}


def portfolio_projection() -> Projection:
    keys, apply = by_types(HANDLERS, "group_id")
    return Projection(PORTFOLIOS, SUPERVISION, keys, apply)
