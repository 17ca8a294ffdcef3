"""Commands of the units service. Ids, dates and facts from other services are
supplied by the caller (the entrypoint), so ``decide`` stays pure."""
from __future__ import annotations

import dataclasses

from shared.domain import Actor

frozen = dataclasses.dataclass(frozen=True)


# --- the office ---------------------------------------------------------------

@frozen
class RegisterUnit:
    actor: Actor
    unit_id: str
    name: str
    org_type: str
    batch: int
    sections: tuple = ()


# --- the unit itself ----------------------------------------------------------

@frozen
class AddSection:
    actor: Actor
    unit_id: str
    section: str


@frozen
class EnrolMember:
    actor: Actor
    unit_id: str
    member_id: str
    name: str
    section: str | None
    is_leader: bool = False
    is_retired: bool = False


@frozen
class ErasePersonalData:
    """The office forgets a member's personal data (PIPL art. 47), with a reason."""
    actor: Actor
    unit_id: str
    member_id: str
    reason: str


@frozen
class FormStudyGroup:
    actor: Actor
    unit_id: str
    study_group_id: str
    section: str
    leader_member_id: str
    member_ids: tuple = ()


@frozen
class PlaceMemberInStudyGroup:
    actor: Actor
    unit_id: str
    study_group_id: str
    member_id: str


@frozen
class AssignContactPoints:
    actor: Actor
    unit_id: str
    member_id: str
    sections: tuple


@frozen
class SubmitWorkPlan:
    actor: Actor
    unit_id: str
    plan: dict


@frozen
class SetRequirements:
    actor: Actor
    unit_id: str
    text: str
    items: tuple = ()


@frozen
class ScheduleMobilizationMeeting:
    actor: Actor
    unit_id: str
    date: str
    today: str


@frozen
class HoldMobilizationMeeting:
    actor: Actor
    unit_id: str
    today: str
    date: str | None = None  # defaults to the scheduled date


@frozen
class ApplyForTransition:
    actor: Actor
    unit_id: str
    transition_id: str
    summary: str
    # the study service's readiness(unit_id) answer, fetched by the entrypoint when
    # the unit is in 学习动员: {"ready": bool, "members_below": [...], ...}
    study_readiness: dict | None = None
    # the evaluation service's phase-2 readiness(unit_id) answer, fetched by the entrypoint
    # when the unit is in 分析评议: {"ready": bool, "missing": [{"code", "message", ...}]}
    analysis_readiness: dict | None = None
    # R19: the 分析评议 summary's review period (defaults: the 16th Party Congress)
    work_since: str | None = None
    thinking_since: str | None = None


@frozen
class RecordProblem:
    """A problem on the list (问题清单): the unit records it; a supervisor of its group may
    propose one (``group_id`` is the unit's group as the entrypoint knows it)."""
    actor: Actor
    unit_id: str
    problem_id: str
    category: str
    description: str
    source: str
    today: str
    source_ref: str | None = None
    group_id: str | None = None


@frozen
class AcceptProblem:
    """The unit accepts a problem proposed to it (category: keep the proposed one, or set it)."""
    actor: Actor
    unit_id: str
    problem_id: str
    today: str
    category: str | None = None


@frozen
class AnswerProblem:
    """The unit answers a problem proposed to it with a reasoned reply."""
    actor: Actor
    unit_id: str
    problem_id: str
    reply: str
    today: str


@frozen
class AddRectificationMeasure:
    actor: Actor
    unit_id: str
    measure_id: str
    kind: str
    description: str
    owner_member_id: str
    due: str
    today: str
    problem_id: str | None = None  # None: the older route, filed under the unit's legacy problem


@frozen
class CompleteRectificationMeasure:
    """The unit reports a measure done. ``evidence`` is what the entrypoint found of
    ``attachment_ids`` in the service's own files ({attachment_id, sha256, size} each,
    all the unit's measure evidence); None when it did not look."""
    actor: Actor
    unit_id: str
    measure_id: str
    completed_on: str
    today: str
    note: str = ""
    attachment_ids: tuple = ()
    evidence: tuple | None = None


@frozen
class ReviewMeasure:
    """复查 by a supervisor of the unit's group: sign_off (销号) or return."""
    actor: Actor
    unit_id: str
    measure_id: str
    decision: str
    comments: str
    today: str
    group_id: str | None = None


@frozen
class ReopenMeasure:
    """The office reopens a signed-off measure, with a reason."""
    actor: Actor
    unit_id: str
    measure_id: str
    reason: str
    today: str


@frozen
class ProposeCarryForward:
    actor: Actor
    unit_id: str
    problem_id: str
    reason: str
    today: str


@frozen
class ReviewCarryForward:
    """The group accepts (the problem is carried forward, 结转) or refuses the unit's reason."""
    actor: Actor
    unit_id: str
    problem_id: str
    decision: str
    comments: str
    today: str
    group_id: str | None = None


@frozen
class NotifyPublic:
    actor: Actor
    unit_id: str
    notification_id: str
    scope: tuple
    date: str
    subject: str = ""
    content: str = ""
    rectification_status: str = ""  # 整改情况和解决问题的情况: required in phase survey
    # one pseudonymous id per person of ``scope``, generated by the edge: the log keeps the
    # ids as the scope (the survey's frame) and each name sealed with that person's key
    # (shared.personal_data). Empty: the scope is kept as given (older callers, fixtures).
    person_ids: tuple = ()


@frozen
class EraseRespondentNames:
    """The retention of the people a unit notified has passed (DUDAO_RETENTION_DAYS after
    the unit was accepted): their names are erased. The units service's own scheduler."""
    actor: Actor
    unit_id: str
    today: str
    retention_days: int


# --- facts from other services, applied by the system actor -------------------

@frozen
class NoteWorkPlanReview:
    """From supervision's WorkPlanReviewed."""
    actor: Actor
    unit_id: str
    plan_version: int
    decision: str
    comments: str = ""
    missing: tuple = ()
    group_id: str | None = None


@frozen
class NoteGroupArrival:
    """From supervision's GroupArrived: the group is at the unit (R2, R3)."""
    actor: Actor
    unit_id: str
    group_id: str
    date: str


@frozen
class NoteInspectionScores:
    """From supervision's InspectionRecorded (R14): a point scored at or below the configured
    threshold proposes a problem on the unit's list."""
    actor: Actor
    unit_id: str
    inspection_id: str
    group_id: str | None
    date: str
    scores: dict
    notes: dict
    max_score: int | None = None


@frozen
class ApplyApprovedTransition:
    """From supervision's TransitionApproved: the ONLY way a unit leaves a phase by application."""
    actor: Actor
    unit_id: str
    transition_id: str
    from_phase: str
    to_phase: str
    today: str
    comments: str = ""


@frozen
class CloseTransition:
    """From supervision's TransitionReturned (outcome 'returned') or TransitionRejected ('rejected')."""
    actor: Actor
    unit_id: str
    transition_id: str
    outcome: str
    comments: str = ""


@frozen
class ApplyDeadlineExtension:
    """From supervision's DeadlineExtended (R6)."""
    actor: Actor
    unit_id: str
    phase: str
    until: str
    reason: str


@frozen
class ApplySurveyResult:
    """From evaluation's SurveyPassed / SurveyFailed."""
    actor: Actor
    unit_id: str
    survey_id: str
    passed: bool
    today: str
    share_leadership: float | None = None
    share_campaign: float | None = None


@frozen
class ApplyInspectionResult:
    """From evaluation's AcceptanceInspectionRecorded (检查验收, R13)."""
    actor: Actor
    unit_id: str
    inspection_id: str
    survey_id: str
    passed: bool
    notes: str
    today: str


@frozen
class RosterEntry:
    """One row of an imported roster (issue 17 item 3): its row number in the file."""
    row: int
    member_id: str
    name: str
    section: str | None
    is_leader: bool = False
    is_retired: bool = False


@frozen
class EnrolMembers:
    """A whole roster enrolled at once: one MemberEnrolled per entry, in one append, or
    nothing when any row has a problem."""
    actor: Actor
    unit_id: str
    entries: tuple = ()


__all__ = [name for name, value in list(globals().items())
           if isinstance(value, type) and dataclasses.is_dataclass(value) and value not in (Actor, RosterEntry)]
