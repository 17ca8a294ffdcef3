"""A group's portfolio (``supervision_group_portfolios``, one doc per group):
its people (released from their posts, later batch), temporary branch, leave, and
for each of its units what the group has done there.

Doc: {group_id, name, formed_on, leader_id, people: {member_id: {name, rank, home_unit,
post, released_from_post, is_leader, later_batch}}, branch, leaves: {leave_id: {...}},
unit_ids, unit_count, soft_limit, over_soft_limit, units: {unit_id: {assigned_on,
arrival_deadline, arrived_on, late, tasks, speech_draft_read_on, plan_reviews: {v:
{decision, missing, comments}}, transitions: {id: status}, inspections: [{inspection_id,
date, total, max_total}], committee_meetings: [{meeting_id, date, topic}], working_office,
acceptance, reports: [{report_id, kind, title, date, urgent}], cases: {case_id: {kind,
title, person_name, recommended_to, publicised}}}}}
"""
from __future__ import annotations

from shared.projection import Projection
from services.supervision.projections.common import SUPERVISION, append_once, by_types

PORTFOLIOS = "supervision_group_portfolios"


def _doc(doc, group_id):
    return doc or {"group_id": group_id, "name": "", "formed_on": None, "leader_id": None,
                   "people": {}, "branch": None, "leaves": {}, "unit_ids": [], "unit_count": 0,
                   "soft_limit": None, "over_soft_limit": False, "units": {}}


def _unit(doc, unit_id):
    return doc["units"].setdefault(unit_id, {
        "assigned_on": None, "arrival_deadline": None, "arrived_on": None, "late": False,
        "tasks": {}, "speech_draft_read_on": None, "plan_reviews": {}, "transitions": {},
        "inspections": [], "committee_meetings": [], "working_office": None,
        "acceptance": None, "reports": [], "cases": {}})


def _on_unit(update):
    """A handler for an event about one of the group's units."""
    def handle(doc, env):
        p = env["payload"]
        doc = _doc(doc, p["group_id"])
        update(_unit(doc, p["unit_id"]), p)
        return doc
    return handle


def _formed(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    doc.update(name=p["name"], formed_on=p.get("formed_on"), leader_id=p["leader"]["member_id"])
    for person in [p["leader"], *p["members"]]:
        doc["people"][person["member_id"]] = {
            **{k: v for k, v in person.items() if k != "member_id"},
            "is_leader": person is p["leader"], "later_batch": None}
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
    doc["leaves"][p["leave_id"]] = {k: p[k] for k in ("member_id", "from_date", "to_date",
                                                      "reason", "requested_on")}
    doc["leaves"][p["leave_id"]]["status"] = "pending"
    return doc


def _leave_decided(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    leave = doc["leaves"].setdefault(p["leave_id"], {"member_id": p["member_id"]})
    leave.update(status="approved" if p["decision"] == "approve" else "denied",
                 decided_by=p["decided_by"], decided_on=p["decided_on"], comments=p["comments"])
    return doc


def _batch(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    doc["people"].setdefault(p["member_id"], {})["later_batch"] = p["batch"]
    return doc


def _assigned(doc, env):
    p = env["payload"]
    doc = _doc(doc, p["group_id"])
    doc["unit_ids"] = append_once(doc["unit_ids"], p["unit_id"])
    doc["unit_count"] = len(doc["unit_ids"])
    doc["soft_limit"] = p.get("soft_limit")
    doc["over_soft_limit"] = doc["soft_limit"] is not None and doc["unit_count"] > doc["soft_limit"]
    unit = _unit(doc, p["unit_id"])
    unit.update(assigned_on=p.get("assigned_on"), arrival_deadline=p.get("arrival_deadline"))
    return doc


def _arrived(unit, p):
    unit.update(arrived_on=p["date"], late=p["late"], arrival_deadline=p["deadline"],
                tasks={t: "open" for t in p.get("tasks", [])})


def _plan_reviewed(unit, p):
    unit["plan_reviews"][str(p["plan_version"])] = {
        "decision": p["decision"], "missing": p["missing"], "comments": p["comments"]}
    if p["decision"] == "approve":
        unit["tasks"]["review_work_plan"] = "done"


def _transition(status):
    def update(unit, p):
        unit["transitions"][p["transition_id"]] = status
    return update


def _case_recommended(unit, p):
    case = unit["cases"].setdefault(p["case_id"], {"recommended_to": [], "publicised": False})
    case["recommended_to"] = append_once(case["recommended_to"], p["recipient"])


HANDLERS = {
    "GroupFormed": _formed,
    "TemporaryBranchEstablished": _branch,
    "LeaveRequested": _leave_requested,
    "LeaveDecided": _leave_decided,
    "MemberBatchJoined": _batch,
    "UnitAssigned": _assigned,
    "GroupArrived": _on_unit(_arrived),
    "SpeechDraftRead": _on_unit(lambda u, p: u.update(speech_draft_read_on=p["date"])),
    "ArrivalTaskCompleted": _on_unit(lambda u, p: u["tasks"].__setitem__(p["task"], "done")),
    "WorkPlanReviewed": _on_unit(_plan_reviewed),
    "TransitionAgreed": _on_unit(_transition("agreed")),
    "TransitionReturned": _on_unit(_transition("returned")),
    "TransitionApproved": _on_unit(_transition("approved")),
    "TransitionRejected": _on_unit(_transition("rejected")),
    "InspectionRecorded": _on_unit(lambda u, p: u.__setitem__("inspections", append_once(
        u["inspections"], {k: p[k] for k in ("inspection_id", "date", "total", "max_total")},
        "inspection_id"))),
    "CommitteeMeetingAttended": _on_unit(lambda u, p: u.__setitem__(
        "committee_meetings", append_once(u["committee_meetings"], {
            k: p[k] for k in ("meeting_id", "date", "topic")}, "meeting_id"))),
    "WorkingOfficeChecked": _on_unit(lambda u, p: u.__setitem__("working_office", {
        k: p[k] for k in ("date", "office_established", "staff_trained", "notes")})),
    "AcceptanceInspected": _on_unit(lambda u, p: u.__setitem__("acceptance", {
        k: p[k] for k in ("date", "result", "office_participants", "notes")})),
    "ReportFiled": _on_unit(lambda u, p: u.__setitem__("reports", append_once(u["reports"], {
        k: p[k] for k in ("report_id", "kind", "title", "date", "urgent")}, "report_id"))),
    "TypicalCaseReported": _on_unit(lambda u, p: u["cases"].__setitem__(p["case_id"], {
        "kind": p["kind"], "title": p["title"], "person_name": p["person_name"],
        "recommended_to": [], "publicised": False})),
    "TypicalCaseRecommended": _on_unit(_case_recommended),
    "TypicalCasePublicised": _on_unit(lambda u, p: u["cases"].setdefault(
        p["case_id"], {"recommended_to": []}).__setitem__("publicised", True)),
}


def portfolio_projection() -> Projection:
    keys, apply = by_types(HANDLERS, "group_id")
    return Projection(PORTFOLIOS, SUPERVISION, keys, apply)
