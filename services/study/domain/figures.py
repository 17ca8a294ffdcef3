"""Figures derived purely from the unit's study basis (basis.py: per-member tallies,
exemptions, plan, calendar flags) plus its roster: members' hours and coverage,
readiness (the RPC supervision calls before a phase-1 transition), the compliance
sheet and the county table row. Functions named for a folded ``StudyState`` take its
basis through ``basis_of``; the projections keep the basis itself."""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from .basis import EMPTY_TALLY, basis_of
from .catalog import FORMS, REQUIRED_CONTENT, content_labels
from .config import StudyConfig
from .hours import hours_number
from .roster import RosterMember, UnitRoster
from .state import Exemption, StudyState


@dataclasses.dataclass(frozen=True)
class Attended:
    """One session as it counts for one member."""
    session_id: str
    date: str
    form: str
    mode: str
    half_hours: int
    content_keys: tuple[str, ...]
    local_document_reference: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "date": self.date, "form": self.form,
                "form_label": FORMS.get(self.form), "mode": self.mode,
                "hours": hours_number(self.half_hours), "content_keys": list(self.content_keys),
                "local_document_reference": self.local_document_reference}


def coverage_of(content_keys: Iterable[str]) -> dict[str, Any]:
    covered = set(content_keys)
    keys = [k for k in REQUIRED_CONTENT if k in covered]
    missing = [k for k in REQUIRED_CONTENT if k not in covered]
    return {"covered": keys, "missing": missing, "missing_labels": content_labels(missing),
            "covered_count": len(keys), "required_count": len(REQUIRED_CONTENT),
            "complete": not missing}


def member_row(member_id: str, member: RosterMember | None, tally: Mapping | None,
               exemption: Exemption | Mapping | None, study_group_ids: Iterable[str],
               config: StudyConfig) -> dict[str, Any]:
    """A member's study record from their tally (basis.counted): centralised 学时 (the
    floor is about these) and self-study counted apart; below the floor only if not
    exempted."""
    tally = tally or EMPTY_TALLY
    centralised = tally["centralised"]
    floor = config.floor_half_hours
    short = max(0, floor - centralised)
    if isinstance(exemption, Exemption):
        exemption = exemption.to_doc()
    return {
        "member_id": member_id,
        "name": member.name if member else None,
        "section": member.section if member else None,
        "is_leader": member.is_leader if member else None,
        "is_retired": member.is_retired if member else None,
        "study_group_ids": sorted(study_group_ids),
        "centralised_hours": hours_number(centralised),
        "self_study_hours": hours_number(tally["self"]),
        "floor": hours_number(floor),
        "short_by": hours_number(short),
        "below_floor": short > 0 and exemption is None,
        "exempted": exemption is not None,
        "exemption": dict(exemption) if exemption else None,
        "coverage": coverage_of(tally["content"]),
        "session_count": tally["sessions"],
    }


def member_rows(basis: Mapping, roster: UnitRoster, config: StudyConfig) -> list[dict]:
    """Every enrolled member, below-floor members first (furthest short first)."""
    tallies, exemptions = basis["tallies"], basis["exemptions"]
    rows = [member_row(mid, m, tallies.get(mid), exemptions.get(mid), roster.groups_of(mid),
                       config)
            for mid, m in roster.members.items()]
    return sorted(rows, key=_sheet_order)


def _sheet_order(row: dict) -> tuple:
    return (not row["below_floor"], -row["short_by"] if row["below_floor"] else 0,
            row["name"] or "", row["member_id"])


def readiness(state: StudyState, roster: UnitRoster, config: StudyConfig) -> dict[str, Any]:
    """Answer to supervision's readiness(unit_id) RPC, from the unit's folded stream."""
    return readiness_from(basis_of(state), roster, config)


def readiness_from(basis: Mapping, roster: UnitRoster, config: StudyConfig,
                   rows: list[dict] | None = None) -> dict[str, Any]:
    """A unit with no members enrolled is not ready: there is nobody whose study could
    be checked."""
    rows = member_rows(basis, roster, config) if rows is None else rows
    below = [{"member_id": r["member_id"], "name": r["name"], "hours": r["centralised_hours"],
              "short_by": r["short_by"]} for r in rows if r["below_floor"]]
    exempted = sorted(r["member_id"] for r in rows if r["exempted"])
    return {"unit_id": roster.unit_id, "ready": bool(rows) and not below,
            "floor": hours_number(config.floor_half_hours), "members_below": below,
            "exempted": exempted, "member_count": len(rows)}


def calendar_conflicts(state: StudyState, roster: UnitRoster,
                       config: StudyConfig) -> list[dict]:
    """R8 conflicts: the mobilisation meeting after the centralised window began
    (B met on 18 Feb, two days into a window that opened on 16 Feb), and
    centralised sessions outside the window (flagged when recorded)."""
    return _conflicts(basis_of(state), roster.to_doc(), config)


def _conflicts(basis: Mapping, roster: Mapping, config: StudyConfig) -> list[dict]:
    conflicts = []
    calendar = config.calendar_for(roster.get("batch"))
    meeting = roster.get("meeting_held") or roster.get("meeting_scheduled")
    if calendar and meeting and meeting > calendar.centralised_start:
        conflicts.append({"code": "mobilization_after_centralised_start",
                          "message": "the mobilisation meeting falls after centralised study "
                                     "has started",
                          "meeting_date": meeting,
                          "centralised_start": calendar.centralised_start})
    for session in basis["flagged"]:
        for flag in session["calendar_flags"]:
            conflicts.append({**flag, "session_id": session["session_id"],
                              "date": session["date"]})
    return conflicts


def unit_coverage(rows: list[dict]) -> dict[str, Any]:
    counts = {k: 0 for k in REQUIRED_CONTENT}
    for row in rows:
        for key in row["coverage"]["covered"]:
            counts[key] += 1
    summary = coverage_of(k for k, n in counts.items() if n)
    summary["items"] = [{"key": k, "label": REQUIRED_CONTENT[k], "members_covered": n}
                        for k, n in counts.items()]
    summary["members_complete"] = sum(1 for r in rows if r["coverage"]["complete"])
    return summary


def session_doc(session, roster: UnitRoster | None = None) -> dict[str, Any]:
    return {"session_id": session.session_id, "date": session.date, "form": session.form,
            "form_label": FORMS.get(session.form), "mode": session.mode,
            "title": session.title, "hours": hours_number(session.half_hours),
            "content_keys": list(session.content_keys),
            "content_labels": content_labels(session.content_keys),
            "local_document": dict(session.local_document) if session.local_document else None,
            "study_group_id": session.study_group_id,
            "calendar_flags": [dict(f) for f in session.calendar_flags],
            "attendee_ids": sorted(session.attendees),
            "attendee_count": len(session.attendees)}


def _standing(basis: Mapping, roster: Mapping, config: StudyConfig) -> dict[str, Any]:
    """The unit's counts over its roster members. It runs on every event the projection
    applies, so it works on plain documents with set operations and builds no rows."""
    floor = config.floor_half_hours
    tallies, exemptions = basis["tallies"], basis["exemptions"]
    members = {m["member_id"] for m in roster.get("members", ())}
    attended = members.intersection(tallies)
    met = {m for m in attended if tallies[m]["centralised"] >= floor}
    below = len(members - met - exemptions.keys())
    calendar = config.calendar_for(roster.get("batch"))
    compliant = len(members) - below
    return {
        "unit_id": roster["unit_id"], "name": roster.get("name"),
        "org_type": roster.get("org_type"), "batch": roster.get("batch"),
        "floor": hours_number(floor),
        "member_count": len(members), "below_floor_count": below,
        "exempted_count": len(members.intersection(exemptions)),
        "compliant_count": compliant,
        # share of members at or above the floor or exempted; None without members
        "compliance": round(compliant / len(members), 4) if members else None,
        "ready": bool(members) and below == 0,
        "mobilization_meeting": {"scheduled": roster.get("meeting_scheduled"),
                                 "held": roster.get("meeting_held")},
        "calendar": calendar.to_dict() if calendar else None,
        "conflicts": _conflicts(basis, roster, config),
        "has_plan": basis["plan"] is not None,
        "covered": set().union(*(tallies[m]["content"] for m in attended)),
    }


def compliance_sheet(state: StudyState, roster: UnitRoster, config: StudyConfig) -> dict:
    """The unit's compliance sheet from its folded stream: members below the floor first."""
    sessions = sorted(state.sessions.values(), key=lambda s: (s.date, s.session_id))
    return sheet_from(basis_of(state), roster, [session_doc(s) for s in sessions], config)


def sheet_from(basis: Mapping, roster: UnitRoster, sessions: list[dict],
               config: StudyConfig) -> dict:
    """The compliance sheet from the basis, the roster and the unit's session docs
    (session_doc, in date order)."""
    rows = member_rows(basis, roster, config)
    summary = _standing(basis, roster.to_doc(), config)
    summary.pop("covered")
    return {**summary,
            "readiness": readiness_from(basis, roster, config, rows),
            "members": rows,
            "coverage": unit_coverage(rows),
            "sessions": sessions,
            "plan": dict(basis["plan"]) if basis["plan"] else None}


def county_row(state: StudyState, roster: UnitRoster, config: StudyConfig) -> dict:
    """One row of the county table from the unit's folded stream."""
    return county_row_from(basis_of(state), roster.to_doc(), config)


def county_row_from(basis: Mapping, roster: Mapping, config: StudyConfig) -> dict:
    """One row of the county table from the basis and the roster document."""
    row = _standing(basis, roster, config)
    anyone = row.pop("covered")
    covered = [k for k in REQUIRED_CONTENT if k in anyone]
    row["conflict_codes"] = sorted({c["code"] for c in row.pop("conflicts")})
    row.pop("calendar")
    row["coverage_covered_count"] = len(covered)
    row["coverage_complete"] = len(covered) == len(REQUIRED_CONTENT)
    return row


def county_table(rows: Iterable[Mapping]) -> list[Mapping]:
    """Units by compliance, least compliant first; units without members (no
    figures at all) head the table because they need attention most."""
    def order(row):
        compliance = row.get("compliance")
        return (-1 if compliance is None else compliance, row.get("name") or "",
                row.get("unit_id") or "")
    return sorted(rows, key=order)
