"""Figures derived purely from a folded study state plus the unit's roster:
members' hours and coverage, readiness (the RPC supervision calls before a
phase-1 transition), the compliance sheet and the county table row."""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from .catalog import CENTRALISED, FORMS, REQUIRED_CONTENT, SELF, content_labels
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


def attended_by_member(state: StudyState) -> dict[str, list[Attended]]:
    result: dict[str, list[Attended]] = {}
    for session in state.sessions.values():
        entry = Attended(session.session_id, session.date, session.form, session.mode,
                         session.half_hours, session.content_keys,
                         session.local_document_reference)
        for member_id in session.attendees:
            result.setdefault(member_id, []).append(entry)
    return result


def coverage_of(content_keys: Iterable[str]) -> dict[str, Any]:
    covered = set(content_keys)
    keys = [k for k in REQUIRED_CONTENT if k in covered]
    missing = [k for k in REQUIRED_CONTENT if k not in covered]
    return {"covered": keys, "missing": missing, "missing_labels": content_labels(missing),
            "covered_count": len(keys), "required_count": len(REQUIRED_CONTENT),
            "complete": not missing}


def member_row(member_id: str, member: RosterMember | None, attended: Iterable[Attended],
               exemption: Exemption | Mapping | None, study_group_ids: Iterable[str],
               config: StudyConfig) -> dict[str, Any]:
    """A member's study record: centralised 学时 (the floor is about these) and
    self-study counted apart; below the floor only if not exempted."""
    attended = sorted(attended, key=lambda a: (a.date, a.session_id))
    centralised = sum(a.half_hours for a in attended if a.mode == CENTRALISED)
    self_study = sum(a.half_hours for a in attended if a.mode == SELF)
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
        "self_study_hours": hours_number(self_study),
        "floor": hours_number(floor),
        "short_by": hours_number(short),
        "below_floor": short > 0 and exemption is None,
        "exempted": exemption is not None,
        "exemption": dict(exemption) if exemption else None,
        "coverage": coverage_of(k for a in attended for k in a.content_keys),
        "session_count": len(attended),
    }


def member_rows(state: StudyState, roster: UnitRoster, config: StudyConfig) -> list[dict]:
    """Every enrolled member, below-floor members first (furthest short first)."""
    attended = attended_by_member(state)
    rows = [member_row(mid, m, attended.get(mid, ()), state.exemptions.get(mid),
                       roster.groups_of(mid), config)
            for mid, m in roster.members.items()]
    return sorted(rows, key=_sheet_order)


def _sheet_order(row: dict) -> tuple:
    return (not row["below_floor"], -row["short_by"] if row["below_floor"] else 0,
            row["name"] or "", row["member_id"])


def readiness(state: StudyState, roster: UnitRoster, config: StudyConfig) -> dict[str, Any]:
    """Answer to supervision's readiness(unit_id) RPC. A unit with no members
    enrolled is not ready: there is nobody whose study could be checked."""
    rows = member_rows(state, roster, config)
    below = [{"member_id": r["member_id"], "name": r["name"], "hours": r["centralised_hours"],
              "short_by": r["short_by"]} for r in rows if r["below_floor"]]
    exempted = sorted(r["member_id"] for r in rows if r["exempted"])
    return {"unit_id": roster.unit_id, "ready": bool(rows) and not below,
            "floor": hours_number(config.floor_half_hours), "members_below": below,
            "exempted": exempted, "member_count": len(rows)}


def calendar_conflicts(state: StudyState, roster: UnitRoster, config: StudyConfig) -> list[dict]:
    """R8 conflicts: the mobilisation meeting after the centralised window began
    (B met on 18 Feb, two days into a window that opened on 16 Feb), and
    centralised sessions outside the window (flagged when recorded)."""
    conflicts = []
    calendar = config.calendar_for(roster.batch)
    meeting = roster.meeting_date
    if calendar and meeting and meeting > calendar.centralised_start:
        conflicts.append({"code": "mobilization_after_centralised_start",
                          "message": "the mobilisation meeting falls after centralised study "
                                     "has started",
                          "meeting_date": meeting,
                          "centralised_start": calendar.centralised_start})
    for session in sorted(state.sessions.values(), key=lambda s: (s.date, s.session_id)):
        for flag in session.calendar_flags:
            conflicts.append({**flag, "session_id": session.session_id, "date": session.date})
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


def _summary(state: StudyState, roster: UnitRoster, rows: list[dict],
             config: StudyConfig) -> dict[str, Any]:
    below = sum(1 for r in rows if r["below_floor"])
    exempted = sum(1 for r in rows if r["exempted"])
    compliant = len(rows) - below
    calendar = config.calendar_for(roster.batch)
    return {
        "unit_id": roster.unit_id, "name": roster.name, "org_type": roster.org_type,
        "batch": roster.batch, "floor": hours_number(config.floor_half_hours),
        "member_count": len(rows), "below_floor_count": below, "exempted_count": exempted,
        "compliant_count": compliant,
        # share of members at or above the floor or exempted; None without members
        "compliance": round(compliant / len(rows), 4) if rows else None,
        "ready": bool(rows) and below == 0,
        "mobilization_meeting": {"scheduled": roster.meeting_scheduled,
                                 "held": roster.meeting_held},
        "calendar": calendar.to_dict() if calendar else None,
        "conflicts": calendar_conflicts(state, roster, config),
        "has_plan": state.plan is not None,
    }


def compliance_sheet(state: StudyState, roster: UnitRoster, config: StudyConfig) -> dict:
    """The unit's compliance sheet: members below the floor first."""
    rows = member_rows(state, roster, config)
    sessions = sorted(state.sessions.values(), key=lambda s: (s.date, s.session_id))
    return {**_summary(state, roster, rows, config),
            "readiness": readiness(state, roster, config),
            "members": rows,
            "coverage": unit_coverage(rows),
            "sessions": [session_doc(s) for s in sessions],
            "plan": dict(state.plan) if state.plan else None}


def county_row(state: StudyState, roster: UnitRoster, config: StudyConfig) -> dict:
    rows = member_rows(state, roster, config)
    coverage = unit_coverage(rows)
    summary = _summary(state, roster, rows, config)
    summary["conflict_codes"] = sorted({c["code"] for c in summary.pop("conflicts")})
    summary.pop("calendar")
    summary["coverage_covered_count"] = coverage["covered_count"]
    summary["coverage_complete"] = coverage["complete"]
    return summary


def county_table(rows: Iterable[Mapping]) -> list[Mapping]:
    """Units by compliance, least compliant first; units without members (no
    figures at all) head the table because they need attention most."""
    def order(row):
        compliance = row.get("compliance")
        return (-1 if compliance is None else compliance, row.get("name") or "",
                row.get("unit_id") or "")
    return sorted(rows, key=order)
