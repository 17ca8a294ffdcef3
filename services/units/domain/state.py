"""The state of one unit stream ("unit-<id>") and the pure fold over its events.

State values are frozen dataclasses; ``evolve`` builds new ones (dicts are copied,
never mutated) so an old state seen by a caller never changes under it.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from shared.domain import ERASED

from . import events as E
from . import phases as P

frozen = dataclasses.dataclass(frozen=True)


@frozen
class Member:
    member_id: str
    name: str
    section: str | None
    is_leader: bool
    is_retired: bool
    study_group_id: str | None = None
    contact_sections: tuple = ()
    erased: bool = False  # PersonalDataErased: the name is gone (shared.personal_data)


@frozen
class StudyGroup:
    study_group_id: str
    section: str
    leader_member_id: str
    member_ids: tuple


@frozen
class WorkPlan:
    version: int
    plan: dict
    status: str  # submitted | approved | returned
    comments: str = ""
    missing: tuple = ()


@frozen
class Application:
    transition_id: str
    from_phase: str
    to_phase: str
    summary: str


# the per-unit problem that measures from before the ledger fold under (their events name none)
LEGACY_PROBLEM = "before-ledger"


def legacy_problem_id(unit_id: str) -> str:
    return f"{unit_id}.{LEGACY_PROBLEM}"


@frozen
class Measure:
    measure_id: str
    kind: str
    description: str
    owner_member_id: str
    due: str
    phase: str
    completed_on: str | None = None
    note: str = ""
    problem_id: str | None = None
    # open -> completed (the unit reported it done, with evidence) -> signed_off (销号) |
    # back to open when the group returns it (returns counts them)
    status: str = "open"
    attachment_ids: tuple = ()
    returns: int = 0
    comments: str = ""  # the group's last comments
    signed_off_on: str | None = None


@frozen
class Problem:
    problem_id: str
    category: str | None
    description: str
    source: str
    source_ref: str | None
    raised_by: str
    phase: str
    raised_on: str | None
    # proposed (by the group: the unit accepts or answers it) | open | signed_off |
    # carried (结转, with the group's acceptance) | answered (the unit's reasoned reply)
    status: str = "open"
    measure_ids: tuple = ()
    carry_reason: str | None = None  # the unit's proposed reason, while the group decides
    carried_reason: str | None = None
    closed_on: str | None = None
    reply: str | None = None  # the unit's answer to a proposed problem


@frozen
class HistoryEntry:
    phase: str
    previous_phase: str
    reason: str
    entered_on: str | None


@frozen
class UnitState:
    unit_id: str
    name: str
    org_type: str
    batch: int
    sections: tuple = ()
    members: dict = dataclasses.field(default_factory=dict)  # member_id -> Member
    study_groups: dict = dataclasses.field(default_factory=dict)  # id -> StudyGroup
    work_plan: WorkPlan | None = None
    requirements: dict | None = None  # {"text", "items"}
    meeting_date: str | None = None
    meeting_held_on: str | None = None
    group_arrived_on: str | None = None  # supervision's GroupArrived, noted by the system
    phase: str = P.REGISTERED
    deadlines: dict = dataclasses.field(default_factory=dict)  # phase -> ISO date
    centralised_study_start: str | None = None
    open_application: Application | None = None
    closed_transitions: dict = dataclasses.field(default_factory=dict)  # id -> outcome
    surveys_applied: tuple = ()
    awaiting_inspection: str | None = None  # the passed survey 检查验收 has yet to follow
    inspections_applied: tuple = ()
    measures: dict = dataclasses.field(default_factory=dict)  # id -> Measure
    problems: dict = dataclasses.field(default_factory=dict)  # id -> Problem (问题清单)
    notifications: dict = dataclasses.field(default_factory=dict)  # id -> scope tuple
    history: tuple = ()  # HistoryEntry, in order
    # the people notified under a pseudonymous id (PublicNotified.people): id -> name
    # erased (RespondentNamesErased)
    respondents: dict = dataclasses.field(default_factory=dict)

    def accepted_on(self) -> str | None:
        """The day the unit entered phase accepted (检查验收 passed), while it is there."""
        if self.phase != P.ACCEPTED:
            return None
        return next((h.entered_on for h in reversed(self.history) if h.phase == P.ACCEPTED), None)

    def group_of_section(self, section: str) -> StudyGroup | None:
        return next((g for g in self.study_groups.values() if g.section == section), None)

    def retired_without_group(self) -> list[str]:
        """R20: every retired cadre is placed in a study group; these are not yet."""
        return [m.member_id for m in self.members.values() if m.is_retired and m.study_group_id is None]

    def leaders(self) -> list[Member]:
        return [m for m in self.members.values() if m.is_leader]

    def open_problems(self) -> list[Problem]:
        """Problems neither signed off, carried forward with the group's acceptance, nor answered:
        a proposed problem the unit has not accepted or answered yet is open too."""
        return [p for p in self.problems.values() if p.status in ("open", "proposed")]


def _put(mapping: dict, key, value) -> dict:
    new = dict(mapping)
    new[key] = value
    return new


def _with_member(state: UnitState, member_id: str, **changes) -> UnitState:
    member = dataclasses.replace(state.members[member_id], **changes)
    return dataclasses.replace(state, members=_put(state.members, member_id, member))


def evolve(state: UnitState | None, event: E.Event) -> UnitState | None:
    """Apply one stored event. Never raises for an event ``decide`` produced."""
    handler = _HANDLERS.get(type(event))
    return handler(state, event) if handler else state


def fold(events: Iterable[E.Event], state: UnitState | None = None) -> UnitState | None:
    for event in events:
        state = evolve(state, event)
    return state


def _registered(_, e: E.UnitRegistered) -> UnitState:
    return UnitState(unit_id=e.unit_id, name=e.name, org_type=e.org_type, batch=e.batch,
                     sections=tuple(e.sections), deadlines=dict(e.deadlines),
                     centralised_study_start=e.centralised_study_start)


def _section_added(s: UnitState, e: E.UnitSectionAdded) -> UnitState:
    return dataclasses.replace(s, sections=s.sections + (e.section,))


def _member_enrolled(s: UnitState, e: E.MemberEnrolled) -> UnitState:
    member = Member(e.member_id, e.name, e.section, e.is_leader, e.is_retired)
    return dataclasses.replace(s, members=_put(s.members, e.member_id, member))


def _personal_data_erased(s: UnitState, e: E.PersonalDataErased) -> UnitState:
    if e.subject_id not in s.members:
        return s
    return _with_member(s, e.subject_id, name=ERASED, erased=True)


def _group_formed(s: UnitState, e: E.StudyGroupFormed) -> UnitState:
    group = StudyGroup(e.study_group_id, e.section, e.leader_member_id, tuple(e.member_ids))
    s = dataclasses.replace(s, study_groups=_put(s.study_groups, e.study_group_id, group))
    for member_id in e.member_ids:
        s = _with_member(s, member_id, study_group_id=e.study_group_id)
    return s


def _member_placed(s: UnitState, e: E.MemberPlacedInStudyGroup) -> UnitState:
    group = s.study_groups[e.study_group_id]
    group = dataclasses.replace(group, member_ids=group.member_ids + (e.member_id,))
    s = dataclasses.replace(s, study_groups=_put(s.study_groups, e.study_group_id, group))
    return _with_member(s, e.member_id, study_group_id=e.study_group_id)


def _contact_points(s: UnitState, e: E.ContactPointsAssigned) -> UnitState:
    return _with_member(s, e.member_id, contact_sections=tuple(e.sections))


def _plan_submitted(s: UnitState, e: E.WorkPlanSubmitted) -> UnitState:
    return dataclasses.replace(s, work_plan=WorkPlan(e.plan_version, e.plan, "submitted"))


def _plan_reviewed(s: UnitState, e: E.WorkPlanReviewNoted) -> UnitState:
    status = "approved" if e.decision == "approve" else "returned"
    plan = dataclasses.replace(s.work_plan, status=status, comments=e.comments, missing=tuple(e.missing))
    return dataclasses.replace(s, work_plan=plan)


def _group_arrived(s: UnitState, e: E.GroupArrivalNoted) -> UnitState:
    return dataclasses.replace(s, group_arrived_on=e.date)


def _requirements(s: UnitState, e: E.RequirementsSet) -> UnitState:
    return dataclasses.replace(s, requirements={"text": e.text, "items": list(e.items)})


def _scheduled(s: UnitState, e: E.MobilizationMeetingScheduled) -> UnitState:
    return dataclasses.replace(s, meeting_date=e.date)


def _held(s: UnitState, e: E.MobilizationMeetingHeld) -> UnitState:
    return dataclasses.replace(s, meeting_held_on=e.date)


def _applied(s: UnitState, e: E.TransitionApplied) -> UnitState:
    app = Application(e.transition_id, e.from_phase, e.to_phase, e.summary)
    return dataclasses.replace(s, open_application=app)


def _closed(s: UnitState, e: E.TransitionApplicationClosed) -> UnitState:
    open_app = s.open_application
    if open_app is not None and open_app.transition_id == e.transition_id:
        open_app = None
    return dataclasses.replace(s, open_application=open_app,
                               closed_transitions=_put(s.closed_transitions, e.transition_id, e.outcome))


def _phase_entered(s: UnitState, e: E.PhaseEntered) -> UnitState:
    deadlines = _put(s.deadlines, e.phase, e.deadline) if e.deadline else dict(s.deadlines)
    surveys = s.surveys_applied + ((e.survey_id,) if e.survey_id else ())
    entry = HistoryEntry(e.phase, e.previous_phase, e.reason, e.entered_on)
    return dataclasses.replace(s, phase=e.phase, deadlines=deadlines, surveys_applied=surveys,
                               history=s.history + (entry,))


def _survey_passed(s: UnitState, e: E.SurveyPassNoted) -> UnitState:
    return dataclasses.replace(s, surveys_applied=s.surveys_applied + (e.survey_id,),
                               awaiting_inspection=e.survey_id)


def _inspected(s: UnitState, e: E.InspectionNoted) -> UnitState:
    return dataclasses.replace(s, inspections_applied=s.inspections_applied + (e.inspection_id,),
                               awaiting_inspection=None)


def _deadline(s: UnitState, e: E.DeadlineApplied) -> UnitState:
    return dataclasses.replace(s, deadlines=_put(s.deadlines, e.phase, e.until))


def _with_problem(s: UnitState, problem_id: str, **changes) -> UnitState:
    problem = dataclasses.replace(s.problems[problem_id], **changes)
    return dataclasses.replace(s, problems=_put(s.problems, problem_id, problem))


def _with_measure(s: UnitState, measure_id: str, **changes) -> UnitState:
    measure = dataclasses.replace(s.measures[measure_id], **changes)
    return dataclasses.replace(s, measures=_put(s.measures, measure_id, measure))


def _problem_recorded(s: UnitState, e: E.ProblemRecorded) -> UnitState:
    problem = Problem(e.problem_id, e.category, e.description, e.source, e.source_ref, e.raised_by,
                      e.phase, e.date, status=e.status)
    return dataclasses.replace(s, problems=_put(s.problems, e.problem_id, problem))


def _problem_accepted(s: UnitState, e: E.ProblemAccepted) -> UnitState:
    return _with_problem(s, e.problem_id, status="open", category=e.category)


def _problem_answered(s: UnitState, e: E.ProblemAnswered) -> UnitState:
    return _with_problem(s, e.problem_id, status="answered", reply=e.reply, closed_on=e.date)


def _legacy_problem(s: UnitState, problem_id: str, phase: str) -> UnitState:
    """The problem an upcast measure from before the ledger lands under, made on first use."""
    if problem_id in s.problems:
        return s
    problem = Problem(problem_id, None, "整改措施 carried from before the ledger (整改台账)",
                      "before_ledger", None, "unit", phase, None)
    return dataclasses.replace(s, problems=_put(s.problems, problem_id, problem))


def _measure_added(s: UnitState, e: E.RectificationMeasureAdded) -> UnitState:
    problem_id = e.problem_id or legacy_problem_id(e.unit_id)
    s = _legacy_problem(s, problem_id, e.phase)
    measure = Measure(e.measure_id, e.kind, e.description, e.owner_member_id, e.due, e.phase,
                      problem_id=problem_id)
    s = dataclasses.replace(s, measures=_put(s.measures, e.measure_id, measure))
    return _with_problem(s, problem_id, measure_ids=s.problems[problem_id].measure_ids + (e.measure_id,))


def _measure_completed(s: UnitState, e: E.RectificationMeasureCompleted) -> UnitState:
    return _with_measure(s, e.measure_id, completed_on=e.completed_on, note=e.note, status="completed",
                         attachment_ids=tuple(e.attachment_ids))


def _measure_signed_off(s: UnitState, e: E.MeasureSignedOff) -> UnitState:
    return _with_measure(s, e.measure_id, status="signed_off", comments=e.comments, signed_off_on=e.date)


def _measure_returned(s: UnitState, e: E.MeasureReturned) -> UnitState:
    return _with_measure(s, e.measure_id, status="open", comments=e.comments, returns=e.returns,
                         completed_on=None)


def _measure_reopened(s: UnitState, e: E.MeasureReopened) -> UnitState:
    return _with_measure(s, e.measure_id, status="open", comments=e.reason, completed_on=None,
                         signed_off_on=None)


def _problem_signed_off(s: UnitState, e: E.ProblemSignedOff) -> UnitState:
    return _with_problem(s, e.problem_id, status="signed_off", closed_on=e.date, carry_reason=None)


def _problem_reopened(s: UnitState, e: E.ProblemReopened) -> UnitState:
    return _with_problem(s, e.problem_id, status="open", closed_on=None, carried_reason=None)


def _carry_proposed(s: UnitState, e: E.ProblemCarryProposed) -> UnitState:
    return _with_problem(s, e.problem_id, carry_reason=e.reason)


def _carried(s: UnitState, e: E.ProblemCarriedForward) -> UnitState:
    return _with_problem(s, e.problem_id, status="carried", carried_reason=e.reason, carry_reason=None,
                         closed_on=e.date)


def _carry_refused(s: UnitState, e: E.ProblemCarryRefused) -> UnitState:
    return _with_problem(s, e.problem_id, carry_reason=None)


def _notified(s: UnitState, e: E.PublicNotified) -> UnitState:
    respondents = {**s.respondents, **{p["person_id"]: False for p in e.people
                                       if isinstance(p, dict) and p.get("person_id")}}
    return dataclasses.replace(s, notifications=_put(s.notifications, e.notification_id, tuple(e.scope)),
                               respondents=respondents)


def _respondents_erased(s: UnitState, e: E.RespondentNamesErased) -> UnitState:
    return dataclasses.replace(s, respondents={**s.respondents, **{i: True for i in e.subject_ids}})


_HANDLERS = {
    E.UnitRegistered: _registered,
    E.UnitSectionAdded: _section_added,
    E.MemberEnrolled: _member_enrolled,
    E.PersonalDataErased: _personal_data_erased,
    E.RespondentNamesErased: _respondents_erased,
    E.StudyGroupFormed: _group_formed,
    E.MemberPlacedInStudyGroup: _member_placed,
    E.ContactPointsAssigned: _contact_points,
    E.WorkPlanSubmitted: _plan_submitted,
    E.WorkPlanReviewNoted: _plan_reviewed,
    E.GroupArrivalNoted: _group_arrived,
    E.RequirementsSet: _requirements,
    E.MobilizationMeetingScheduled: _scheduled,
    E.MobilizationMeetingHeld: _held,
    E.TransitionApplied: _applied,
    E.TransitionApplicationClosed: _closed,
    E.PhaseEntered: _phase_entered,
    E.DeadlineApplied: _deadline,
    E.SurveyPassNoted: _survey_passed,
    E.InspectionNoted: _inspected,
    E.RectificationMeasureAdded: _measure_added,
    E.RectificationMeasureCompleted: _measure_completed,
    E.ProblemRecorded: _problem_recorded,
    E.ProblemAccepted: _problem_accepted,
    E.ProblemAnswered: _problem_answered,
    E.MeasureSignedOff: _measure_signed_off,
    E.MeasureReturned: _measure_returned,
    E.MeasureReopened: _measure_reopened,
    E.ProblemSignedOff: _problem_signed_off,
    E.ProblemReopened: _problem_reopened,
    E.ProblemCarryProposed: _carry_proposed,
    E.ProblemCarriedForward: _carried,
    E.ProblemCarryRefused: _carry_refused,
    E.PublicNotified: _notified,
}
