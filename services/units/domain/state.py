"""The state of one unit stream ("unit-<id>") and the pure fold over its events.

State values are frozen dataclasses; ``evolve`` builds new ones (dicts are copied,
never mutated) so an old state seen by a caller never changes under it.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

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
    notifications: dict = dataclasses.field(default_factory=dict)  # id -> scope tuple
    history: tuple = ()  # HistoryEntry, in order

    def group_of_section(self, section: str) -> StudyGroup | None:
        return next((g for g in self.study_groups.values() if g.section == section), None)

    def retired_without_group(self) -> list[str]:
        """R20: every retired cadre is placed in a study group; these are not yet."""
        return [m.member_id for m in self.members.values() if m.is_retired and m.study_group_id is None]

    def leaders(self) -> list[Member]:
        return [m for m in self.members.values() if m.is_leader]


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


def _measure_added(s: UnitState, e: E.RectificationMeasureAdded) -> UnitState:
    measure = Measure(e.measure_id, e.kind, e.description, e.owner_member_id, e.due, e.phase)
    return dataclasses.replace(s, measures=_put(s.measures, e.measure_id, measure))


def _measure_completed(s: UnitState, e: E.RectificationMeasureCompleted) -> UnitState:
    measure = dataclasses.replace(s.measures[e.measure_id], completed_on=e.completed_on, note=e.note)
    return dataclasses.replace(s, measures=_put(s.measures, e.measure_id, measure))


def _notified(s: UnitState, e: E.PublicNotified) -> UnitState:
    return dataclasses.replace(s, notifications=_put(s.notifications, e.notification_id, tuple(e.scope)))


_HANDLERS = {
    E.UnitRegistered: _registered,
    E.UnitSectionAdded: _section_added,
    E.MemberEnrolled: _member_enrolled,
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
    E.PublicNotified: _notified,
}
