"""Read models of the study service, pure functions of envelopes.

Collections:
- study_rosters   (units)          one doc per unit: UnitRoster.to_doc(); the
                                   entrypoint turns it back into the roster commands carry
- study_units     (units + study)  one doc per unit: the county-table row (domain.county_row)
                                   and the ``basis`` the compliance sheet is rendered from
                                   when asked (``sheet_view``, with the unit's session docs)
- study_members   (units + study)  a member's study record
- study_sessions  (study)          one doc per session with its attendees

Every apply costs the same however long a unit's history is: the unit doc keeps running
tallies per member (domain/basis.py), the member doc inserts one session into its sorted
list, the session doc adds its new attendees. (Re-rendering a whole unit per event made a
county-sized rebuild quadratic.) The unit's session list, which does grow with history, is
read from study_sessions at query time rather than copied into the unit doc.

Docs fed by both logs keep a ``basis`` with one part per source (the roster from units
events, the study tallies from study events). Each apply changes only its own source's part
and re-renders the rest from the basis, so the result does not depend on how the two logs
interleave: rebuilding from the logs gives the same figures. Applies never mutate the doc
or envelope they are given (the memory runner does not copy them)."""
from __future__ import annotations

import bisect
from typing import Callable, Iterable, Mapping

from shared.personal_data import scrub
from shared.projection import Envelope, Projection

from .domain import (
    DEFAULT_CONFIG,
    EMPTY_BASIS,
    STUDY_EVENT_TYPES,
    UNITS_EVENT_TYPES,
    StudyConfig,
    StudyState,
    UnitRoster,
    counted,
    county_row_from,
    evolve_basis,
    evolve_envelope,
    evolve_roster_doc,
    member_row,
    session_doc,
    sheet_from,
)
from .domain.basis import exemption_doc
from .domain.config import config_from_environment
from .domain.figures import Attended
from .domain.hours import to_half_hours
from .domain.roster import RosterMember

UNITS, STUDY = "units", "study"


def _unit_key(types: frozenset) -> Callable[[Envelope], list[str]]:
    def keys(env: Envelope) -> list[str]:
        if env["type"] not in types:
            return []
        unit_id = env["payload"].get("unit_id")
        return [unit_id] if unit_id else []
    return keys


# ------------------------------------------------------------ rosters

def _apply_roster(doc, env, key):
    return evolve_roster_doc(doc, env)


# ------------------------------------------------------------ unit doc: county row + basis

def _unit_projections() -> list[Projection]:
    """Two projections (one per source log) onto study_units: the basis only. The figures
    are rendered when asked (sheet_view, county_view): a few microseconds per unit then,
    where rendering them here would cost that on every one of the unit's events."""

    def apply_units(doc, env, key):
        basis = (doc or {}).get("basis") or {}
        return {"unit_id": key, "basis": {**basis, "roster": evolve_roster_doc(basis.get("roster"), env)}}

    def apply_study(doc, env, key):
        basis = (doc or {}).get("basis") or {}
        return {"unit_id": key, "basis": {**basis, "study": evolve_basis(basis.get("study"), env)}}

    # new at the unit's registration (its first event in the units log), unless a study
    # event made it first
    return [Projection("study_units", UNITS, _unit_key(UNITS_EVENT_TYPES), apply_units,
                       new_on=frozenset({"UnitRegistered"})),
            Projection("study_units", STUDY, _unit_key(STUDY_EVENT_TYPES), apply_study)]


def _unit_parts(unit_doc: Mapping) -> tuple[Mapping, Mapping]:
    """(study basis, roster doc) of a study_units doc; either may not have arrived yet."""
    basis = unit_doc.get("basis") or {}
    return (basis.get("study") or EMPTY_BASIS,
            basis.get("roster") or {"unit_id": unit_doc["unit_id"]})


def sheet_view(unit_doc: Mapping, session_docs: Iterable[Mapping],
               config: StudyConfig = DEFAULT_CONFIG) -> dict:
    """The unit's compliance sheet (domain.sheet_from) from its study_units doc and its
    study_sessions docs: what GET /units/{unit}/study answers."""
    study, roster = _unit_parts(unit_doc)
    sessions = sorted(({k: v for k, v in s.items() if k not in ("_id", "unit_id")}
                       for s in session_docs), key=lambda s: (s["date"], s["session_id"]))
    return sheet_from(study, UnitRoster.from_doc(roster), sessions, config)


def county_view(unit_doc: Mapping, config: StudyConfig = DEFAULT_CONFIG) -> dict:
    """The unit's row in the county table (domain.county_row_from)."""
    return county_row_from(*_unit_parts(unit_doc), config)


# ------------------------------------------------------------ member records

def _member_keys_units(env: Envelope) -> list[str]:
    p = env["payload"]
    if env["type"] == "MemberEnrolled":
        return [p["member_id"]]
    if env["type"] == "StudyGroupFormed":
        ids = list(p.get("member_ids") or [])
        if p.get("leader_member_id"):
            ids.append(p["leader_member_id"])
        return sorted(set(ids))
    if env["type"] == "MemberPlacedInStudyGroup":
        return [p["member_id"]]
    if env["type"] == "PersonalDataErased":
        return [p["subject_id"]]
    return []


def _member_keys_study(env: Envelope) -> list[str]:
    p = env["payload"]
    if env["type"] == "StudyAttendanceRecorded":
        return sorted(set(p["member_ids"]))
    if env["type"] in ("StudyExemptionGranted", "StudyExemptionRevoked"):
        return [p["member_id"]]
    return []


def _attended_entry(p: Mapping) -> dict:
    """One session as the member's record lists it."""
    return Attended(p["session_id"], p["date"], p["form"], p["mode"],
                    to_half_hours(p["hours"]), tuple(p["content_keys"]),
                    p.get("local_document_reference")).to_doc()


def _member_projections() -> list[Projection]:
    """The member's basis and the sessions they attended (their own history, inserted in
    date order); the record itself is rendered when asked (member_view)."""

    def saved(basis: Mapping, sessions: list) -> dict:
        return {"unit_id": basis["unit_id"], "sessions": sessions, "basis": basis}

    def apply_units(doc, env, key):
        if env["type"] == "PersonalDataErased":
            return None if doc is None else scrub(doc, key)
        doc = doc or {}
        p = env["payload"]
        basis = {**(doc.get("basis") or {}), "unit_id": p["unit_id"]}
        if env["type"] == "MemberEnrolled":
            basis["member"] = {"member_id": key, "name": p.get("name") or "",
                               "section": p.get("section"),
                               "is_leader": bool(p.get("is_leader")),
                               "is_retired": bool(p.get("is_retired"))}
        else:  # StudyGroupFormed, MemberPlacedInStudyGroup
            groups = set(basis.get("study_group_ids", [])) | {p["study_group_id"]}
            basis["study_group_ids"] = sorted(groups)
        return saved(basis, doc.get("sessions", []))

    def apply_study(doc, env, key):
        doc = doc or {}
        p = env["payload"]
        basis = {**(doc.get("basis") or {}), "unit_id": p["unit_id"]}
        sessions = doc.get("sessions", [])
        if env["type"] == "StudyAttendanceRecorded":
            entry = _attended_entry(p)
            at = bisect.bisect_left(sessions, _by_date(entry), key=_by_date)
            if at < len(sessions) and sessions[at]["session_id"] == entry["session_id"]:
                return doc  # counted already (a session has one date)
            sessions = [*sessions[:at], entry, *sessions[at:]]
            basis["tally"] = counted(basis.get("tally"), p["mode"], to_half_hours(p["hours"]),
                                     p["content_keys"])
        elif env["type"] == "StudyExemptionGranted":
            basis["exemption"] = exemption_doc(p)
        else:  # StudyExemptionRevoked
            basis["exemption"] = None
        return saved(basis, sessions)

    return [Projection("study_members", UNITS, _member_keys_units, apply_units,
                       indexes=([("unit_id", 1)],)),
            Projection("study_members", STUDY, _member_keys_study, apply_study,
                       indexes=([("unit_id", 1)],))]


def _by_date(entry: Mapping) -> tuple:
    return entry["date"], entry["session_id"]


def member_view(member_doc: Mapping, config: StudyConfig = DEFAULT_CONFIG) -> dict:
    """A member's study record (domain.member_row) with the sessions they attended: what
    GET /members/{member}/study answers."""
    basis = member_doc.get("basis") or {}
    member = RosterMember(**basis["member"]) if basis.get("member") else None
    row = member_row(member_doc["_id"], member, basis.get("tally"), basis.get("exemption"),
                     basis.get("study_group_ids", []), config)
    return {**row, "unit_id": member_doc.get("unit_id"), "sessions": member_doc.get("sessions", [])}


# ------------------------------------------------------------ sessions

def _session_keys(env: Envelope) -> list[str]:
    if env["type"] in ("StudySessionRecorded", "StudyAttendanceRecorded"):
        return [env["payload"]["session_id"]]
    return []


def _apply_session(doc, env, key):
    if env["type"] == "StudySessionRecorded":
        state = evolve_envelope(StudyState(), env)
        return {**session_doc(state.sessions[key]), "unit_id": state.unit_id}
    # StudyAttendanceRecorded: the session was recorded before, in the same log
    attendees = sorted(set(doc["attendee_ids"]).union(env["payload"]["member_ids"]))
    return {**doc, "attendee_ids": attendees, "attendee_count": len(attendees)}


def build_projections() -> list[Projection]:
    return [
        Projection("study_rosters", UNITS, _unit_key(UNITS_EVENT_TYPES), _apply_roster,
                   new_on=frozenset({"UnitRegistered"})),
        *_unit_projections(),
        *_member_projections(),
        Projection("study_sessions", STUDY, _session_keys, _apply_session,
                   indexes=([("unit_id", 1), ("date", 1)],)),
    ]


# The stored documents do not depend on configuration (the floor, the calendar): the views
# render figures with the configuration the service decides with, so a rebuild or an
# as-of replay needs no DUDAO_CAMPAIGN_START to agree with the live documents.
PROJECTIONS = build_projections()


def _unit_sheet_in(doc: Mapping, collections: Mapping[str, Mapping]) -> dict:
    sessions = [s for s in collections.get("study_sessions", {}).values()
                if s.get("unit_id") == doc["unit_id"]]
    return sheet_view(doc, sessions, config_from_environment())


# what shared.audit.asof shows for the documents that keep a basis: the answers the
# service's API renders from them (with the calendar the service decides with)
VIEWS = {
    "study_units": _unit_sheet_in,
    "study_members": lambda doc, _collections: member_view(doc, config_from_environment()),
}
