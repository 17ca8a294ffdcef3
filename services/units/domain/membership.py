"""Registration, sections, members, study groups (R20) and contact points (R21)."""
from __future__ import annotations

from shared.domain import Conflict, Forbidden, Rejected

from . import commands as C
from . import events as E
from .config import UnitsConfig
from .guards import require_member, require_office, require_own_unit, require_section, require_text, require_unit
from .state import UnitState

ORG_TYPES = ("党委", "党组", "党支部")


def register_unit(state: UnitState | None, cmd: C.RegisterUnit, config: UnitsConfig) -> list[E.Event]:
    require_office(cmd.actor)
    if state is not None:
        raise Conflict(f"unit {cmd.unit_id!r} is already registered", unit_id=cmd.unit_id)
    name = require_text(cmd.name, "name", 200)
    if cmd.org_type not in ORG_TYPES:
        raise Rejected(f"org_type must be one of {', '.join(ORG_TYPES)}", org_type=cmd.org_type)
    if cmd.batch not in config.batches():
        raise Rejected(f"batch must be one of {list(config.batches())}", batch=cmd.batch)
    sections = [require_text(s, "section", 100) for s in cmd.sections]
    if len(set(sections)) != len(sections):
        raise Rejected("sections must not repeat", sections=sections)
    calendar = config.calendar(cmd.batch)
    return [E.UnitRegistered(unit_id=cmd.unit_id, name=name, org_type=cmd.org_type, batch=cmd.batch,
                             sections=sections, deadlines=dict(calendar.deadlines),
                             centralised_study_start=calendar.centralised_study_start)]


def add_section(state: UnitState | None, cmd: C.AddSection, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    section = require_text(cmd.section, "section", 100)
    if section in state.sections:
        raise Conflict(f"section {section!r} already exists", section=section)
    return [E.UnitSectionAdded(unit_id=cmd.unit_id, section=section)]


def enrol_member(state: UnitState | None, cmd: C.EnrolMember, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    if cmd.member_id in state.members:
        raise Conflict(f"member {cmd.member_id!r} is already enrolled", member_id=cmd.member_id)
    name = require_text(cmd.name, "name", 100)
    # 离退休干部分别安排进各学习小组: a retired cadre may belong to no section;
    # everyone else works in one of this unit's sections.
    if cmd.section is None and not cmd.is_retired:
        raise Rejected(SERVING_WITHOUT_SECTION, member_id=cmd.member_id)
    if cmd.section is not None:
        require_section(state, cmd.section)
    return [E.MemberEnrolled(unit_id=cmd.unit_id, member_id=cmd.member_id, name=name,
                             section=cmd.section, is_leader=bool(cmd.is_leader),
                             is_retired=bool(cmd.is_retired))]


SERVING_WITHOUT_SECTION = "a serving member must belong to a section of the unit"


def _entry_problems(state: UnitState, entry: C.RosterEntry) -> list[dict]:
    """What single enrolment (``enrol_member``) would refuse in one roster row, each with
    its column and the same message."""
    problems = []
    try:
        require_text(entry.name, "name", 100)
    except Rejected as err:
        blank = not isinstance(entry.name, str) or not entry.name.strip()
        problems.append(_problem(entry.row, "name", "missing" if blank else "too_long", err.message,
                                 value=entry.name))
    if entry.section is None and not entry.is_retired:
        problems.append(_problem(entry.row, "section", "missing", SERVING_WITHOUT_SECTION))
    elif entry.section is not None:
        try:
            require_section(state, entry.section)
        except Rejected as err:
            problems.append(_problem(entry.row, "section", "unknown_section", err.message,
                                     sections=list(state.sections), value=entry.section))
    return problems


def _problem(row: int, column: str | None, code: str, message: str, **more) -> dict:
    return {"row": row, "column": column, "code": code, "message": message, **more}


def _member_key(name: str, section: str | None) -> tuple:
    return (name.strip(), section or "")


def roster_problems(state: UnitState | None, cmd: C.EnrolMembers) -> list[dict]:
    """Every problem of every row (after who may act): the single-enrolment checks, and a
    row that repeats an enrolled member or an earlier row (same name in the same section)."""
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    enrolled = {_member_key(m.name, m.section): m.member_id for m in state.members.values()}
    seen: dict = {}
    problems = []
    for entry in cmd.entries:
        found = _entry_problems(state, entry)
        if entry.member_id in state.members:
            found.append(_problem(entry.row, None, "already_enrolled",
                                  f"member {entry.member_id!r} is already enrolled"))
        if isinstance(entry.name, str) and entry.name.strip():
            key = _member_key(entry.name, entry.section)
            if key in enrolled:
                found.append(_problem(entry.row, "name", "duplicate_member",
                                      f"{key[0]!r} of section {entry.section!r} is already enrolled "
                                      f"(member {enrolled[key]})", member_id=enrolled[key], value=key[0]))
            elif key in seen:
                found.append(_problem(entry.row, "name", "duplicate_row",
                                      f"{key[0]!r} of section {entry.section!r} is already on row "
                                      f"{seen[key]}", other_row=seen[key], value=key[0]))
            else:
                seen[key] = entry.row
        problems.extend(found)
    return problems


def refuse_roster(problems: list[dict], rows: int) -> Rejected:
    bad = sorted({p["row"] for p in problems})
    return Rejected(f"{len(bad)} of {rows} rows of the roster have problems; nothing was enrolled",
                    problems=problems, rows=rows, bad_rows=bad)


def enrol_members(state: UnitState | None, cmd: C.EnrolMembers, config: UnitsConfig) -> list[E.Event]:
    """The roster import: every row enrolled, one event each (appended together), or none."""
    problems = roster_problems(state, cmd)
    if not cmd.entries:
        raise Rejected("the roster names no member", rows=0)
    if problems:
        raise refuse_roster(problems, len(cmd.entries))
    return [E.MemberEnrolled(unit_id=cmd.unit_id, member_id=e.member_id, name=e.name.strip(),
                             section=e.section, is_leader=bool(e.is_leader), is_retired=bool(e.is_retired))
            for e in cmd.entries]


ERASURE_REASON_MAX = 500


def erase_personal_data(state: UnitState | None, cmd: C.ErasePersonalData,
                        config: UnitsConfig) -> list[E.Event]:
    """The office forgets a member's personal data: the name becomes 已删除 everywhere; the
    member stays a member (counts, hours, tallies keep them). Once: a second erasure is a
    conflict (there is nothing left to forget)."""
    if cmd.actor.role != "office":
        raise Forbidden("only the leading-group office erases a member's personal data",
                        role=cmd.actor.role)
    state = require_unit(state, cmd.unit_id)
    reason = require_text(cmd.reason, "reason", ERASURE_REASON_MAX)
    member = require_member(state, cmd.member_id)
    if member.erased:
        raise Conflict(f"the personal data of member {cmd.member_id!r} was already erased",
                       member_id=cmd.member_id)
    return [E.PersonalDataErased(unit_id=cmd.unit_id, subject_id=cmd.member_id, reason=reason)]


def _check_joinable(state: UnitState, member_id: str, section: str) -> None:
    """A member joins the study group of their own section; retired cadres join any."""
    member = require_member(state, member_id)
    if member.study_group_id is not None:
        raise Conflict(f"member {member_id!r} is already in study group {member.study_group_id!r}",
                       member_id=member_id, study_group_id=member.study_group_id)
    if not member.is_retired and member.section != section:
        raise Rejected(f"member {member_id!r} works in section {member.section!r}, not {section!r}; "
                       "only retired cadres join another section's study group",
                       member_id=member_id, member_section=member.section, section=section)


def form_study_group(state: UnitState | None, cmd: C.FormStudyGroup, config: UnitsConfig) -> list[E.Event]:
    # 各科室要成立以科室为主体的学习小组，科室负责人担任小组长 (R20)
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    require_section(state, cmd.section)
    if cmd.study_group_id in state.study_groups:
        raise Conflict(f"study group {cmd.study_group_id!r} already exists", study_group_id=cmd.study_group_id)
    existing = state.group_of_section(cmd.section)
    if existing is not None:
        raise Conflict(f"section {cmd.section!r} already has study group {existing.study_group_id!r}",
                       section=cmd.section, study_group_id=existing.study_group_id)
    leader = require_member(state, cmd.leader_member_id)
    if leader.is_retired or leader.section != cmd.section:
        raise Rejected(f"the study group of {cmd.section!r} is led by that section's head; "
                       f"member {leader.member_id!r} is not a serving member of it",
                       leader_member_id=leader.member_id, leader_section=leader.section, section=cmd.section)
    member_ids = [cmd.leader_member_id] + [m for m in cmd.member_ids if m != cmd.leader_member_id]
    if len(set(member_ids)) != len(member_ids):
        raise Rejected("member_ids must not repeat", member_ids=list(cmd.member_ids))
    for member_id in member_ids:
        _check_joinable(state, member_id, cmd.section)
    return [E.StudyGroupFormed(unit_id=cmd.unit_id, study_group_id=cmd.study_group_id, section=cmd.section,
                               leader_member_id=cmd.leader_member_id, member_ids=member_ids)]


def place_member(state: UnitState | None, cmd: C.PlaceMemberInStudyGroup,
                 config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    group = state.study_groups.get(cmd.study_group_id)
    if group is None:
        raise Rejected(f"study group {cmd.study_group_id!r} is not a study group of unit {cmd.unit_id!r}",
                       study_group_id=cmd.study_group_id, unit_id=cmd.unit_id)
    _check_joinable(state, cmd.member_id, group.section)
    return [E.MemberPlacedInStudyGroup(unit_id=cmd.unit_id, study_group_id=cmd.study_group_id,
                                       member_id=cmd.member_id)]


def assign_contact_points(state: UnitState | None, cmd: C.AssignContactPoints,
                          config: UnitsConfig) -> list[E.Event]:
    # 办公室领导班子成员要结合各自分工负责科室为联系点 (R21)
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    member = require_member(state, cmd.member_id)
    if not member.is_leader:
        raise Rejected(f"member {cmd.member_id!r} is not in the leadership; only leaders take contact points",
                       member_id=cmd.member_id)
    sections = list(cmd.sections)
    if not sections:
        raise Rejected("name at least one section as contact point", member_id=cmd.member_id)
    if len(set(sections)) != len(sections):
        raise Rejected("sections must not repeat", sections=sections)
    for section in sections:
        require_section(state, section)
    return [E.ContactPointsAssigned(unit_id=cmd.unit_id, member_id=cmd.member_id, sections=sections)]


HANDLERS = {
    C.RegisterUnit: register_unit,
    C.AddSection: add_section,
    C.EnrolMember: enrol_member,
    C.EnrolMembers: enrol_members,
    C.ErasePersonalData: erase_personal_data,
    C.FormStudyGroup: form_study_group,
    C.PlaceMemberInStudyGroup: place_member,
    C.AssignContactPoints: assign_contact_points,
}
