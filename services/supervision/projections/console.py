"""The office console (领导小组办公室): every group and every supervised unit at a glance.

Two collections, because events of the units service name a unit but not its group:

- ``supervision_console_groups`` (one doc per group, from supervision's events):
  {group_id, name, leader_name, unit_ids, unit_count, soft_limit, over_soft_limit,
   warnings, late_arrivals: [{unit_id, date, deadline}],
   urgent_reports: [{report_id, unit_id, kind, title, date}]}
- ``supervision_console_units`` (one doc per unit, from supervision's AND units' events):
  {unit_id, name, batch, group_id, phase, phase_deadline, meeting_date, meeting_held_on,
   arrival_deadline, arrived_on, late, tasks, plan: {latest_version, reviews: {v: decision},
   pending_review}, transitions: {id: {from_phase, to_phase, status}},
   pending_group_reviews: [id], pending_office_approvals: [id], extensions: [...],
   urgent_reports: [...]}

The console query lists the group docs and, per group, the unit docs with that group_id.
"""
from __future__ import annotations

from services.supervision.domain.arrival import arrival_deadline
from services.supervision.domain.config import DEFAULT_CONFIG, SupervisionConfig
from services.supervision.projections.common import SUPERVISION, UNITS, append_once, by_types
from shared.domain import ERASED
from shared.projection import Projection

GROUPS = "supervision_console_groups"
UNITS_COLLECTION = "supervision_console_units"


# Handlers never change the document they are given (Projection's contract): _group_doc
# and _unit_doc hand them a shallow copy, on which they set top-level fields only; a
# nested dict or list is replaced by a new one, never changed in place.

# ----------------------------------------------------------------- group docs
def _group_doc(doc, group_id):
    return dict(doc) if doc else {
        "group_id": group_id, "name": "", "leader_name": "", "unit_ids": [],
        "unit_count": 0, "soft_limit": None, "over_soft_limit": False,
        "warnings": [], "late_arrivals": [], "urgent_reports": []}


def _g_formed(doc, env):
    p = env["payload"]
    return {**_group_doc(doc, p["group_id"]), "name": p["name"], "leader_name": p["leader"]["name"]}


def _g_member_erased(doc, env):
    """The office forgot a group member's name: the leader's shows 已删除."""
    p = env["payload"]
    doc = _group_doc(doc, p["group_id"])
    return {**doc, "leader_name": ERASED} if p.get("is_leader") else doc


def _g_assigned(doc, env):
    p = env["payload"]
    doc = _group_doc(doc, p["group_id"])
    doc["unit_ids"] = append_once(doc["unit_ids"], p["unit_id"])
    doc["unit_count"] = len(doc["unit_ids"])
    doc["soft_limit"] = p.get("soft_limit")
    # "一个督导组负责10个左右单位": the office sees the warning for as long as it holds.
    doc["over_soft_limit"] = doc["soft_limit"] is not None and doc["unit_count"] > doc["soft_limit"]
    doc["warnings"] = ([f"{doc['unit_count']} units assigned, above the soft limit of "
                        f"{doc['soft_limit']}"] if doc["over_soft_limit"] else [])
    return doc


def _g_arrived(doc, env):
    p = env["payload"]
    doc = _group_doc(doc, p["group_id"])
    if p["late"]:
        doc["late_arrivals"] = append_once(doc["late_arrivals"], {
            "unit_id": p["unit_id"], "date": p["date"], "deadline": p["deadline"]}, "unit_id")
    return doc


def _g_report(doc, env):
    p = env["payload"]
    doc = _group_doc(doc, p["group_id"])
    if p["urgent"]:
        doc["urgent_reports"] = append_once(doc["urgent_reports"], {
            "report_id": p["report_id"], "unit_id": p["unit_id"], "kind": p["kind"],
            "title": p["title"], "date": p["date"]}, "report_id")
    return doc


# ------------------------------------------------------------------ unit docs
def _unit_doc(doc, unit_id):
    return dict(doc) if doc else {
        "unit_id": unit_id, "name": None, "batch": None, "group_id": None,
        "phase": None, "phase_deadline": None, "meeting_date": None,
        "meeting_held_on": None, "arrival_deadline": None, "arrived_on": None,
        "late": False, "tasks": {},
        "plan": {"latest_version": None, "reviews": {}, "pending_review": False},
        "transitions": {}, "pending_group_reviews": [],
        "pending_office_approvals": [], "extensions": [], "urgent_reports": []}


def _with_pending(doc):
    """Recompute the two to-do lists from the transitions' statuses."""
    t = doc["transitions"]
    doc["pending_group_reviews"] = sorted(k for k, v in t.items() if v["status"] == "applied")
    doc["pending_office_approvals"] = sorted(k for k, v in t.items() if v["status"] == "agreed")
    return doc


def _with_plan_pending(doc):
    plan = doc["plan"]
    latest = plan["latest_version"]
    doc["plan"] = {**plan, "pending_review": latest is not None and str(latest) not in plan["reviews"]}
    return doc


def _set_transition(doc, env, status, only_if_new=False):
    p = env["payload"]
    doc = _unit_doc(doc, p["unit_id"])
    old = doc["transitions"].get(p["transition_id"])
    if only_if_new and old is not None:
        return doc  # supervision already reviewed it: the application arrived late
    old = old or {}
    doc["transitions"] = {**doc["transitions"], p["transition_id"]: {
        "from_phase": p.get("from_phase") or old.get("from_phase"),
        "to_phase": p.get("to_phase") or old.get("to_phase"), "status": status}}
    return _with_pending(doc)


def _unit_handlers_from_supervision():
    def assigned(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc["group_id"] = p["group_id"]
        if doc["arrival_deadline"] is None:
            doc["arrival_deadline"] = p.get("arrival_deadline")
        return doc

    def arrived(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc.update(arrived_on=p["date"], late=p["late"])
        doc["tasks"] = {t: "open" for t in p.get("tasks", [])}
        return doc

    def task_done(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc["tasks"] = {**doc["tasks"], p["task"]: "done"}
        return doc

    def plan_reviewed(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        plan = doc["plan"]
        plan = {**plan, "reviews": {**plan["reviews"], str(p["plan_version"]): p["decision"]}}
        if p["decision"] == "approve":
            doc["tasks"] = {**doc["tasks"], "review_work_plan": "done"}
        latest = plan["latest_version"]
        if latest is None or p["plan_version"] > latest:
            plan["latest_version"] = p["plan_version"]
        doc["plan"] = plan
        return _with_plan_pending(doc)

    def extended(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc["extensions"] = append_once(doc["extensions"], {
            "phase": p["phase"], "until": p["until"], "reason": p["reason"]})
        if doc["phase"] in (None, p["phase"]):
            doc["phase_deadline"] = p["until"]
        return doc

    def report(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        if p["urgent"]:
            doc["urgent_reports"] = append_once(doc["urgent_reports"], {
                "report_id": p["report_id"], "kind": p["kind"], "title": p["title"],
                "date": p["date"]}, "report_id")
        return doc

    return {
        "UnitAssigned": assigned,
        "GroupArrived": arrived,
        "ArrivalTaskCompleted": task_done,
        "WorkPlanReviewed": plan_reviewed,
        "TransitionAgreed": lambda d, e: _set_transition(d, e, "agreed"),
        "TransitionReturned": lambda d, e: _set_transition(d, e, "returned"),
        "TransitionApproved": lambda d, e: _set_transition(d, e, "approved"),
        "TransitionRejected": lambda d, e: _set_transition(d, e, "rejected"),
        "DeadlineExtended": extended,
        "ReportFiled": report,
    }


def _unit_handlers_from_units(config: SupervisionConfig):
    def registered(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc.update(name=p["name"], batch=p["batch"])
        doc["phase"] = doc["phase"] or "registered"
        return doc

    def meeting_scheduled(doc, env):
        # "必须在派驻单位动员会前两天到位": the deadline moves with the meeting.
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc["meeting_date"] = p["date"]
        doc["arrival_deadline"] = arrival_deadline(p["date"], config)
        return doc

    def meeting_held(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc["meeting_held_on"] = p["date"]
        return doc

    def plan_submitted(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        latest = doc["plan"]["latest_version"]
        if latest is None or p["plan_version"] > latest:
            doc["plan"] = {**doc["plan"], "latest_version": p["plan_version"]}
        return _with_plan_pending(doc)

    def phase_entered(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        doc.update(phase=p["phase"], phase_deadline=p.get("deadline"))
        return doc

    def deadline_applied(doc, env):
        p = env["payload"]
        doc = _unit_doc(doc, p["unit_id"])
        if doc["phase"] in (None, p["phase"]):
            doc["phase_deadline"] = p["until"]
        return doc

    return {
        "UnitRegistered": registered,
        "MobilizationMeetingScheduled": meeting_scheduled,
        "MobilizationMeetingHeld": meeting_held,
        "WorkPlanSubmitted": plan_submitted,
        "TransitionApplied": lambda d, e: _set_transition(d, e, "applied", only_if_new=True),
        "PhaseEntered": phase_entered,
        "DeadlineApplied": deadline_applied,
    }


def console_projections(config: SupervisionConfig = DEFAULT_CONFIG) -> list[Projection]:
    group_keys, group_apply = by_types({
        "GroupFormed": _g_formed, "UnitAssigned": _g_assigned, "GroupArrived": _g_arrived,
        "ReportFiled": _g_report, "GroupMemberDataErased": _g_member_erased}, "group_id")
    own_keys, own_apply = by_types(_unit_handlers_from_supervision(), "unit_id")
    units_keys, units_apply = by_types(_unit_handlers_from_units(config), "unit_id")
    unit_indexes = ([("group_id", 1)],)
    return [
        Projection(GROUPS, SUPERVISION, group_keys, group_apply),
        Projection(UNITS_COLLECTION, SUPERVISION, own_keys, own_apply, indexes=unit_indexes),
        # new at the unit's registration, unless a supervision event made a stub before it
        Projection(UNITS_COLLECTION, UNITS, units_keys, units_apply, indexes=unit_indexes,
                   new_on=frozenset({"UnitRegistered"})),
    ]
