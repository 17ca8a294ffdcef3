"""What a unit's study figures need from its study log, small enough to update per event.

The figures (hours against the floor, coverage, exemptions, readiness, the county row)
never need the whole history of sessions and attendees. Per member they need running
totals: centralised and self-study half-hours, sessions counted, content covered. Per unit
they need the exemptions, the plan and the sessions flagged against the calendar. Keeping
exactly that (``evolve_basis``) makes each event cost the same however long the unit's
history is, where re-folding the whole ``StudyState`` per event grew with it (a county-sized
replay went quadratic). ``basis_of(state)`` gives the same value from a folded state, so the
commands' view and the projections' view cannot drift (a property test checks it).

All values are plain documents, stored as they are in the projection, and never mutated:
an update returns a new document that shares what did not change."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from .catalog import CENTRALISED, SELF
from .hours import to_half_hours
from .state import Exemption, StudyState, plan_doc

Doc = dict[str, Any]

EMPTY_TALLY: Mapping[str, Any] = {"centralised": 0, "self": 0, "sessions": 0, "content": []}
EMPTY_BASIS: Mapping[str, Any] = {"tallies": {}, "exemptions": {}, "plan": None, "flagged": []}


def counted(tally: Mapping | None, mode: str, half_hours: int, content_keys: Iterable[str]) -> Doc:
    """A member's tally after attending one more session."""
    tally = tally or EMPTY_TALLY
    content = set(tally["content"])
    content.update(content_keys)
    return {"centralised": tally["centralised"] + (half_hours if mode == CENTRALISED else 0),
            "self": tally["self"] + (half_hours if mode == SELF else 0),
            "sessions": tally["sessions"] + 1,
            "content": sorted(content)}


def exemption_doc(fields: Mapping[str, Any]) -> Doc:
    """An exemption as the state keeps it, from a StudyExemptionGranted's fields."""
    return Exemption(member_id=fields["member_id"], reason=fields["reason"],
                     granted_by=fields["granted_by"], date=fields["date"]).to_doc()


def _flagged(session_id: str, date: str, flags: Iterable[Mapping]) -> Doc:
    return {"session_id": session_id, "date": date, "calendar_flags": [dict(f) for f in flags]}


def _by_session_date(entry: Mapping) -> tuple:
    return entry["date"], entry["session_id"]


def evolve_basis(basis: Mapping | None, env: Mapping[str, Any]) -> Mapping:
    """One study-log envelope applied; other types leave the basis as it is."""
    basis = basis or EMPTY_BASIS
    kind, p = env["type"], env["payload"]
    if kind == "StudyAttendanceRecorded":
        half_hours = to_half_hours(p["hours"])
        tallies = dict(basis["tallies"])
        for member_id in p["member_ids"]:
            tallies[member_id] = counted(tallies.get(member_id), p["mode"], half_hours,
                                         p["content_keys"])
        return {**basis, "tallies": tallies}
    if kind == "StudySessionRecorded":
        if not p.get("calendar_flags"):
            return basis
        entry = _flagged(p["session_id"], p["date"], p["calendar_flags"])
        return {**basis, "flagged": sorted([*basis["flagged"], entry], key=_by_session_date)}
    if kind == "StudyExemptionGranted":
        return {**basis, "exemptions": {**basis["exemptions"], p["member_id"]: exemption_doc(p)}}
    if kind == "StudyExemptionRevoked":
        return {**basis, "exemptions": {m: e for m, e in basis["exemptions"].items()
                                        if m != p["member_id"]}}
    if kind == "StudyPlanSet":
        return {**basis, "plan": plan_doc(p)}
    return basis


def basis_of(state: StudyState) -> Mapping:
    """The same basis from a folded state (commands and the RPC readiness answer)."""
    tallies: dict[str, Doc] = {}
    flagged = []
    for session in sorted(state.sessions.values(), key=lambda s: (s.date, s.session_id)):
        for member_id in session.attendees:
            tallies[member_id] = counted(tallies.get(member_id), session.mode,
                                         session.half_hours, session.content_keys)
        if session.calendar_flags:
            flagged.append(_flagged(session.session_id, session.date, session.calendar_flags))
    return {"tallies": tallies,
            "exemptions": {m: e.to_doc() for m, e in sorted(state.exemptions.items())},
            "plan": dict(state.plan) if state.plan else None,
            "flagged": flagged}
