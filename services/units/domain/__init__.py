"""Pure domain core of the units service: one aggregate per unit, stream "unit-<id>".

    decide(state, command, config=DEFAULT_CONFIG) -> list[Event]
    evolve(state, event) -> state
    fold(events) -> state

No nameko, pymongo or marshmallow here.
"""
from __future__ import annotations

from shared.domain import Event

from . import commands as C
from . import lifecycle, membership, planning, rectification
from .commands import *  # noqa: F401,F403
from .config import DEFAULT_CONFIG, BatchCalendar, UnitsConfig  # noqa: F401
from .events import *  # noqa: F401,F403
from .phases import ALLOWED_EDGES, NEXT_BY_APPLICATION, PHASES  # noqa: F401
from .state import UnitState, evolve, fold  # noqa: F401

STREAM_PREFIX = "unit-"


def unit_stream(unit_id: str) -> str:
    return f"{STREAM_PREFIX}{unit_id}"


def unit_id_of(stream_id: str) -> str:
    return stream_id[len(STREAM_PREFIX):]


_PLAIN = {
    C.AddSection: membership.add_section,
    C.EnrolMember: membership.enrol_member,
    C.FormStudyGroup: membership.form_study_group,
    C.PlaceMemberInStudyGroup: membership.place_member,
    C.AssignContactPoints: membership.assign_contact_points,
    C.SubmitWorkPlan: planning.submit_work_plan,
    C.NoteWorkPlanReview: planning.note_work_plan_review,
    C.SetRequirements: planning.set_requirements,
    C.ScheduleMobilizationMeeting: lifecycle.schedule_meeting,
    C.CloseTransition: lifecycle.close_transition,
    C.ApplyDeadlineExtension: lifecycle.apply_deadline_extension,
    C.AddRectificationMeasure: rectification.add_measure,
    C.CompleteRectificationMeasure: rectification.complete_measure,
    C.NotifyPublic: rectification.notify_public,
}

_CONFIGURED = {
    C.RegisterUnit: membership.register_unit,
    C.HoldMobilizationMeeting: lifecycle.hold_meeting,
    C.ApplyForTransition: lifecycle.apply_for_transition,
    C.ApplyApprovedTransition: lifecycle.apply_approved_transition,
    C.ApplySurveyResult: lifecycle.apply_survey_result,
}

COMMANDS = tuple(_PLAIN) + tuple(_CONFIGURED)


def decide(state: UnitState | None, command, config: UnitsConfig = DEFAULT_CONFIG) -> list[Event]:
    """The events one command produces against one unit's state, or a DomainError."""
    kind = type(command)
    if kind in _PLAIN:
        return _PLAIN[kind](state, command)
    if kind in _CONFIGURED:
        return _CONFIGURED[kind](state, command, config)
    raise TypeError(f"the units service has no command {kind.__name__}")
