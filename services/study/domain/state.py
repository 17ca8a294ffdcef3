"""One unit's study stream folded into a value. Everything here is derived from
the study service's own events only (hours are never stored as a counter)."""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from shared.domain import Event, event_from

from .events import (
    StudyAttendanceRecorded,
    StudyExemptionGranted,
    StudyExemptionRevoked,
    StudyFloorLapsed,
    StudyFloorReached,
    StudyPlanSet,
    StudySessionRecorded,
)
from .hours import to_half_hours


@dataclasses.dataclass(frozen=True)
class Session:
    session_id: str
    form: str
    mode: str
    title: str | None
    content_keys: tuple[str, ...]
    local_document: Mapping | None
    date: str
    half_hours: int
    study_group_id: str | None
    calendar_flags: tuple = ()
    attendees: frozenset = frozenset()

    @property
    def local_document_reference(self) -> str | None:
        return self.local_document.get("reference") if self.local_document else None

    def to_doc(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "form": self.form, "mode": self.mode,
                "title": self.title, "content_keys": list(self.content_keys),
                "local_document": dict(self.local_document) if self.local_document else None,
                "date": self.date, "half_hours": self.half_hours,
                "study_group_id": self.study_group_id,
                "calendar_flags": [dict(f) for f in self.calendar_flags],
                "attendees": sorted(self.attendees)}

    @classmethod
    def from_doc(cls, d: Mapping[str, Any]) -> "Session":
        return cls(session_id=d["session_id"], form=d["form"], mode=d["mode"],
                   title=d.get("title"), content_keys=tuple(d.get("content_keys", ())),
                   local_document=d.get("local_document"), date=d["date"],
                   half_hours=d["half_hours"], study_group_id=d.get("study_group_id"),
                   calendar_flags=tuple(d.get("calendar_flags", ())),
                   attendees=frozenset(d.get("attendees", ())))


@dataclasses.dataclass(frozen=True)
class Exemption:
    member_id: str
    reason: str
    granted_by: Mapping
    date: str

    def to_doc(self) -> dict[str, Any]:
        return {"member_id": self.member_id, "reason": self.reason,
                "granted_by": dict(self.granted_by), "date": self.date}


@dataclasses.dataclass(frozen=True)
class StudyState:
    unit_id: str | None = None
    version: int = 0
    plan: Mapping | None = None
    plan_version: int = 0
    sessions: Mapping[str, Session] = dataclasses.field(default_factory=dict)
    exemptions: Mapping[str, Exemption] = dataclasses.field(default_factory=dict)
    # the date the floor was last recorded reached (StudyFloorReached), None while it is
    # not, or was never recorded (logs older than the event: see StudyFloorReached)
    floor_reached_on: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "version": self.version,
                "plan": dict(self.plan) if self.plan else None,
                "plan_version": self.plan_version,
                "sessions": [s.to_doc() for _, s in sorted(self.sessions.items())],
                "exemptions": [e.to_doc() for _, e in sorted(self.exemptions.items())],
                "floor_reached_on": self.floor_reached_on}

    @classmethod
    def from_doc(cls, d: Mapping[str, Any] | None) -> "StudyState":
        if not d:
            return cls()
        return cls(unit_id=d.get("unit_id"), version=d.get("version", 0), plan=d.get("plan"),
                   plan_version=d.get("plan_version", 0),
                   sessions={s["session_id"]: Session.from_doc(s) for s in d.get("sessions", [])},
                   exemptions={e["member_id"]: Exemption(**e) for e in d.get("exemptions", [])},
                   floor_reached_on=d.get("floor_reached_on"))


def plan_doc(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The plan as the state and the figures keep it, from a StudyPlanSet's fields."""
    return {"plan_version": fields["plan_version"], "personnel": fields["personnel"],
            "time": fields["time"], "content": fields["content"], "effect": fields["effect"],
            "warnings": fields["warnings"]}


def evolve(state: StudyState, event: Event) -> StudyState:
    """Pure fold step; never raises for a stored event of this service."""
    state = dataclasses.replace(state, unit_id=state.unit_id or event.unit_id,
                                version=state.version + 1)
    if isinstance(event, StudyPlanSet):
        return dataclasses.replace(state, plan=plan_doc(event.payload()),
                                   plan_version=event.plan_version)
    if isinstance(event, StudySessionRecorded):
        session = Session(session_id=event.session_id, form=event.form, mode=event.mode,
                          title=event.title, content_keys=tuple(event.content_keys),
                          local_document=event.local_document, date=event.date,
                          half_hours=to_half_hours(event.hours),
                          study_group_id=event.study_group_id,
                          calendar_flags=tuple(event.calendar_flags))
        return dataclasses.replace(state, sessions={**state.sessions, session.session_id: session})
    if isinstance(event, StudyAttendanceRecorded):
        old = state.sessions[event.session_id]
        new = dataclasses.replace(old, attendees=old.attendees | frozenset(event.member_ids))
        return dataclasses.replace(state, sessions={**state.sessions, new.session_id: new})
    if isinstance(event, StudyExemptionGranted):
        exemption = Exemption(member_id=event.member_id, reason=event.reason,
                              granted_by=event.granted_by, date=event.date)
        return dataclasses.replace(state, exemptions={**state.exemptions,
                                                      event.member_id: exemption})
    if isinstance(event, StudyExemptionRevoked):
        rest = {k: v for k, v in state.exemptions.items() if k != event.member_id}
        return dataclasses.replace(state, exemptions=rest)
    if isinstance(event, StudyFloorReached):
        return dataclasses.replace(state, floor_reached_on=event.reached_on)
    if isinstance(event, StudyFloorLapsed):
        return dataclasses.replace(state, floor_reached_on=None)
    return state


def fold(events: Iterable[Event], state: StudyState | None = None) -> StudyState:
    state = state or StudyState()
    for event in events:
        state = evolve(state, event)
    return state


def evolve_envelope(state: StudyState, env: Mapping[str, Any]) -> StudyState:
    """Fold a stored envelope (already upcast) of this service."""
    return evolve(state, event_from(env["type"], env["payload"]))
