"""The study service's own events. All carry the unit_id: one stream per unit,
``study-<unit_id>``. Attendance events repeat the session's figures so that a
member's hours can be folded from attendance alone."""
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


STUDY_EVENT_TYPES = frozenset({
    "StudyPlanSet", "StudySessionRecorded", "StudyAttendanceRecorded",
    "StudyExemptionGranted", "StudyExemptionRevoked",
})


def unit_stream(unit_id: str) -> str:
    return f"study-{unit_id}"
