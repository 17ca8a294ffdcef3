"""decide(state, command) -> events for one unit's study stream. Pure: the roster,
today's date and the actor come in the command; configuration as an argument. After the
commands that can change the unit's standing against the floor (``FLOOR_CAUSES``), the floor
event they bring about is added to their own (domain/floor.py)."""
from __future__ import annotations

import collections
import datetime as dt
from typing import Any, Iterable

from shared.domain import Conflict, Forbidden, NotFound, Rejected

from .catalog import CENTRALISED, FORMS, PLAN_ITEMS, REQUIRED_CONTENT, mode_of
from .commands import (
    GrantExemption,
    NoteMemberEnrolled,
    RecordAttendance,
    RecordStudySession,
    RevokeExemption,
    SetStudyPlan,
)
from .config import DEFAULT_CONFIG, StudyConfig
from .events import (
    StudyAttendanceRecorded,
    StudyExemptionGranted,
    StudyExemptionRevoked,
    StudyPlanSet,
    StudySessionRecorded,
)
from .floor import floor_change
from .hours import BadHours, hours_number, hours_text, to_half_hours
from .roster import UnitRoster
from .state import StudyState

# Who may record an exemption: the unit's own Party organisation or the office.
# R7's exemption is someone else's judgement of the unit's members, never the unit's own:
# its supervision group's, or the office's
EXEMPTION_GRANTORS = ("supervisor", "office")


def decide(state: StudyState, command, config: StudyConfig = DEFAULT_CONFIG) -> list:
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"unknown command {type(command).__name__}")
    if state.unit_id is not None and state.unit_id != command.unit_id:
        raise Rejected("command is for another unit's study stream",
                       unit_id=command.unit_id, stream_unit_id=state.unit_id)
    events = handler(state, command, config)
    cause = FLOOR_CAUSES.get(type(command))
    if cause is None:
        return events
    return events + floor_change(state, events, command.roster, command.today, cause, config)


# ---------------------------------------------------------------- helpers

def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _iso_date(value: Any, field: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise Rejected(f"{field} must be an ISO date (YYYY-MM-DD)", field=field,
                       value=value) from None


def _known_roster(roster: UnitRoster | None, unit_id: str) -> UnitRoster:
    if roster is None or roster.unit_id != unit_id:
        raise NotFound(f"unit {unit_id} is not known to the study service", unit_id=unit_id)
    return roster


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise Rejected("expected a list of strings", value=value)
    return [v.strip() if isinstance(v, str) else v for v in value]


def _check_content_keys(keys: Iterable[str]) -> list[str]:
    keys = list(keys)
    unknown = [k for k in keys if k not in REQUIRED_CONTENT]
    if unknown:
        raise Rejected("content outside the required list must be given as a local document "
                       "with a document reference", unknown_content=unknown,
                       allowed=list(REQUIRED_CONTENT))
    return list(dict.fromkeys(keys))  # unique, order kept


def _local_document(doc: Any) -> dict | None:
    """Content outside R10's list is accepted only as a referenced document
    (e.g. the unit's own 实施意见 with its document number)."""
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise Rejected("local_document must be an object with title and reference")
    title, reference = _text(doc.get("title")), _text(doc.get("reference"))
    missing = [f for f, v in (("title", title), ("reference", reference)) if not v]
    if missing:
        raise Rejected("a local document must carry a title and a document reference",
                       missing=missing)
    return {"title": title, "reference": reference}


# ---------------------------------------------------------------- study plan (R9)

_TIME_REQUIRED = ("centralised_from", "centralised_until", "planned_hours")


def missing_plan_items(personnel, time, content, effect) -> dict[str, list[str]]:
    """四落实: which of 人员/时间/内容/效果 are not fixed, and which of their fields."""
    missing: dict[str, list[str]] = {}
    if not isinstance(personnel, dict) or not _text(personnel.get("scope")):
        missing["personnel"] = ["scope"]
    if not isinstance(time, dict):
        missing["time"] = list(_TIME_REQUIRED)
    else:
        absent = [f for f in _TIME_REQUIRED if time.get(f) in (None, "")]
        if absent:
            missing["time"] = absent
    if not isinstance(content, dict) or not (content.get("required")
                                             or content.get("local_documents")):
        missing["content"] = ["required", "local_documents"]
    if not isinstance(effect, dict) or not any(_text(g) for g in effect.get("goals") or []):
        missing["effect"] = ["goals"]
    return missing


def _set_study_plan(state: StudyState, cmd: SetStudyPlan, config: StudyConfig) -> list:
    roster = _known_roster(cmd.roster, cmd.unit_id)
    missing = missing_plan_items(cmd.personnel, cmd.time, cmd.content, cmd.effect)
    if missing:
        items = [k for k in PLAN_ITEMS if k in missing]
        raise Rejected("a study plan must fix personnel, time, content and effect (四落实); "
                       f"missing: {', '.join(items)}", missing=items,
                       missing_labels=[PLAN_ITEMS[k] for k in items], missing_fields=missing)
    personnel = _plan_personnel(cmd.personnel, roster)
    time = _plan_time(cmd.time, config)
    content = _plan_content(cmd.content)
    effect = {"goals": [g for g in (_text(g) for g in cmd.effect["goals"]) if g],
              "assessment": _text(cmd.effect.get("assessment")) or None}
    warnings = _plan_warnings(time, content, roster, config)
    return [StudyPlanSet(unit_id=cmd.unit_id, plan_version=state.plan_version + 1,
                         personnel=personnel, time=time, content=content, effect=effect,
                         warnings=warnings)]


def _plan_personnel(personnel: dict, roster: UnitRoster) -> dict:
    group_ids = _str_list(personnel.get("study_group_ids"))
    unknown = [g for g in group_ids if g not in roster.study_groups]
    if unknown:
        raise Rejected("the plan names study groups the unit has not formed",
                       unknown_study_groups=unknown)
    return {"scope": _text(personnel["scope"]), "study_group_ids": group_ids}


def _plan_time(time: dict, config: StudyConfig) -> dict:
    start = _iso_date(time["centralised_from"], "time.centralised_from")
    end = _iso_date(time["centralised_until"], "time.centralised_until")
    if end < start:
        raise Rejected("the centralised study period ends before it starts",
                       centralised_from=start, centralised_until=end)
    try:
        planned = to_half_hours(time["planned_hours"])
    except BadHours as exc:
        raise Rejected(str(exc), field="time.planned_hours") from None
    if planned < config.floor_half_hours:
        # "集中学习时间一般不得少于40学时": a plan cannot schedule less.
        raise Rejected("planned centralised study is below the floor",
                       planned_hours=hours_number(planned),
                       floor=hours_number(config.floor_half_hours))
    result = {"centralised_from": start, "centralised_until": end,
              "planned_hours": hours_text(planned),
              "self_study_from": None, "self_study_until": None}
    for field in ("self_study_from", "self_study_until"):
        if time.get(field) not in (None, ""):
            result[field] = _iso_date(time[field], f"time.{field}")
    if (result["self_study_from"] and result["self_study_until"]
            and result["self_study_until"] < result["self_study_from"]):
        raise Rejected("the self-study period ends before it starts")
    return result


def _plan_content(content: dict) -> dict:
    required = _check_content_keys(_str_list(content.get("required")))
    docs = content.get("local_documents") or []
    if not isinstance(docs, list):
        raise Rejected("local_documents must be a list")
    return {"required": required, "local_documents": [_local_document(d) for d in docs]}


def _plan_warnings(time: dict, content: dict, roster: UnitRoster, config: StudyConfig) -> list:
    """Recorded with the plan rather than refused: the office decides what to do."""
    warnings = []
    calendar = config.calendar_for(roster.batch)
    if calendar and not (calendar.in_window(time["centralised_from"])
                         and calendar.in_window(time["centralised_until"])):
        warnings.append({"code": "centralised_outside_window",
                         "message": "the planned centralised study lies outside the batch's "
                                    "centralised window",
                         "window": [calendar.centralised_start, calendar.centralised_end]})
    not_planned = [k for k in REQUIRED_CONTENT if k not in content["required"]]
    if not_planned:
        warnings.append({"code": "required_content_not_planned",
                         "message": "the plan leaves out required content",
                         "content_keys": not_planned})
    return warnings


# ---------------------------------------------------------------- sessions (R10, R8)

def _record_session(state: StudyState, cmd: RecordStudySession, config: StudyConfig) -> list:
    roster = _known_roster(cmd.roster, cmd.unit_id)
    if not _text(cmd.session_id):
        raise Rejected("a session needs an id")
    if cmd.session_id in state.sessions:
        raise Conflict("this study session is already recorded", session_id=cmd.session_id)
    if cmd.form not in FORMS:
        raise Rejected(f"unknown study form {cmd.form!r}", form=cmd.form, allowed=list(FORMS))
    content_keys = _check_content_keys(_str_list(cmd.content_keys))
    local_document = _local_document(cmd.local_document)
    if not content_keys and local_document is None:
        raise Rejected("a session must name its content from the required list or as a "
                       "local document with a reference", allowed=list(REQUIRED_CONTENT))
    date = _iso_date(cmd.date, "date")
    half_hours = _session_half_hours(cmd.hours, config)
    if cmd.study_group_id is not None and cmd.study_group_id not in roster.study_groups:
        raise Rejected("the unit has no such study group", study_group_id=cmd.study_group_id)
    mode = mode_of(cmd.form)
    return [StudySessionRecorded(
        unit_id=cmd.unit_id, session_id=cmd.session_id, form=cmd.form, mode=mode,
        title=_text(cmd.title) or None, content_keys=content_keys,
        local_document=local_document, date=date, hours=hours_text(half_hours),
        study_group_id=cmd.study_group_id,
        calendar_flags=session_calendar_flags(mode, date, roster, config))]


def _session_half_hours(hours: Any, config: StudyConfig) -> int:
    try:
        half = to_half_hours(hours)
    except BadHours as exc:
        raise Rejected(str(exc), field="hours", hours=str(hours)) from None
    if half <= 0 or half > config.max_session_half_hours:
        raise Rejected("a session's length must be positive and at most "
                       f"{hours_number(config.max_session_half_hours)} 学时",
                       hours=str(hours), max_hours=hours_number(config.max_session_half_hours))
    return half


def session_calendar_flags(mode: str, date: str, roster: UnitRoster,
                           config: StudyConfig) -> list[dict]:
    """"从2月16日开始 … 安排10天时间 … 集中学习": a centralised session outside that
    window is recorded and counted, but flagged."""
    calendar = config.calendar_for(roster.batch)
    if mode != CENTRALISED or calendar is None or calendar.in_window(date):
        return []
    return [{"code": "centralised_outside_window",
             "message": "centralised session outside the batch's centralised window",
             "window": [calendar.centralised_start, calendar.centralised_end]}]


# ---------------------------------------------------------------- attendance

def _record_attendance(state: StudyState, cmd: RecordAttendance, config: StudyConfig) -> list:
    roster = _known_roster(cmd.roster, cmd.unit_id)
    session = state.sessions.get(cmd.session_id)
    if session is None:
        raise NotFound("no such study session in this unit", session_id=cmd.session_id,
                       unit_id=cmd.unit_id)
    member_ids = list(cmd.member_ids or ())
    if not member_ids or not all(isinstance(m, str) and m for m in member_ids):
        raise Rejected("attendance needs a non-empty list of member ids")
    # counted once each: list.count per member was quadratic in a 500-member record
    repeated = sorted(m for m, n in collections.Counter(member_ids).items() if n > 1)
    if repeated:
        raise Rejected("a member is listed twice in one attendance record", duplicates=repeated)
    outsiders = [m for m in member_ids if m not in roster.members]
    if outsiders:
        raise Rejected("attendance can only be recorded for members of the unit",
                       non_members=outsiders, unit_id=cmd.unit_id)
    already = sorted(set(member_ids) & session.attendees)
    if already:
        raise Conflict("attendance already recorded for these members at this session",
                       duplicates=already, session_id=cmd.session_id)
    today = _iso_date(cmd.today, "today")
    if today < session.date:
        raise Rejected("attendance cannot be recorded before the session takes place",
                       session_date=session.date, today=today)
    return [StudyAttendanceRecorded(
        unit_id=cmd.unit_id, session_id=session.session_id, member_ids=member_ids,
        form=session.form, mode=session.mode, date=session.date,
        hours=hours_text(session.half_hours), content_keys=list(session.content_keys),
        local_document_reference=session.local_document_reference)]


# ---------------------------------------------------------------- exemptions (R7 "一般")

def _actor_may_exempt(actor, unit_id: str, unit_group_id: str | None) -> None:
    if actor.role not in EXEMPTION_GRANTORS:
        raise Forbidden("a study exemption is granted or revoked by the unit's supervision group or "
                        "the office, never by the unit for itself", role=actor.role, unit_id=unit_id)
    if actor.role == "supervisor" and (unit_group_id is None or actor.scope != unit_group_id):
        raise Forbidden(f"unit {unit_id} is not in your supervision group", unit_id=unit_id,
                        your_group=actor.scope, unit_group_id=unit_group_id)


def _grant_exemption(state: StudyState, cmd: GrantExemption, config: StudyConfig) -> list:
    _actor_may_exempt(cmd.actor, cmd.unit_id, cmd.unit_group_id)
    roster = _known_roster(cmd.roster, cmd.unit_id)
    if cmd.member_id not in roster.members:
        raise Rejected("an exemption can only be granted to a member of the unit",
                       member_id=cmd.member_id)
    reason = _text(cmd.reason)
    if not reason:
        # never a silent exemption
        raise Rejected("an exemption from the study floor must give a reason", field="reason")
    if cmd.member_id in state.exemptions:
        raise Conflict("this member is already exempted", member_id=cmd.member_id)
    return [StudyExemptionGranted(unit_id=cmd.unit_id, member_id=cmd.member_id, reason=reason,
                                  granted_by=_who(cmd.actor),
                                  date=_iso_date(cmd.today, "today"))]


def _revoke_exemption(state: StudyState, cmd: RevokeExemption, config: StudyConfig) -> list:
    _actor_may_exempt(cmd.actor, cmd.unit_id, cmd.unit_group_id)
    if cmd.member_id not in state.exemptions:
        raise NotFound("this member has no exemption", member_id=cmd.member_id)
    reason = _text(cmd.reason)
    if not reason:
        raise Rejected("revoking an exemption must give a reason", field="reason")
    return [StudyExemptionRevoked(unit_id=cmd.unit_id, member_id=cmd.member_id, reason=reason,
                                  revoked_by=_who(cmd.actor),
                                  date=_iso_date(cmd.today, "today"))]


# ---------------------------------------------------------------- a member enrolled

def _note_enrolment(state: StudyState, cmd: NoteMemberEnrolled, config: StudyConfig) -> list:
    """Nothing of its own to record: the roster is the units service's. What it may bring
    about, a floor reached before lapsing, ``decide`` adds (domain/floor.py)."""
    roster = _known_roster(cmd.roster, cmd.unit_id)
    if cmd.member_id not in roster.members:
        raise Rejected("the enrolled member is not on the unit's roster",
                       member_id=cmd.member_id, unit_id=cmd.unit_id)
    _iso_date(cmd.today, "today")
    return []


def _who(actor) -> dict:
    return {"id": actor.id, "name": actor.name, "role": actor.role}


# the one dispatch idiom of every domain: command type -> the function deciding it
HANDLERS = {
    SetStudyPlan: _set_study_plan,
    RecordStudySession: _record_session,
    RecordAttendance: _record_attendance,
    GrantExemption: _grant_exemption,
    RevokeExemption: _revoke_exemption,
    NoteMemberEnrolled: _note_enrolment,
}

# the commands after which the floor is judged, and the cause its event names
FLOOR_CAUSES = {
    RecordAttendance: "attendance",
    GrantExemption: "exemption_granted",
    RevokeExemption: "exemption_revoked",
    NoteMemberEnrolled: "member_enrolled",
}
