"""Events of the supervision service. JSON-native payloads; dates as ISO strings.

The first fields of the contract events (GroupFormed, UnitAssigned, GroupArrived,
WorkPlanReviewed, Transition*, DeadlineExtended) are exactly as agreed across
services; fields after them are this service's additions.
"""
from __future__ import annotations

import dataclasses

from shared.domain import Event

frozen = dataclasses.dataclass(frozen=True)


# ------------------------------------------------------------------ group stream
@frozen
class GroupFormed(Event):
    """A person is {member_id, name, rank, home_unit, post, released_from_post: true}:
    "督导期间，大家都要脱离原来的工作岗位" (R18)."""
    group_id: str
    name: str
    leader: dict
    members: list
    formed_on: str = ""


@frozen
class TemporaryBranchEstablished(Event):
    """"成立临时党支部" with "学习、议事、请假等制度" (R18)."""
    group_id: str
    secretary_member_id: str
    rules: dict  # {"study": text, "deliberation": text, "leave": text}
    established_on: str


@frozen
class LeaveRequested(Event):
    group_id: str
    leave_id: str
    member_id: str
    from_date: str
    to_date: str
    reason: str
    requested_on: str


@frozen
class LeaveDecided(Event):
    group_id: str
    leave_id: str
    member_id: str
    decision: str  # approve | deny
    comments: str
    decided_by: str
    decided_on: str


@frozen
class MemberBatchJoined(Event):
    """"督导组成员，还要参加第二批或第三批先进性教育活动" (R18)."""
    group_id: str
    member_id: str
    batch: int  # 2 | 3
    home_unit: str


@frozen
class GroupMemberDataErased(Event):
    """The office forgot a group member's personal data (crypto-shredding,
    shared.personal_data): the event store destroys the key of ``subject_id`` (the
    member_id) in the transaction that appends this. It carries no personal data itself."""
    group_id: str
    subject_id: str  # the member_id whose data key is destroyed
    reason: str
    is_leader: bool = False  # they lead the group (the console shows the leader's name)


# ------------------------------------------------------------ supervised-unit stream
@frozen
class UnitAssigned(Event):
    group_id: str
    unit_id: str
    over_soft_limit: bool
    unit_count: int
    soft_limit: int = 10
    assigned_on: str = ""
    meeting_date: str | None = None
    arrival_deadline: str | None = None


@frozen
class GroupArrived(Event):
    group_id: str
    unit_id: str
    date: str
    deadline: str | None  # None when no mobilisation meeting was scheduled yet
    late: bool
    meeting_date: str | None = None
    tasks: list = dataclasses.field(default_factory=list)  # R3 tasks opened


@frozen
class SpeechDraftRead(Event):
    """"还要看一看党委（党组）书记在动员大会上的讲话稿" (R3)."""
    group_id: str
    unit_id: str
    date: str
    comments: str


@frozen
class ArrivalTaskCompleted(Event):
    group_id: str
    unit_id: str
    task: str
    date: str
    note: str


@frozen
class WorkPlanReviewed(Event):
    unit_id: str
    group_id: str
    plan_version: int
    decision: str  # approve | return
    comments: str
    missing: list
    checklist: dict = dataclasses.field(default_factory=dict)
    date: str = ""


@frozen
class TransitionAgreed(Event):
    transition_id: str
    unit_id: str
    group_id: str
    comments: str
    from_phase: str = ""
    to_phase: str = ""
    applicant_id: str | None = None
    readiness: dict = dataclasses.field(default_factory=dict)
    date: str = ""


@frozen
class TransitionReturned(Event):
    transition_id: str
    unit_id: str
    group_id: str
    comments: str
    from_phase: str = ""
    to_phase: str = ""
    readiness: dict = dataclasses.field(default_factory=dict)
    date: str = ""


@frozen
class TransitionApproved(Event):
    transition_id: str
    unit_id: str
    from_phase: str
    to_phase: str
    comments: str
    group_id: str = ""
    date: str = ""


@frozen
class TransitionRejected(Event):
    transition_id: str
    unit_id: str
    comments: str
    group_id: str = ""
    from_phase: str = ""
    to_phase: str = ""
    date: str = ""


@frozen
class DeadlineExtended(Event):
    """"进度服从质量……可适当延长" (R6)."""
    unit_id: str
    phase: str
    until: str
    reason: str
    previous_deadline: str | None = None
    date: str = ""


@frozen
class InspectionRecorded(Event):
    """R14: the seven points, each scored; ``total`` of ``max_total``."""
    inspection_id: str
    unit_id: str
    group_id: str
    date: str
    scores: dict
    total: int
    max_total: int
    notes: dict  # per point, optional remarks
    findings: str


@frozen
class CommitteeMeetingAttended(Event):
    """"督导组要参加各单位党委（党组）研究先进性教育活动的党委（党组）会" (R15)."""
    meeting_id: str
    unit_id: str
    group_id: str
    date: str
    topic: str
    notes: str


@frozen
class WorkingOfficeChecked(Event):
    """"督促建立强有力的工作机构，并培训好骨干力量" (R15)."""
    unit_id: str
    group_id: str
    date: str
    office_established: bool
    staff_trained: bool
    notes: str


@frozen
class AcceptanceInspected(Event):
    """Legacy: no longer written. 检查验收 (R13) is the evaluation service's
    ``AcceptanceInspectionRecorded`` (``POST /units/{unit}/acceptance-inspections``).

    Supervision once recorded its own acceptance inspection under this type; logs may
    still hold such events, and events are immutable, so the type stays registered
    (its envelopes load, hash and verify unchanged). On read it translates to nothing:
    the supervised-unit fold and every supervision projection but the unit's history
    (which lists every entry as logged) pass over it."""
    unit_id: str
    group_id: str
    date: str
    result: str  # pass | fail
    office_participants: list
    survey_id: str | None
    notes: str


@frozen
class ReportFiled(Event):
    """R16. ``urgent`` for major/policy issues: "对涉及……全局的重大问题，要及时汇报"."""
    report_id: str
    unit_id: str
    group_id: str
    kind: str
    title: str
    body: str
    date: str
    urgent: bool
    contact: dict = dataclasses.field(default_factory=dict)


@frozen
class TypicalCaseReported(Event):
    case_id: str
    unit_id: str
    group_id: str
    kind: str  # experience | person
    title: str
    description: str
    person_name: str | None
    date: str


@frozen
class TypicalCaseRecommended(Event):
    case_id: str
    unit_id: str
    group_id: str
    recipient: str  # unit | office
    date: str


@frozen
class TypicalCasePublicised(Event):
    case_id: str
    unit_id: str
    group_id: str
    date: str
    channel: str


# ---------------------------------------------------------------- briefing stream
@frozen
class BriefingCompiled(Event):
    """简报: the office's selection of a period's reports, in print order (R16)."""
    briefing_id: str
    title: str
    period_from: str
    period_to: str
    compiled_on: str
    # [{kind, label, items: [{report_id, unit_id, group_id, kind, date, title, body, urgent}]}]
    sections: list
    report_ids: list


# ---------------------------------------------------------- a unit's obligations stream
@frozen
class ObligationBecameOverdue(Event):
    """The scheduler saw ``due`` pass with the obligation not met (time passing, recorded).
    ``party``: the unit it belongs to (or the group, for a directive to a group)."""
    party: str
    obligation_id: str
    kind: str  # the obligation's type (``type`` names the event)
    due: str
    observed_on: str


@frozen
class ObligationNoLongerOverdue(Event):
    """The scheduler saw an obligation it had recorded overdue (for ``due``) met, or its due
    date moved by an extension: ``now`` its status then (met_on_time, met_late or open)."""
    party: str
    obligation_id: str
    kind: str
    due: str
    now: str
    observed_on: str


@frozen
class ObligationWaived(Event):
    """The office waived an obligation, with its reason."""
    party: str
    obligation_id: str
    kind: str
    reason: str
    waived_on: str
    waived_by: str


# ------------------------------------------------------------------ directive stream (督办)
@frozen
class DirectiveSent(Event):
    """A 督办通知 to a unit (``group_id`` its group then) or to a group (``unit_id`` None)."""
    directive_id: str
    recipient: str  # unit | group
    unit_id: str | None
    group_id: str | None
    obligation_id: str | None
    text: str
    reply_by: str
    sent_on: str
    sent_by: str
    sender_role: str


@frozen
class DirectiveAcknowledged(Event):
    directive_id: str
    unit_id: str | None
    group_id: str | None
    acknowledged_on: str
    acknowledged_by: str


@frozen
class DirectiveReplied(Event):
    directive_id: str
    unit_id: str | None
    group_id: str | None
    text: str
    replied_on: str
    replied_by: str
