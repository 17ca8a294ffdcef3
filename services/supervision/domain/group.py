"""The group aggregate (督导组): its people, temporary Party branch, leave, later batches (R18)."""
from __future__ import annotations

import dataclasses
from typing import Iterable

from services.supervision.domain import events as ev
from services.supervision.domain.commands import (
    DecideLeave,
    EraseGroupMemberData,
    EstablishTemporaryBranch,
    FormGroup,
    RecordBatchParticipation,
    RequestLeave,
)
from services.supervision.domain.config import SupervisionConfig
from services.supervision.domain.folding import fold_with, put
from services.supervision.domain.guards import (
    parse_date,
    require_choice,
    require_group_actor,
    require_office,
    require_text,
)
from services.supervision.domain.vocabulary import BRANCH_RULES, LATER_BATCHES, LEAVE_DECISIONS, RANKS
from shared.domain import ERASED, Conflict, Forbidden, NotFound, Rejected

PERSON_FIELDS = ("member_id", "name", "rank", "home_unit", "post")


@dataclasses.dataclass(frozen=True)
class GroupState:
    group_id: str | None = None
    name: str = ""
    leader: dict | None = None
    people: dict = dataclasses.field(default_factory=dict)  # member_id -> person (leader too)
    branch: dict | None = None  # {secretary_member_id, rules, established_on}
    leaves: dict = dataclasses.field(default_factory=dict)  # leave_id -> {member_id, ..., status}
    batches: dict = dataclasses.field(default_factory=dict)  # member_id -> 2 | 3
    formed_on: str | None = None
    erased: frozenset = frozenset()  # member_ids whose personal data the office forgot

    @property
    def formed(self) -> bool:
        return self.group_id is not None


EMPTY_GROUP = GroupState()


# ------------------------------------------------------------------------ evolve
def _formed(state: GroupState, event: ev.GroupFormed) -> GroupState:
    people = {p["member_id"]: p for p in [event.leader, *event.members]}
    return dataclasses.replace(state, group_id=event.group_id, name=event.name,
                               leader=event.leader, people=people, formed_on=event.formed_on)


def _branch(state: GroupState, event: ev.TemporaryBranchEstablished) -> GroupState:
    return dataclasses.replace(state, branch={
        "secretary_member_id": event.secretary_member_id, "rules": dict(event.rules),
        "established_on": event.established_on})


def _leave_requested(state: GroupState, event: ev.LeaveRequested) -> GroupState:
    return dataclasses.replace(state, leaves=put(state.leaves, event.leave_id, {
        "member_id": event.member_id, "from_date": event.from_date,
        "to_date": event.to_date, "status": "pending"}))


def _leave_decided(state: GroupState, event: ev.LeaveDecided) -> GroupState:
    leave = {**state.leaves[event.leave_id],
             "status": "approved" if event.decision == "approve" else "denied"}
    return dataclasses.replace(state, leaves=put(state.leaves, event.leave_id, leave))


def _batch_joined(state: GroupState, event: ev.MemberBatchJoined) -> GroupState:
    return dataclasses.replace(state, batches=put(state.batches, event.member_id, event.batch))


def _member_erased(state: GroupState, event: ev.GroupMemberDataErased) -> GroupState:
    person = state.people.get(event.subject_id)
    if person is None:
        return state
    people = put(state.people, event.subject_id, {**person, "name": ERASED})
    leader = state.leader
    if leader is not None and leader.get("member_id") == event.subject_id:
        leader = {**leader, "name": ERASED}
    return dataclasses.replace(state, people=people, leader=leader,
                               erased=state.erased | {event.subject_id})


_EVOLVERS = {
    ev.GroupFormed: _formed,
    ev.TemporaryBranchEstablished: _branch,
    ev.LeaveRequested: _leave_requested,
    ev.LeaveDecided: _leave_decided,
    ev.MemberBatchJoined: _batch_joined,
    ev.GroupMemberDataErased: _member_erased,
}


def evolve_group(state: GroupState, event) -> GroupState:
    evolver = _EVOLVERS.get(type(event))
    return evolver(state, event) if evolver else state


def fold_group(history: Iterable) -> GroupState:
    return fold_with(evolve_group, EMPTY_GROUP, history)


# ------------------------------------------------------------------------ decide
def _form(state: GroupState, cmd: FormGroup, config: SupervisionConfig) -> list:
    require_office(cmd.actor, "form supervision groups")
    if state.formed:
        raise Conflict(f"group {cmd.group_id} already exists", group_id=cmd.group_id)
    name = require_text(cmd.name, "name")
    parse_date(cmd.formed_on, "formed_on")
    leader = _person(cmd.leader, "leader")
    # "这次选派的督导组组长，都是科级干部"
    if leader["rank"] not in config.leader_ranks:
        raise Rejected("a group leader must be a section-level cadre (科级)",
                       rank=leader["rank"], allowed=list(config.leader_ranks))
    if not isinstance(cmd.members, list) or not cmd.members:
        raise Rejected("a group needs at least one member besides its leader", field="members")
    members = [_person(m, f"members[{i}]") for i, m in enumerate(cmd.members)]
    ids = [leader["member_id"]] + [m["member_id"] for m in members]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise Rejected("each person may appear in a group only once", duplicates=duplicates)
    return [ev.GroupFormed(group_id=cmd.group_id, name=name, leader=leader, members=members,
                           formed_on=cmd.formed_on)]


def _person(raw, field: str) -> dict:
    """A group member as recorded: released from their post for the duration (R18)."""
    if not isinstance(raw, dict):
        raise Rejected(f"{field} must be a person", field=field)
    person = {k: require_text(raw.get(k), f"{field}.{k}") for k in PERSON_FIELDS}
    if person["rank"] not in RANKS:
        raise Rejected(f"{field}.rank must be one of {', '.join(RANKS)}", field=f"{field}.rank",
                       value=person["rank"])
    # "督导期间，大家都要脱离原来的工作岗位，专职专责"
    person["released_from_post"] = True
    return person


def _existing(state: GroupState, group_id: str) -> None:
    if not state.formed:
        raise NotFound(f"group {group_id} does not exist", group_id=group_id)


def _establish_branch(state: GroupState, cmd: EstablishTemporaryBranch, config) -> list:
    _existing(state, cmd.group_id)
    require_group_actor(cmd.actor, cmd.group_id, "establish the group's temporary branch")
    if state.branch is not None:
        raise Conflict("the group's temporary Party branch already exists", group_id=cmd.group_id)
    parse_date(cmd.date, "date")
    rules = cmd.rules if isinstance(cmd.rules, dict) else {}
    # "每个督导组都要建立学习、议事、请假等制度，成立临时党支部"
    missing = [k for k in BRANCH_RULES if not (isinstance(rules.get(k), str) and rules[k].strip())]
    if missing:
        raise Rejected("the temporary branch needs its study, deliberation and leave rules",
                       missing=missing, labels=[BRANCH_RULES[k] for k in missing])
    if cmd.secretary_member_id not in state.people:
        raise Rejected("the branch secretary must be a member of the group",
                       secretary_member_id=cmd.secretary_member_id)
    return [ev.TemporaryBranchEstablished(
        group_id=cmd.group_id, secretary_member_id=cmd.secretary_member_id,
        rules={k: v.strip() for k, v in rules.items() if isinstance(v, str)},
        established_on=cmd.date)]


def _request_leave(state: GroupState, cmd: RequestLeave, config) -> list:
    _existing(state, cmd.group_id)
    require_group_actor(cmd.actor, cmd.group_id, "request leave for a group member")
    if state.branch is None:
        raise Rejected("leave follows the temporary branch's leave rules: establish the branch "
                       "first", group_id=cmd.group_id)
    if cmd.member_id not in state.people:
        raise NotFound(f"{cmd.member_id} is not a member of group {cmd.group_id}",
                       member_id=cmd.member_id)
    if cmd.leave_id in state.leaves:
        raise Conflict(f"leave request {cmd.leave_id} already exists", leave_id=cmd.leave_id)
    start, end = parse_date(cmd.from_date, "from_date"), parse_date(cmd.to_date, "to_date")
    parse_date(cmd.today, "today")
    if end < start:
        raise Rejected("a leave cannot end before it starts", from_date=cmd.from_date,
                       to_date=cmd.to_date)
    reason = require_text(cmd.reason, "reason")
    clash = _overlapping_leave(state, cmd.member_id, cmd.from_date, cmd.to_date)
    if clash:
        raise Conflict("the member already has leave in that period", leave_id=clash)
    return [ev.LeaveRequested(group_id=cmd.group_id, leave_id=cmd.leave_id,
                              member_id=cmd.member_id, from_date=cmd.from_date,
                              to_date=cmd.to_date, reason=reason, requested_on=cmd.today)]


def _overlapping_leave(state: GroupState, member_id: str, start: str, end: str) -> str | None:
    for leave_id, leave in state.leaves.items():
        if (leave["member_id"] == member_id and leave["status"] != "denied"
                and leave["from_date"] <= end and start <= leave["to_date"]):
            return leave_id
    return None


def _decide_leave(state: GroupState, cmd: DecideLeave, config) -> list:
    _existing(state, cmd.group_id)
    leave = state.leaves.get(cmd.leave_id)
    if leave is None:
        raise NotFound(f"leave request {cmd.leave_id} does not exist", leave_id=cmd.leave_id)
    acting_as = cmd.actor_member_id or cmd.actor.id
    if acting_as == leave["member_id"]:
        raise Forbidden("nobody decides their own leave request", leave_id=cmd.leave_id)
    is_leader = (cmd.actor.role == "supervisor" and cmd.actor.scope == cmd.group_id
                 and acting_as == state.leader["member_id"])
    if cmd.actor.role != "office" and not is_leader:
        raise Forbidden("only the group leader or the office decides leave requests",
                        leave_id=cmd.leave_id)
    if leave["status"] != "pending":
        raise Conflict(f"leave request {cmd.leave_id} was already {leave['status']}",
                       leave_id=cmd.leave_id, current_status=leave["status"])
    require_choice(cmd.decision, LEAVE_DECISIONS, "decision")
    parse_date(cmd.today, "today")
    comments = cmd.comments.strip() if isinstance(cmd.comments, str) else ""
    if cmd.decision == "deny" and not comments:
        raise Rejected("a denied leave request needs comments saying why", field="comments")
    return [ev.LeaveDecided(group_id=cmd.group_id, leave_id=cmd.leave_id,
                            member_id=leave["member_id"], decision=cmd.decision,
                            comments=comments, decided_by=cmd.actor.id, decided_on=cmd.today)]


def _record_batch(state: GroupState, cmd: RecordBatchParticipation, config) -> list:
    _existing(state, cmd.group_id)
    require_group_actor(cmd.actor, cmd.group_id, "record a member's later batch")
    # "还要参加第二批或第三批先进性教育活动"
    if cmd.batch not in LATER_BATCHES:
        raise Rejected("group members join batch 2 or 3 themselves", batch=cmd.batch)
    person = state.people.get(cmd.member_id)
    if person is None:
        raise NotFound(f"{cmd.member_id} is not a member of group {cmd.group_id}",
                       member_id=cmd.member_id)
    if cmd.member_id in state.batches:
        raise Conflict("the member's batch is already recorded", member_id=cmd.member_id,
                       batch=state.batches[cmd.member_id])
    return [ev.MemberBatchJoined(group_id=cmd.group_id, member_id=cmd.member_id,
                                 batch=cmd.batch, home_unit=person["home_unit"])]


ERASURE_REASON_MAX = 500


def _erase_member_data(state: GroupState, cmd: EraseGroupMemberData, config) -> list:
    """The office forgets a group member's personal data: their name becomes 已删除
    wherever it was shown; they stay a member (leave, batches, the branch keep their id).
    Once: a second erasure is a conflict (there is nothing left to forget)."""
    require_office(cmd.actor, "erase a group member's personal data")
    _existing(state, cmd.group_id)
    reason = require_text(cmd.reason, "reason")
    if len(reason) > ERASURE_REASON_MAX:
        raise Rejected(f"reason is at most {ERASURE_REASON_MAX} characters", field="reason")
    if cmd.member_id not in state.people:
        raise NotFound(f"{cmd.member_id} is not a member of group {cmd.group_id}",
                       member_id=cmd.member_id, group_id=cmd.group_id)
    if cmd.member_id in state.erased:
        raise Conflict(f"the personal data of group member {cmd.member_id!r} was already erased",
                       member_id=cmd.member_id, group_id=cmd.group_id)
    leader = bool(state.leader and state.leader.get("member_id") == cmd.member_id)
    return [ev.GroupMemberDataErased(group_id=cmd.group_id, subject_id=cmd.member_id, reason=reason,
                                     is_leader=leader)]


HANDLERS = {
    FormGroup: _form,
    EstablishTemporaryBranch: _establish_branch,
    RequestLeave: _request_leave,
    DecideLeave: _decide_leave,
    RecordBatchParticipation: _record_batch,
    EraseGroupMemberData: _erase_member_data,
}
