"""R18 and the group's formation: leader rank, release from posts, branch, leave, later batches."""
import pytest

from services.supervision.domain import (
    DecideLeave,
    EstablishTemporaryBranch,
    FormGroup,
    GroupFormed,
    LeaveDecided,
    LeaveRequested,
    MemberBatchJoined,
    RecordBatchParticipation,
    RequestLeave,
    TemporaryBranchEstablished,
    decide,
    fold_group,
)
from services.supervision.domain.group import EMPTY_GROUP
from shared.domain import Conflict, Forbidden, NotFound, Rejected
from tests.unit.supervision.helpers import (
    G1,
    LEADER,
    MEMBER,
    MEMBER2,
    OFFICE,
    SUP1,
    SUP1_MEMBER,
    SUP2,
    formed,
    group_state,
)

RULES = {"study": "每周两次集中学习", "deliberation": "重要问题集体研究", "leave": "请假须经组长批准"}


def form(**kw):
    args = dict(group_id=G1, name="第一督导组", leader=LEADER, members=[MEMBER, MEMBER2],
                formed_on="2005-01-20", actor=OFFICE)
    args.update(kw)
    return FormGroup(**args)


def refused(state, command, error):
    with pytest.raises(error) as caught:
        decide(state, command)
    return caught.value


# ------------------------------------------------------------------ formation
def test_office_forms_a_group_whose_people_are_released_from_their_posts():
    [event] = decide(EMPTY_GROUP, form())
    assert isinstance(event, GroupFormed)
    assert event.leader["name"] == "张组长" and event.leader["released_from_post"] is True
    assert [m["member_id"] for m in event.members] == ["p-m1", "p-m2"]
    assert all(m["released_from_post"] for m in event.members)
    state = fold_group([event])
    assert state.formed and set(state.people) == {"p-lead", "p-m1", "p-m2"}


def test_deputy_section_cadre_may_lead():
    [event] = decide(EMPTY_GROUP, form(leader={**LEADER, "rank": "deputy_section"}))
    assert event.leader["rank"] == "deputy_section"


def test_a_leader_below_section_level_is_refused():
    error = refused(EMPTY_GROUP, form(leader={**LEADER, "rank": "staff"}), Rejected)
    assert "section-level" in error.message and error.details["rank"] == "staff"


def test_only_the_office_forms_groups():
    refused(EMPTY_GROUP, form(actor=SUP1), Forbidden)


def test_forming_the_same_group_twice_conflicts():
    refused(group_state(), form(), Conflict)


def test_a_group_needs_members_besides_its_leader():
    refused(EMPTY_GROUP, form(members=[]), Rejected)


def test_each_person_must_name_the_post_they_leave():
    error = refused(EMPTY_GROUP, form(members=[{**MEMBER, "post": " "}]), Rejected)
    assert error.details["field"] == "members[0].post"


def test_unknown_rank_is_refused():
    refused(EMPTY_GROUP, form(members=[{**MEMBER, "rank": "general"}]), Rejected)


def test_a_person_cannot_appear_twice():
    error = refused(EMPTY_GROUP, form(members=[MEMBER, MEMBER]), Rejected)
    assert error.details["duplicates"] == ["p-m1"]


def test_blank_name_and_bad_date_are_refused():
    refused(EMPTY_GROUP, form(name="  "), Rejected)
    refused(EMPTY_GROUP, form(formed_on="20 Jan"), Rejected)


# ------------------------------------------------------------ temporary branch
def branch(**kw):
    args = dict(group_id=G1, secretary_member_id="p-lead", rules=RULES, date="2005-01-21",
                actor=SUP1)
    args.update(kw)
    return EstablishTemporaryBranch(**args)


def test_group_establishes_its_temporary_branch_with_three_rules():
    [event] = decide(group_state(), branch())
    assert isinstance(event, TemporaryBranchEstablished)
    assert event.rules == RULES
    assert fold_group([formed(), event]).branch["secretary_member_id"] == "p-lead"


def test_branch_without_its_leave_rule_is_refused():
    error = refused(group_state(), branch(rules={**RULES, "leave": ""}), Rejected)
    assert error.details["missing"] == ["leave"] and error.details["labels"] == ["请假制度"]


def test_branch_twice_conflicts():
    state = group_state(decide(group_state(), branch())[0])
    refused(state, branch(), Conflict)


def test_branch_of_an_unknown_group_is_not_found():
    refused(EMPTY_GROUP, branch(), NotFound)


def test_another_groups_supervisor_cannot_establish_the_branch():
    refused(group_state(), branch(actor=SUP2), Forbidden)


def test_branch_secretary_must_belong_to_the_group():
    refused(group_state(), branch(secretary_member_id="stranger"), Rejected)


# -------------------------------------------------------------------- leave
BRANCH = TemporaryBranchEstablished(group_id=G1, secretary_member_id="p-lead", rules=RULES,
                                    established_on="2005-01-21")


def leave(**kw):
    args = dict(group_id=G1, leave_id="l1", member_id="p-m1", from_date="2005-03-01",
                to_date="2005-03-02", reason="家中有事", today="2005-02-27", actor=SUP1_MEMBER)
    args.update(kw)
    return RequestLeave(**args)


def test_member_requests_leave_under_the_branch_rules():
    [event] = decide(group_state(BRANCH), leave())
    assert isinstance(event, LeaveRequested) and event.member_id == "p-m1"
    assert fold_group([formed(), BRANCH, event]).leaves["l1"]["status"] == "pending"


def test_leave_before_the_branch_exists_is_refused():
    error = refused(group_state(), leave(), Rejected)
    assert "branch" in error.message


def test_leave_for_a_stranger_is_not_found():
    refused(group_state(BRANCH), leave(member_id="nobody"), NotFound)


def test_leave_ending_before_it_starts_is_refused():
    refused(group_state(BRANCH), leave(to_date="2005-02-28"), Rejected)


def test_leave_needs_a_reason():
    refused(group_state(BRANCH), leave(reason=""), Rejected)


def test_leave_by_another_group_is_forbidden():
    refused(group_state(BRANCH), leave(actor=SUP2), Forbidden)


REQUESTED = LeaveRequested(group_id=G1, leave_id="l1", member_id="p-m1", from_date="2005-03-01",
                           to_date="2005-03-02", reason="家中有事", requested_on="2005-02-27")


def test_same_leave_id_twice_conflicts():
    refused(group_state(BRANCH, REQUESTED), leave(), Conflict)


def test_overlapping_leave_conflicts():
    error = refused(group_state(BRANCH, REQUESTED),
                    leave(leave_id="l2", from_date="2005-03-02", to_date="2005-03-05"), Conflict)
    assert error.details["leave_id"] == "l1"


def decide_leave(**kw):
    args = dict(group_id=G1, leave_id="l1", decision="approve", comments="", today="2005-02-28",
                actor=SUP1)
    args.update(kw)
    return DecideLeave(**args)


def test_group_leader_approves_a_members_leave():
    [event] = decide(group_state(BRANCH, REQUESTED), decide_leave())
    assert isinstance(event, LeaveDecided) and event.decision == "approve"
    assert event.decided_by == "p-lead"
    state = fold_group([formed(), BRANCH, REQUESTED, event])
    assert state.leaves["l1"]["status"] == "approved"


def test_office_may_decide_leave_too():
    [event] = decide(group_state(BRANCH, REQUESTED), decide_leave(actor=OFFICE))
    assert event.decided_by == "office-1"


def test_an_ordinary_member_cannot_decide_leave():
    other = SUP1_MEMBER.__class__(id="p-m2", name="王", role="supervisor", scope=G1)
    refused(group_state(BRANCH, REQUESTED), decide_leave(actor=other), Forbidden)


def test_nobody_decides_their_own_leave():
    own = LeaveRequested(group_id=G1, leave_id="l9", member_id="p-lead", from_date="2005-03-01",
                         to_date="2005-03-01", reason="体检", requested_on="2005-02-27")
    refused(group_state(BRANCH, own), decide_leave(leave_id="l9"), Forbidden)


def test_deciding_twice_conflicts():
    done = LeaveDecided(group_id=G1, leave_id="l1", member_id="p-m1", decision="approve",
                        comments="", decided_by="p-lead", decided_on="2005-02-28")
    refused(group_state(BRANCH, REQUESTED, done), decide_leave(), Conflict)


def test_denial_needs_comments_and_unknown_leave_is_not_found():
    refused(group_state(BRANCH, REQUESTED), decide_leave(decision="deny"), Rejected)
    refused(group_state(BRANCH, REQUESTED), decide_leave(leave_id="zz"), NotFound)
    refused(group_state(BRANCH, REQUESTED), decide_leave(decision="maybe"), Rejected)


def test_denied_leave_frees_the_period():
    denied = LeaveDecided(group_id=G1, leave_id="l1", member_id="p-m1", decision="deny",
                          comments="任务紧", decided_by="p-lead", decided_on="2005-02-28")
    [event] = decide(group_state(BRANCH, REQUESTED, denied), leave(leave_id="l2"))
    assert event.leave_id == "l2"


# ------------------------------------------------------------------ later batch
def batch(**kw):
    args = dict(group_id=G1, member_id="p-m1", batch=2, actor=SUP1)
    args.update(kw)
    return RecordBatchParticipation(**args)


def test_member_joins_batch_two_themselves():
    [event] = decide(group_state(), batch())
    assert isinstance(event, MemberBatchJoined)
    assert (event.batch, event.home_unit) == (2, "县教育局")
    assert fold_group([formed(), event]).batches == {"p-m1": 2}


def test_batch_one_is_refused():
    refused(group_state(), batch(batch=1), Rejected)


def test_batch_recorded_twice_conflicts():
    joined = MemberBatchJoined(group_id=G1, member_id="p-m1", batch=3, home_unit="县教育局")
    refused(group_state(joined), batch(), Conflict)


def test_batch_for_unknown_member_or_by_other_group_is_refused():
    refused(group_state(), batch(member_id="x"), NotFound)
    refused(group_state(), batch(actor=SUP2), Forbidden)
    refused(EMPTY_GROUP, batch(), NotFound)
