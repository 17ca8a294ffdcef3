"""Commands. Ids and today's date come from the edge (the schemas' ``make``); the unit's
roster (the study service's projection of units events) is added by the handler, which
also finds an attendance record's unit through its session. ``NoteMemberEnrolled`` is no
request's: the service's reaction to a units event makes it."""
from __future__ import annotations

import dataclasses
from typing import Any

from shared.domain import Actor

from .roster import UnitRoster


@dataclasses.dataclass(frozen=True)
class SetStudyPlan:
    unit_id: str
    roster: UnitRoster | None
    today: str
    personnel: dict | None = None
    time: dict | None = None
    content: dict | None = None
    effect: dict | None = None


@dataclasses.dataclass(frozen=True)
class RecordStudySession:
    unit_id: str
    session_id: str
    roster: UnitRoster | None
    today: str
    form: str
    date: str
    hours: Any
    content_keys: tuple = ()
    local_document: dict | None = None
    study_group_id: str | None = None
    title: str | None = None


@dataclasses.dataclass(frozen=True)
class RecordAttendance:
    unit_id: str
    session_id: str
    member_ids: tuple
    roster: UnitRoster | None
    today: str


@dataclasses.dataclass(frozen=True)
class GrantExemption:
    unit_id: str
    member_id: str
    reason: str
    actor: Actor
    roster: UnitRoster | None
    today: str
    # the unit's supervision group (asked of supervision when a supervisor acts)
    unit_group_id: str | None = None


@dataclasses.dataclass(frozen=True)
class RevokeExemption:
    unit_id: str
    member_id: str
    reason: str
    actor: Actor
    today: str
    unit_group_id: str | None = None  # as for GrantExemption
    # the roster, for the floor's standing after the revocation (StudyFloorLapsed); without
    # it the floor is not looked at
    roster: UnitRoster | None = None


@dataclasses.dataclass(frozen=True)
class NoteMemberEnrolled:
    """The study service's reaction to the units service's ``MemberEnrolled``: the roster
    (already with the new member) and the enrolment's date (its envelope's). Records nothing
    of its own; a floor reached before lapses (StudyFloorLapsed)."""
    unit_id: str
    member_id: str
    roster: UnitRoster | None
    today: str
