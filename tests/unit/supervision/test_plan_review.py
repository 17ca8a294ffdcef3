"""R4: 一看/二看/三看 and the group's verdict."""
import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.supervision.domain import ReviewWorkPlan, WorkPlanReviewed, check_work_plan, decide, fold_unit
from services.supervision.domain.checklist import GUARANTEE_SYSTEMS, LEADER_MEASURES, label_of
from shared.domain import Conflict, Forbidden, NotFound, Rejected
from tests.unit.supervision.helpers import (
    FULL_PLAN,
    G1,
    SUP1,
    SUP2,
    UNIT,
    arrived,
    arrived_unit,
    assigned,
    assigned_unit,
    plan_b,
)


# ------------------------------------------------------------------- checklist
def test_a_complete_plan_passes_all_three_looks():
    checklist = check_work_plan(FULL_PLAN)
    assert checklist.passed and checklist.missing == []
    assert checklist.categories_covered == ("party_and_government_style", "internal_management")
    assert "livelihood" in checklist.categories_not_covered


def test_plan_b_is_flagged_for_missing_acceptance_system():
    checklist = check_work_plan(plan_b())
    assert checklist.missing == ["guarantee_systems:acceptance"]
    assert checklist.to_dict()["missing_labels"] == ["三看：缺少成果验收制度"]
    assert not checklist.passed


def test_look_one_names_each_missing_leader_measure():
    plan = {**FULL_PLAN, "leader_measures": ["lead_study"]}
    missing = check_work_plan(plan).missing
    assert [m for m in missing if m.startswith("leader_measures:")] == [
        f"leader_measures:{k}" for k in LEADER_MEASURES if k != "lead_study"]


def test_look_two_needs_problems_each_with_a_real_measure():
    assert "problems:none_identified" in check_work_plan({**FULL_PLAN, "problems": []}).missing
    plan = copy.deepcopy(FULL_PLAN)
    plan["problems"][1]["measures"] = ["  "]
    plan["problems"].append({"category": "weather", "description": "?", "measures": ["x"]})
    missing = check_work_plan(plan).missing
    assert "problems[1]:no_measures" in missing and "problems[2]:unknown_category" in missing
    assert label_of("problems[1]:no_measures") == "二看：problems[1]没有解决措施"


def test_an_empty_plan_misses_everything():
    checklist = check_work_plan({})
    assert len(checklist.missing) == len(LEADER_MEASURES) + 1 + len(GUARANTEE_SYSTEMS)


@given(st.sets(st.sampled_from(sorted(GUARANTEE_SYSTEMS))))
def test_every_absent_guarantee_system_is_named(present):
    plan = {**FULL_PLAN, "guarantee_systems": sorted(present)}
    named = {m.split(":")[1] for m in check_work_plan(plan).missing
             if m.startswith("guarantee_systems:")}
    assert named == set(GUARANTEE_SYSTEMS) - present


# --------------------------------------------------------------------- verdict
def review(**kw):
    args = dict(unit_id=UNIT, decision="approve", comments="", today="2005-02-16", actor=SUP1,
                plan_version=1, plan=FULL_PLAN)
    args.update(kw)
    return ReviewWorkPlan(**args)


def refused(state, command, error):
    with pytest.raises(error) as caught:
        decide(state, command)
    return caught.value


def test_group_approves_a_complete_plan_and_the_task_is_done():
    [event] = decide(arrived_unit(), review(comments="方案可行"))
    assert isinstance(event, WorkPlanReviewed)
    assert (event.decision, event.plan_version, event.missing, event.group_id) == (
        "approve", 1, [], G1)
    state = fold_unit([assigned(), arrived(), event])
    assert state.tasks["review_work_plan"]["status"] == "done"


def test_approving_plan_b_is_refused_naming_the_missing_system():
    error = refused(arrived_unit(), review(plan=plan_b()), Rejected)
    assert error.details["missing"] == ["guarantee_systems:acceptance"]
    assert error.details["labels"] == ["三看：缺少成果验收制度"]


def test_group_returns_plan_b_with_comments_and_the_checklist():
    [event] = decide(arrived_unit(), review(plan=plan_b(), decision="return",
                                            comments="请补充成果验收制度"))
    assert event.decision == "return" and event.missing == ["guarantee_systems:acceptance"]
    assert event.checklist["look_three"]["missing_guarantee_systems"] == ["acceptance"]
    state = fold_unit([assigned(), arrived(), event])
    assert state.tasks["review_work_plan"]["status"] == "open"


def test_returning_without_comments_is_refused():
    refused(arrived_unit(), review(plan=plan_b(), decision="return", comments=" "), Rejected)


def test_reviewing_a_plan_never_submitted_is_not_found():
    refused(arrived_unit(), review(plan=None, plan_version=None), NotFound)


def test_reviewing_the_same_version_twice_conflicts():
    [event] = decide(arrived_unit(), review(plan=plan_b(), decision="return", comments="补充"))
    refused(arrived_unit(event), review(), Conflict)


def test_a_resubmitted_version_can_be_approved_after_a_return():
    [returned] = decide(arrived_unit(), review(plan=plan_b(), decision="return", comments="补充"))
    [approved] = decide(arrived_unit(returned), review(plan_version=2))
    assert approved.plan_version == 2 and approved.decision == "approve"


def test_review_needs_arrival_the_right_group_and_a_valid_decision():
    refused(assigned_unit(), review(), Conflict)
    refused(arrived_unit(), review(actor=SUP2), Forbidden)
    refused(arrived_unit(), review(decision="maybe"), Rejected)
