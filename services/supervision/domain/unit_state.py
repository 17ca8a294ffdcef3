"""State of one supervised unit's stream, and its fold."""
from __future__ import annotations

import dataclasses
from typing import Iterable

from services.supervision.domain import events as ev
from services.supervision.domain.folding import fold_with, put
from services.supervision.domain.vocabulary import REVIEW_WORK_PLAN


@dataclasses.dataclass(frozen=True)
class SupervisedUnitState:
    unit_id: str | None = None
    group_id: str | None = None  # None until the office assigns the unit
    assigned_on: str | None = None
    arrival: dict | None = None  # {date, deadline, late}
    tasks: dict = dataclasses.field(default_factory=dict)  # task -> {status, done_on}
    speech_draft_read_on: str | None = None
    plan_reviews: dict = dataclasses.field(default_factory=dict)  # plan_version -> decision
    transitions: dict = dataclasses.field(default_factory=dict)  # id -> {status, ...}
    extensions: tuple = ()
    inspections: dict = dataclasses.field(default_factory=dict)  # id -> total
    committee_meetings: dict = dataclasses.field(default_factory=dict)  # id -> date
    working_office: dict | None = None  # {office_established, staff_trained, date}
    reports: dict = dataclasses.field(default_factory=dict)  # id -> kind
    cases: dict = dataclasses.field(default_factory=dict)  # id -> {kind, recommended_to, ...}

    @property
    def arrived(self) -> bool:
        return self.arrival is not None


EMPTY_UNIT = SupervisedUnitState()


def _assigned(s, e: ev.UnitAssigned):
    return dataclasses.replace(s, unit_id=e.unit_id, group_id=e.group_id, assigned_on=e.assigned_on)


def _arrived(s, e: ev.GroupArrived):
    tasks = {t: {"status": "open", "done_on": None} for t in e.tasks}
    return dataclasses.replace(s, arrival={"date": e.date, "deadline": e.deadline, "late": e.late},
                               tasks=tasks)


def _task_done(s, task: str, date: str):
    if task not in s.tasks:
        return s
    return dataclasses.replace(s, tasks=put(s.tasks, task, {"status": "done", "done_on": date}))


def _plan_reviewed(s, e: ev.WorkPlanReviewed):
    s = dataclasses.replace(s, plan_reviews=put(s.plan_reviews, e.plan_version, e.decision))
    # The first task is done when the group approves the plan.
    return _task_done(s, REVIEW_WORK_PLAN, e.date) if e.decision == "approve" else s


def _transition(status: str):
    def apply(s, e):
        old = s.transitions.get(e.transition_id, {})
        entry = {"status": status,
                 "from_phase": e.from_phase or old.get("from_phase", ""),
                 "to_phase": e.to_phase or old.get("to_phase", ""),
                 "applicant_id": getattr(e, "applicant_id", None) or old.get("applicant_id")}
        return dataclasses.replace(s, transitions=put(s.transitions, e.transition_id, entry))
    return apply


def _case_reported(s, e: ev.TypicalCaseReported):
    case = {"kind": e.kind, "recommended_to": (), "publicised": False}
    return dataclasses.replace(s, cases=put(s.cases, e.case_id, case))


def _case_recommended(s, e: ev.TypicalCaseRecommended):
    case = s.cases[e.case_id]
    case = {**case, "recommended_to": tuple(case["recommended_to"]) + (e.recipient,)}
    return dataclasses.replace(s, cases=put(s.cases, e.case_id, case))


def _case_publicised(s, e: ev.TypicalCasePublicised):
    return dataclasses.replace(s, cases=put(s.cases, e.case_id, {**s.cases[e.case_id],
                                                                  "publicised": True}))


_EVOLVERS = {
    ev.UnitAssigned: _assigned,
    ev.GroupArrived: _arrived,
    ev.SpeechDraftRead: lambda s, e: dataclasses.replace(s, speech_draft_read_on=e.date),
    ev.ArrivalTaskCompleted: lambda s, e: _task_done(s, e.task, e.date),
    ev.WorkPlanReviewed: _plan_reviewed,
    ev.TransitionAgreed: _transition("agreed"),
    ev.TransitionReturned: _transition("returned"),
    ev.TransitionApproved: _transition("approved"),
    ev.TransitionRejected: _transition("rejected"),
    ev.DeadlineExtended: lambda s, e: dataclasses.replace(
        s, extensions=s.extensions + ({"phase": e.phase, "until": e.until},)),
    ev.InspectionRecorded: lambda s, e: dataclasses.replace(
        s, inspections=put(s.inspections, e.inspection_id, e.total)),
    ev.CommitteeMeetingAttended: lambda s, e: dataclasses.replace(
        s, committee_meetings=put(s.committee_meetings, e.meeting_id, e.date)),
    ev.WorkingOfficeChecked: lambda s, e: dataclasses.replace(s, working_office={
        "office_established": e.office_established, "staff_trained": e.staff_trained,
        "date": e.date}),
    # legacy, no longer written (检查验收 is evaluation's): folds to no change
    ev.AcceptanceInspected: lambda s, e: s,
    ev.ReportFiled: lambda s, e: dataclasses.replace(
        s, reports=put(s.reports, e.report_id, e.kind)),
    ev.TypicalCaseReported: _case_reported,
    ev.TypicalCaseRecommended: _case_recommended,
    ev.TypicalCasePublicised: _case_publicised,
}


def evolve_unit(state: SupervisedUnitState, event) -> SupervisedUnitState:
    evolver = _EVOLVERS.get(type(event))
    return evolver(state, event) if evolver else state


def fold_unit(history: Iterable) -> SupervisedUnitState:
    return fold_with(evolve_unit, EMPTY_UNIT, history)


def latest_deadline(state: SupervisedUnitState, phase: str) -> str | None:
    """The last extension the office granted for a phase, if any."""
    dates = [x["until"] for x in state.extensions if x["phase"] == phase]
    return max(dates) if dates else None
