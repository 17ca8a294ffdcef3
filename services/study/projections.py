"""Read models of the study service, pure functions of envelopes.

Collections:
- study_rosters   (units)          one doc per unit: UnitRoster.to_doc(); the
                                   entrypoint turns it back into the roster commands carry
- study_units     (units + study)  a unit's compliance sheet (members below the floor first)
- study_county    (units + study)  one row per unit for the county table (sort with
                                   domain.county_table, least compliant first)
- study_members   (units + study)  a member's study record
- study_sessions  (study)          one doc per session with its attendees

Docs fed by both logs keep a ``basis`` with one part per source (the roster
from units events, the folded study state from study events). Each apply
changes only its own source's part and re-renders the rest from the basis, so
the result does not depend on how the two logs interleave: rebuilding from the
logs gives the same figures."""
from __future__ import annotations

from typing import Callable

from shared.projection import Envelope, Projection

from .domain import (DEFAULT_CONFIG, STUDY_EVENT_TYPES, UNITS_EVENT_TYPES, StudyConfig,
                     StudyState, UnitRoster, compliance_sheet, county_row, evolve_envelope,
                     evolve_roster, member_row)
from .domain.config import config_from_environment
from .domain.figures import Attended, session_doc
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
    roster = UnitRoster.from_doc(doc) if doc else None
    return evolve_roster(roster, env).to_doc()


# ------------------------------------------------------------ unit sheet and county row

def _unit_basis_projections(collection: str, render, config: StudyConfig) -> list[Projection]:
    """Two projections (one per source log) onto one collection of unit docs."""

    def rendered(basis: dict, key: str) -> dict:
        roster = UnitRoster.from_doc(basis["roster"]) if basis.get("roster") \
            else UnitRoster(unit_id=key)
        state = StudyState.from_doc(basis.get("study"))
        return {**render(state, roster, config), "basis": basis}

    def apply_units(doc, env, key):
        basis = dict((doc or {}).get("basis") or {})
        roster = UnitRoster.from_doc(basis["roster"]) if basis.get("roster") else None
        basis["roster"] = evolve_roster(roster, env).to_doc()
        return rendered(basis, key)

    def apply_study(doc, env, key):
        basis = dict((doc or {}).get("basis") or {})
        basis["study"] = evolve_envelope(StudyState.from_doc(basis.get("study")), env).to_doc()
        return rendered(basis, key)

    return [Projection(collection, UNITS, _unit_key(UNITS_EVENT_TYPES), apply_units),
            Projection(collection, STUDY, _unit_key(STUDY_EVENT_TYPES), apply_study)]


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
    return []


def _member_keys_study(env: Envelope) -> list[str]:
    p = env["payload"]
    if env["type"] == "StudyAttendanceRecorded":
        return sorted(set(p["member_ids"]))
    if env["type"] in ("StudyExemptionGranted", "StudyExemptionRevoked"):
        return [p["member_id"]]
    return []


def _member_projections(config: StudyConfig) -> list[Projection]:
    def rendered(basis: dict, key: str) -> dict:
        member = RosterMember(**basis["member"]) if basis.get("member") else None
        attended = [Attended(a["session_id"], a["date"], a["form"], a["mode"],
                             a["half_hours"], tuple(a["content_keys"]),
                             a.get("local_document_reference"))
                    for a in basis.get("attended", [])]
        row = member_row(key, member, attended, basis.get("exemption"),
                         basis.get("study_group_ids", []), config)
        return {**row, "unit_id": basis.get("unit_id"),
                "sessions": [a.to_doc() for a in sorted(attended,
                                                         key=lambda a: (a.date, a.session_id))],
                "basis": basis}

    def apply_units(doc, env, key):
        basis = dict((doc or {}).get("basis") or {})
        p = env["payload"]
        basis["unit_id"] = p["unit_id"]
        if env["type"] == "MemberEnrolled":
            basis["member"] = {"member_id": key, "name": p.get("name") or "",
                               "section": p.get("section"),
                               "is_leader": bool(p.get("is_leader")),
                               "is_retired": bool(p.get("is_retired"))}
        else:  # StudyGroupFormed, MemberPlacedInStudyGroup
            groups = set(basis.get("study_group_ids", [])) | {p["study_group_id"]}
            basis["study_group_ids"] = sorted(groups)
        return rendered(basis, key)

    def apply_study(doc, env, key):
        basis = dict((doc or {}).get("basis") or {})
        p = env["payload"]
        basis["unit_id"] = p["unit_id"]
        if env["type"] == "StudyAttendanceRecorded":
            entry = {"session_id": p["session_id"], "date": p["date"], "form": p["form"],
                     "mode": p["mode"], "half_hours": to_half_hours(p["hours"]),
                     "content_keys": list(p["content_keys"]),
                     "local_document_reference": p.get("local_document_reference")}
            others = [a for a in basis.get("attended", []) if a["session_id"] != p["session_id"]]
            basis["attended"] = sorted(others + [entry],
                                       key=lambda a: (a["date"], a["session_id"]))
        elif env["type"] == "StudyExemptionGranted":
            basis["exemption"] = {"member_id": key, "reason": p["reason"],
                                  "granted_by": p["granted_by"], "date": p["date"]}
        else:  # StudyExemptionRevoked
            basis["exemption"] = None
        return rendered(basis, key)

    return [Projection("study_members", UNITS, _member_keys_units, apply_units,
                       indexes=([("unit_id", 1)],)),
            Projection("study_members", STUDY, _member_keys_study, apply_study,
                       indexes=([("unit_id", 1)],))]


# ------------------------------------------------------------ sessions

def _session_keys(env: Envelope) -> list[str]:
    if env["type"] in ("StudySessionRecorded", "StudyAttendanceRecorded"):
        return [env["payload"]["session_id"]]
    return []


def _apply_session(doc, env, key):
    # fold the session's own events through the unit state, then render
    basis = dict((doc or {}).get("basis") or {})
    state = evolve_envelope(StudyState.from_doc(basis.get("study")), env)
    basis["study"] = state.to_doc()
    return {**session_doc(state.sessions[key]), "unit_id": state.unit_id, "basis": basis}


def build_projections(config: StudyConfig = DEFAULT_CONFIG) -> list[Projection]:
    return [
        Projection("study_rosters", UNITS, _unit_key(UNITS_EVENT_TYPES), _apply_roster),
        *_unit_basis_projections("study_units", compliance_sheet, config),
        *_unit_basis_projections("study_county", county_row, config),
        *_member_projections(config),
        Projection("study_sessions", STUDY, _session_keys, _apply_session,
                   indexes=([("unit_id", 1), ("date", 1)],)),
    ]


# the sheets show the calendar the service decides with: DUDAO_CAMPAIGN_START moves it
# (shared/clock.py)
PROJECTIONS = build_projections(config_from_environment())
