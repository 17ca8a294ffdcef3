"""Events of the units service. Payloads are JSON-native; dates are ISO strings.

The first names and fields follow the cross-service event contracts (shared with supervision,
study and evaluation); fields after those are this service's additions.
Other services' events are never imported here: they reach the units service as
envelope dicts and are turned into commands by ``services.units.translate``.
"""
from __future__ import annotations

import dataclasses

from shared.domain import Event

frozen = dataclasses.dataclass(frozen=True)


@frozen
class UnitRegistered(Event):
    unit_id: str
    name: str
    org_type: str  # 党委 | 党组 | 党支部
    batch: int  # 1 | 2 | 3
    sections: list = dataclasses.field(default_factory=list)
    # the batch calendar's phase end dates, frozen at registration so replay never
    # depends on today's configuration
    deadlines: dict = dataclasses.field(default_factory=dict)
    centralised_study_start: str | None = None


@frozen
class UnitSectionAdded(Event):
    unit_id: str
    section: str


@frozen
class MemberEnrolled(Event):
    unit_id: str
    member_id: str
    name: str
    section: str | None  # None only for a retired cadre outside every section
    is_leader: bool
    is_retired: bool


@frozen
class PersonalDataErased(Event):
    """The office forgot a member's personal data (crypto-shredding, shared.personal_data):
    the event store destroys the key of ``subject_id`` in the transaction that appends this.
    It carries no personal data itself."""
    unit_id: str
    subject_id: str  # the member_id whose data key is destroyed
    reason: str


@frozen
class StudyGroupFormed(Event):
    unit_id: str
    study_group_id: str
    section: str
    leader_member_id: str
    member_ids: list  # includes the leader


@frozen
class MemberPlacedInStudyGroup(Event):
    unit_id: str
    study_group_id: str
    member_id: str


@frozen
class ContactPointsAssigned(Event):
    """R21: a leadership member takes these sections as contact points (replaces earlier ones)."""
    unit_id: str
    member_id: str
    sections: list


@frozen
class WorkPlanSubmitted(Event):
    unit_id: str
    plan_version: int
    plan: dict


@frozen
class WorkPlanReviewNoted(Event):
    """The unit's record of supervision's WorkPlanReviewed for one plan version."""
    unit_id: str
    plan_version: int
    decision: str  # approve | return
    comments: str
    missing: list
    group_id: str | None = None


@frozen
class GroupArrivalNoted(Event):
    """The unit's record of supervision's GroupArrived: its group is at the unit."""
    unit_id: str
    group_id: str
    date: str


@frozen
class RequirementsSet(Event):
    unit_id: str
    text: str
    items: list


@frozen
class MobilizationMeetingScheduled(Event):
    unit_id: str
    date: str
    previous_date: str | None = None  # set when rescheduled


@frozen
class MobilizationMeetingHeld(Event):
    unit_id: str
    date: str


@frozen
class TransitionApplied(Event):
    unit_id: str
    transition_id: str
    from_phase: str
    to_phase: str
    summary: str
    # R19: the 分析评议 summary's {"work_since", "thinking_since"}; None for other phases
    review_period: dict | None = None


@frozen
class TransitionApplicationClosed(Event):
    """The open application ended: approved, returned by the group, or rejected by the office."""
    unit_id: str
    transition_id: str
    outcome: str  # approved | returned | rejected
    comments: str


@frozen
class PhaseEntered(Event):
    unit_id: str
    phase: str
    previous_phase: str
    deadline: str | None
    reason: str
    entered_on: str | None = None
    transition_id: str | None = None
    survey_id: str | None = None


@frozen
class SurveyPassNoted(Event):
    """Evaluation's SurveyPassed: the unit stays in the survey phase awaiting 检查验收 (R13)."""
    unit_id: str
    survey_id: str
    date: str
    share_leadership: float | None = None
    share_campaign: float | None = None


@frozen
class InspectionNoted(Event):
    """Evaluation's AcceptanceInspectionRecorded, with its findings: passed, the unit is
    accepted; failed, it goes back to 整改提高 (the PhaseEntered that follows)."""
    unit_id: str
    inspection_id: str
    survey_id: str
    passed: bool
    notes: str
    date: str


@frozen
class DeadlineApplied(Event):
    """The unit's record of supervision's DeadlineExtended (R6)."""
    unit_id: str
    phase: str
    until: str
    reason: str
    previous: str | None = None


# --- the rectification ledger (整改台账): problems -> measures -> evidence -> 复查 -> 销号 ---

@frozen
class ProblemRecorded(Event):
    """A problem on the unit's list (问题清单): one of the five of the plan's 二看, and where
    it came from (the plan, opinions gathered, an inspection, 党性分析 / 民主生活会, a directive)."""
    unit_id: str
    problem_id: str
    category: str | None  # shared.work_plan_vocabulary.PROBLEM_CATEGORIES; None: from before the ledger
    description: str
    source: str  # rectification.PROBLEM_SOURCES
    source_ref: str | None
    raised_by: str  # unit | supervisor (the group may propose)
    phase: str
    date: str
    # open: on the list; proposed: the group proposed it (by hand, or an inspection that scored a
    # point low), the unit accepts it (ProblemAccepted) or answers it (ProblemAnswered). Older
    # logs have none: the problem was open.
    status: str = "open"


@frozen
class ProblemAccepted(Event):
    """The unit accepts a proposed problem: it is open, and needs measures."""
    unit_id: str
    problem_id: str
    category: str
    date: str


@frozen
class ProblemAnswered(Event):
    """The unit answers a proposed problem with a reasoned reply: it is closed as answered,
    and the proposing group reads the reply in the ledger."""
    unit_id: str
    problem_id: str
    reply: str
    date: str


@frozen
class RectificationMeasureAdded(Event):
    """Version 2 puts the measure under a problem; version 1 (before the ledger) had none
    and is upcast under the unit's "carried from before the ledger" problem."""
    schema_version = 2
    unit_id: str
    measure_id: str
    kind: str  # measure (整改措施) | commitment (整改承诺)
    description: str  # the commitment text
    owner_member_id: str
    due: str
    phase: str  # rectification | remedial
    problem_id: str | None = None


@frozen
class RectificationMeasureCompleted(Event):
    """The unit reports a measure done, with its evidence (version 2); version 1 carried
    none (the unit marked its own measures complete) and is upcast with ``legacy``."""
    schema_version = 2
    unit_id: str
    measure_id: str
    completed_on: str
    note: str = ""  # the summary
    attachment_ids: list = dataclasses.field(default_factory=list)
    # each attachment's {attachment_id, sha256, size}, as AttachmentStored recorded it
    evidence: list = dataclasses.field(default_factory=list)
    legacy: bool = False


@frozen
class MeasureSignedOff(Event):
    """复查 passed: the group signs the measure off (销号)."""
    unit_id: str
    measure_id: str
    problem_id: str
    group_id: str
    comments: str
    date: str


@frozen
class MeasureReturned(Event):
    """复查 failed: the measure goes back to the unit with the group's comments."""
    unit_id: str
    measure_id: str
    problem_id: str
    group_id: str
    comments: str
    date: str
    returns: int  # how often this measure has been returned, this one included


@frozen
class MeasureReopened(Event):
    """The office reopens a signed-off measure, with a reason."""
    unit_id: str
    measure_id: str
    problem_id: str
    reason: str
    date: str


@frozen
class ProblemSignedOff(Event):
    """Every measure of the problem is signed off (appended with the last sign-off)."""
    unit_id: str
    problem_id: str
    date: str


@frozen
class ProblemReopened(Event):
    """A measure of a signed-off problem was reopened, or a new measure added to it."""
    unit_id: str
    problem_id: str
    reason: str
    date: str


@frozen
class ProblemCarryProposed(Event):
    """The unit asks to carry the problem forward (结转) beyond the campaign, with a reason."""
    unit_id: str
    problem_id: str
    reason: str
    date: str


@frozen
class ProblemCarriedForward(Event):
    """The group accepted the unit's reason: the problem is carried forward (结转)."""
    unit_id: str
    problem_id: str
    reason: str
    group_id: str
    comments: str
    date: str


@frozen
class ProblemCarryRefused(Event):
    unit_id: str
    problem_id: str
    group_id: str
    comments: str
    date: str


@frozen
class PublicNotified(Event):
    """通报 (R12, R23): who was told; the survey's sampling frame is drawn from ``scope``."""
    unit_id: str
    notification_id: str
    scope: list
    date: str
    subject: str = ""
    content: str = ""
    # the unit's phase when it notified, and what it said about 整改情况和解决问题的情况 (A):
    # a survey opens only on a notification made in phase survey that says it (older logs
    # have neither, and frame no survey)
    phase: str | None = None
    rectification_status: str = ""
    # the ledger's figures when the unit notified: {problems, signed_off, carried, open,
    # measures, overdue}; None in older logs
    ledger: dict | None = None
    # [{person_id, name}]: who ``scope``'s pseudonymous ids name, each name sealed with
    # that person's key (shared.personal_data); empty in older logs, whose scope holds names
    people: list = dataclasses.field(default_factory=list)


@frozen
class RespondentNamesErased(Event):
    """The retention after acceptance passed: the event store destroys the keys of every
    person the unit notified (``subject_ids``, pseudonymous ids) in the transaction that
    appends this. It carries no personal data; the survey's frame (the ids) stays."""
    unit_id: str
    subject_ids: list
    accepted_on: str
    retention_days: int
    due: str
    erased_on: str


__all__ = [name for name, value in list(globals().items())
           if isinstance(value, type) and issubclass(value, Event) and value is not Event]
