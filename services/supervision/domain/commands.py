"""Commands of the supervision service.

Ids, today's date and the actor come from the caller (the request schema's
``make``). Facts owned by other services (a unit's mobilisation-meeting date, its
submitted plan, a transition application, study readiness, ...) are passed in as
plain values, filled in by the handler from this service's fact projections or the
study service (see ``handlers.py``); the rules never fetch anything.
Each command names the stream it is decided on (``stream_id``).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from services.supervision.domain.streams import (
    briefing_stream,
    directive_stream,
    group_stream,
    obligations_stream,
    unit_stream,
)
from shared.domain import Actor

frozen = dataclasses.dataclass(frozen=True)


# ----------------------------------------------------------------------- facts
@frozen
class TransitionApplication:
    """A unit's 转段申请 as the units service recorded it (TransitionApplied)."""
    transition_id: str
    unit_id: str
    from_phase: str
    to_phase: str
    summary: str = ""
    applicant_id: str | None = None  # actor id on the TransitionApplied envelope


@frozen
class Readiness:
    """What the reviewer is shown before agreeing a transition.

    ``study`` is the study service's readiness(unit_id) answer
    ({"unit_id", "ready", "floor", "members_below", "exempted"}), asked only when the
    unit leaves 学习动员 (None otherwise; when study cannot answer, the edge refuses
    with 503 ``unavailable`` before any command is built, and a None here still never
    lets a group agree to leave 学习动员); ``requirements_present`` is R11;
    ``open_rectifications`` counts rectification measures not yet completed and
    ``open_problems`` names the ledger's problems neither signed off nor carried forward
    with the group's acceptance (整改台账); ``analysis``
    is the evaluation service's phase-2 readiness(unit_id) answer ({"unit_id", "ready",
    "missing"}), asked only when the unit leaves 分析评议 and, like study, never lets a
    group agree when it is None."""
    study: dict | None = None
    requirements_present: bool = False
    open_rectifications: int = 0
    analysis: dict | None = None
    open_problems: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _OnGroup:
    @property
    def stream_id(self) -> str:
        return group_stream(self.group_id)


class _OnUnit:
    @property
    def stream_id(self) -> str:
        return unit_stream(self.unit_id)


# ------------------------------------------------------------------- the group
@frozen
class FormGroup(_OnGroup):
    """people: {member_id, name, rank, home_unit, post}."""
    group_id: str
    name: str
    leader: dict
    members: list
    formed_on: str
    actor: Actor


@frozen
class EstablishTemporaryBranch(_OnGroup):
    group_id: str
    secretary_member_id: str
    rules: dict  # study / deliberation / leave -> text
    date: str
    actor: Actor


@frozen
class RequestLeave(_OnGroup):
    group_id: str
    leave_id: str
    member_id: str
    from_date: str
    to_date: str
    reason: str
    today: str
    actor: Actor


@frozen
class DecideLeave(_OnGroup):
    group_id: str
    leave_id: str
    decision: str  # approve | deny
    comments: str
    today: str
    actor: Actor
    # the group member the entrypoint recognised the actor as (tokens carry person ids of
    # their own, not member ids); None falls back to the actor's id
    actor_member_id: str | None = None


@frozen
class RecordBatchParticipation(_OnGroup):
    group_id: str
    member_id: str
    batch: int
    actor: Actor


@frozen
class EraseGroupMemberData(_OnGroup):
    """The office forgets a group member's personal data (PIPL art. 47), with a reason."""
    group_id: str
    member_id: str
    reason: str
    actor: Actor


# ------------------------------------------------------------- a supervised unit
@frozen
class AssignUnit(_OnUnit):
    group_id: str
    unit_id: str
    today: str
    actor: Actor
    group_exists: bool = False  # the group stream has a GroupFormed
    group_unit_count: int = 0  # units the group has before this one
    unit_registered: bool = False  # the units service knows the unit
    meeting_date: str | None = None  # mobilisation meeting, if scheduled
    date: str | None = None  # the day the office assigned the unit, when recorded later
    group_formed_on: str | None = None  # the group's GroupFormed.formed_on


@frozen
class RecordArrival(_OnUnit):
    group_id: str
    unit_id: str
    date: str
    actor: Actor
    today: str  # the day the arrival is recorded: it cannot be dated later
    meeting_date: str | None = None  # the current mobilisation-meeting date


@frozen
class ReadSpeechDraft(_OnUnit):
    unit_id: str
    date: str
    comments: str
    actor: Actor
    speech_draft: str | None = None  # plan["speech_draft"] of the latest plan


@frozen
class CompleteArrivalTask(_OnUnit):
    unit_id: str
    task: str
    date: str
    note: str
    actor: Actor
    meeting_held: bool = False  # the unit's mobilisation meeting was held


@frozen
class ReviewWorkPlan(_OnUnit):
    unit_id: str
    decision: str  # approve | return
    comments: str
    today: str
    actor: Actor
    plan_version: int | None = None  # latest submitted version, None if never submitted
    plan: dict | None = None


@frozen
class ReviewTransition(_OnUnit):
    transition_id: str
    unit_id: str
    decision: str  # agree | return
    comments: str
    today: str
    actor: Actor
    application: TransitionApplication | None = None
    readiness: Readiness = Readiness()


@frozen
class DecideTransition(_OnUnit):
    transition_id: str
    unit_id: str
    decision: str  # approve | reject
    comments: str
    today: str
    actor: Actor
    application: TransitionApplication | None = None


@frozen
class ExtendDeadline(_OnUnit):
    unit_id: str
    phase: str
    until: str
    reason: str
    today: str
    actor: Actor
    current_phase: str | None = None
    current_deadline: str | None = None


@frozen
class RecordInspection(_OnUnit):
    inspection_id: str
    unit_id: str
    date: str
    scores: dict  # the seven point keys -> int
    findings: str
    actor: Actor
    notes: dict = dataclasses.field(default_factory=dict)


@frozen
class RecordCommitteeMeeting(_OnUnit):
    meeting_id: str
    unit_id: str
    date: str
    topic: str
    notes: str
    actor: Actor


@frozen
class RecordWorkingOffice(_OnUnit):
    unit_id: str
    date: str
    office_established: bool
    staff_trained: bool
    notes: str
    actor: Actor


@frozen
class FileReport(_OnUnit):
    report_id: str
    unit_id: str
    kind: str
    title: str
    body: str
    date: str
    actor: Actor
    contact: dict = dataclasses.field(default_factory=dict)


@frozen
class ReportTypicalCase(_OnUnit):
    case_id: str
    unit_id: str
    kind: str  # experience | person
    title: str
    description: str
    date: str
    actor: Actor
    person_name: str | None = None


@frozen
class RecommendTypicalCase(_OnUnit):
    case_id: str
    unit_id: str
    recipient: str  # unit | office
    date: str
    actor: Actor


@frozen
class PubliciseTypicalCase(_OnUnit):
    case_id: str
    unit_id: str
    date: str
    channel: str
    actor: Actor


# ------------------------------------------------------------------ a briefing
@frozen
class CompileBriefing:
    """``reports``: candidate report docs ({report_id, unit_id, group_id, kind,
    title, body, date, urgent}) as the reports projection holds them."""
    briefing_id: str
    title: str
    period_from: str
    period_to: str
    today: str
    actor: Actor
    reports: list = dataclasses.field(default_factory=list)

    @property
    def stream_id(self) -> str:
        return briefing_stream(self.briefing_id)


# ------------------------------------------------------------ a unit's obligations
class _OnObligations:
    @property
    def stream_id(self) -> str:
        return obligations_stream(self.party)


@frozen
class RecordOverdue(_OnObligations):
    """The scheduler's tick for one unit (or group: ``party``). ``obligations``: its
    obligations that fell due before ``today`` ({obligation_id, type, due}); ``settled``:
    those recorded overdue that no longer are ({obligation_id, type, status}); both as its
    projection derived them."""
    party: str
    today: str
    actor: Actor
    obligations: tuple = ()
    settled: tuple = ()


@frozen
class WaiveObligation(_OnObligations):
    """``obligation``: the obligation as its projection derived it (None: no such one)."""
    party: str
    obligation_id: str
    reason: str
    today: str
    actor: Actor
    obligation: dict | None = None


# ------------------------------------------------------------------ a directive (督办)
class _OnDirective:
    @property
    def stream_id(self) -> str:
        return directive_stream(self.directive_id)


@frozen
class SendDirective(_OnDirective):
    """To one unit (``unit_id``) or one group (``recipient_group_id``). Facts filled in by
    the handler: the unit's group, whether the recipient exists, the obligation named."""
    directive_id: str
    text: str
    reply_by: str
    today: str
    actor: Actor
    unit_id: str | None = None
    recipient_group_id: str | None = None
    obligation_id: str | None = None
    unit_group_id: str | None = None
    unit_known: bool = False
    group_known: bool = False
    obligation: dict | None = None


@frozen
class AcknowledgeDirective(_OnDirective):
    directive_id: str
    today: str
    actor: Actor


@frozen
class ReplyToDirective(_OnDirective):
    directive_id: str
    text: str
    today: str
    actor: Actor
