"""The work plan with versions (R4) and the specific requirements (R11)."""
import pytest

from services.units.domain import commands as C
from services.units.domain import decide
from services.units.domain import events as E
from services.units.domain.work_plan import missing_items, plan_errors
from shared.domain import Conflict, Forbidden, NotFound, Rejected

from .helpers import FULL_PLAN, OTHER_UNIT, SYS, UNIT, U, in_phase, refused, registered, run, staffed, step

B_PLAN = {**FULL_PLAN, "guarantee_systems": ["leadership_responsibility", "contact_points",
                                             "supervision_inspection", "mass_evaluation"]}


def review(version, decision, comments="", missing=()):
    return C.NoteWorkPlanReview(SYS, U, version, decision, comments, tuple(missing), "g1")


def test_first_plan_is_version_one():
    events, state = run(staffed(), C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    assert events == [E.WorkPlanSubmitted(unit_id=U, plan_version=1, plan=FULL_PLAN)]
    assert (state.work_plan.version, state.work_plan.status) == (1, "submitted")


def test_plan_may_be_replaced_before_review():
    state = step(staffed(), C.SubmitWorkPlan(UNIT, U, B_PLAN))
    events, state = run(state, C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    assert [e.plan_version for e in events] == [2]
    assert state.work_plan.plan == FULL_PLAN


def test_returned_plan_is_resubmitted_as_next_version():
    state = step(staffed(), C.SubmitWorkPlan(UNIT, U, B_PLAN))
    events, state = run(state, review(1, "return", "缺少成果验收制度", ["acceptance"]))
    assert events == [E.WorkPlanReviewNoted(unit_id=U, plan_version=1, decision="return",
                                            comments="缺少成果验收制度", missing=["acceptance"], group_id="g1")]
    assert state.work_plan.status == "returned"
    events, state = run(state, C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    assert events[0].plan_version == 2 and state.work_plan.status == "submitted"


def test_approved_plan_cannot_be_replaced():
    state = step(step(staffed(), C.SubmitWorkPlan(UNIT, U, FULL_PLAN)), review(1, "approve"))
    assert state.work_plan.status == "approved"
    err = refused(Conflict, state, C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    assert err.details == {"plan_version": 1}


@pytest.mark.parametrize("bad, fragment", [
    ({**FULL_PLAN, "leader_measures": ["dance"]}, "unknown key 'dance'"),
    ({**FULL_PLAN, "guarantee_systems": ["acceptance", "acceptance"]}, "duplicate"),
    ({**FULL_PLAN, "problems": [{"category": "weather", "description": "x", "measures": []}]}, "unknown category"),
    ({**FULL_PLAN, "problems": [{"category": "livelihood", "description": " ", "measures": []}]}, "description"),
    ({**FULL_PLAN, "problems": [{"category": "livelihood", "description": "x", "measures": [""]}]}, "measures"),
    ({**FULL_PLAN, "budget": 1}, "unknown field 'budget'"),
    ("a plan", "object"),
])
def test_malformed_plan_is_refused(bad, fragment):
    err = refused(Rejected, staffed(), C.SubmitWorkPlan(UNIT, U, bad))
    assert any(fragment in e for e in err.details["errors"]), err.details


def test_plan_submission_by_another_unit_is_forbidden():
    refused(Forbidden, staffed(), C.SubmitWorkPlan(OTHER_UNIT, U, FULL_PLAN))


def test_missing_items_names_bs_missing_acceptance_system():
    # B's plan names four systems and no 成果验收制度
    assert missing_items(B_PLAN)["guarantee_systems"] == ["acceptance"]
    assert missing_items(FULL_PLAN) == {"leader_measures": [], "problems_without_measures": [],
                                        "guarantee_systems": []}
    assert plan_errors(FULL_PLAN) == []


def test_review_noting_is_idempotent_and_ignores_superseded_versions():
    state = step(staffed(), C.SubmitWorkPlan(UNIT, U, B_PLAN))
    state = step(state, C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    assert decide(state, review(1, "return")) == []  # version 1 was superseded before review
    state = step(state, review(2, "approve"))
    assert decide(state, review(2, "approve")) == []  # delivered twice


def test_review_refusals():
    state = step(staffed(), C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    refused(Forbidden, state, C.NoteWorkPlanReview(UNIT, U, 1, "approve"))  # a unit cannot approve itself
    refused(Rejected, state, review(3, "approve"))
    refused(Rejected, state, review(1, "maybe"))
    refused(Rejected, staffed(), review(1, "approve"))  # no plan at all
    refused(NotFound, None, review(1, "approve"))
    approved = step(state, review(1, "approve"))
    refused(Conflict, approved, review(1, "return"))  # contradicts the recorded verdict


def test_requirements_are_set_in_the_first_phase():
    events, state = run(registered(), C.SetRequirements(UNIT, U, " 五带头 ", ("带头学习", "带头服务")))
    assert events == [E.RequirementsSet(unit_id=U, text="五带头", items=["带头学习", "带头服务"])]
    assert state.requirements == {"text": "五带头", "items": ["带头学习", "带头服务"]}
    assert decide(in_phase("mobilization"), C.SetRequirements(UNIT, U, "修订", ()))


def test_requirements_refusals():
    refused(Rejected, in_phase("analysis"), C.SetRequirements(UNIT, U, "太晚了", ()))
    refused(Rejected, registered(), C.SetRequirements(UNIT, U, "", ()))
    refused(Rejected, registered(), C.SetRequirements(UNIT, U, "要求", ("",)))
    refused(Forbidden, registered(), C.SetRequirements(OTHER_UNIT, U, "要求", ()))
