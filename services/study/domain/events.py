"""The study service's own events. All carry the unit_id: one stream per unit,
``study-<unit_id>``. Attendance events repeat the session's figures so that a
member's hours can be folded from attendance alone. ``StudyFloorReached`` and
``StudyFloorLapsed`` record the unit's standing against the floor changing, for the
services that follow study's log (supervision's ``study_floor`` obligation)."""
from __future__ import annotations

import dataclasses

from shared.domain import Event


@dataclasses.dataclass(frozen=True)
class StudyPlanSet(Event):
    """A study plan with all four of 人员/时间/内容/效果 fixed (R9)."""
    unit_id: str
    plan_version: int
    personnel: dict      # {"scope": str, "study_group_ids": [str]}
    time: dict           # {"centralised_from", "centralised_until", "planned_hours": str, ...}
    content: dict        # {"required": [key], "local_documents": [{"title", "reference"}]}
    effect: dict         # {"goals": [str], "assessment": str | None}
    warnings: list       # [{"code": str, "message": str, ...}] recorded, not refused


@dataclasses.dataclass(frozen=True)
class StudySessionRecorded(Event):
    unit_id: str
    session_id: str
    form: str                     # key of catalog.FORMS
    mode: str                     # "centralised" | "self"
    title: str | None
    content_keys: list            # keys of catalog.REQUIRED_CONTENT
    local_document: dict | None   # {"title", "reference"} for content outside the list
    date: str
    hours: str                    # canonical decimal, e.g. "3.5"
    study_group_id: str | None    # None: the whole unit
    calendar_flags: list          # [{"code": "centralised_outside_window", ...}]


@dataclasses.dataclass(frozen=True)
class StudyAttendanceRecorded(Event):
    unit_id: str
    session_id: str
    member_ids: list
    form: str
    mode: str
    date: str
    hours: str
    content_keys: list
    local_document_reference: str | None


@dataclasses.dataclass(frozen=True)
class StudyExemptionGranted(Event):
    """"一般不得少于40学时": the exception is recorded with its reason and grantor."""
    unit_id: str
    member_id: str
    reason: str
    granted_by: dict     # {"id", "name", "role"}
    date: str


@dataclasses.dataclass(frozen=True)
class StudyExemptionRevoked(Event):
    unit_id: str
    member_id: str
    reason: str
    revoked_by: dict
    date: str


@dataclasses.dataclass(frozen=True)
class StudyFloorReached(Event):
    """Every member on the unit's roster at the floor of centralised 学时, or exempted on
    record (R7: "集中学习时间一般不得少于40学时"): the fact supervision's ``study_floor``
    obligation is met by. Appended with the attendance or exemption that completed it, in
    the same append; ``reached_on`` is that command's date (the day the record first shows
    the floor met), never wall time.

    Logs written before this event existed have none for a unit whose floor was met then:
    such a unit gets one with the next attendance or exemption recorded for it (dated that
    day), and until then supervision's obligation stays open. Acceptable: nothing is lost,
    the study record itself is unchanged, and the phase gate asks study's readiness live."""
    unit_id: str
    reached_on: str
    floor: str            # the floor it was reached against, canonical hours ("40")
    member_count: int
    exempted: list        # ids of the members counted by their exemption
    cause: str            # the command it came with: "attendance" | "exemption_granted"


@dataclasses.dataclass(frozen=True)
class StudyFloorLapsed(Event):
    """The floor, reached before, no longer met: a member enrolled after it was reached
    (the units service's ``MemberEnrolled``, seen by study's reaction), or an exemption
    revoked from a member short of the floor. Supervision's obligation is open again until
    a new ``StudyFloorReached``."""
    unit_id: str
    lapsed_on: str
    floor: str
    members_below: list   # ids of the members short of the floor and not exempted
    cause: str            # "member_enrolled" | "exemption_revoked" (see domain/floor.py)


STUDY_EVENT_TYPES = frozenset({
    "StudyPlanSet", "StudySessionRecorded", "StudyAttendanceRecorded",
    "StudyExemptionGranted", "StudyExemptionRevoked", "StudyFloorReached", "StudyFloorLapsed",
})


def unit_stream(unit_id: str) -> str:
    return f"study-{unit_id}"
