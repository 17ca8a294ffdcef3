"""R5 the group agrees or returns, then the office decides; R6 deadline extensions."""
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.supervision.domain import (
    DeadlineExtended,
    DecideTransition,
    ExtendDeadline,
    ReviewTransition,
    TransitionAgreed,
    TransitionApproved,
    TransitionRejected,
    TransitionReturned,
    decide,
    fold_unit,
)
from services.supervision.domain.commands import Readiness
from services.supervision.domain.unit_state import EMPTY_UNIT
from services.supervision.domain.vocabulary import NEXT_PHASE, PHASES
from shared.domain import Actor, Conflict, Forbidden, NotFound, Rejected
from tests.unit.supervision.helpers import (
    G1,
    OFFICE,
    READY,
    READY_ANALYSIS,
    READY_STUDY,
    SUP1,
    SUP2,
    UNIT,
    UNIT_ACTOR,
    application,
    arrived_unit,
    assigned,
    assigned_unit,
)


def refused(state, command, error):
    with pytest.raises(error) as caught:
        decide(state, command)
    return caught.value


def group_review(**kw):
    args = dict(transition_id="t1", unit_id=UNIT, decision="agree", comments="同意转段",
                today="2005-03-20", actor=SUP1, application=application(), readiness=READY)
    args.update(kw)
    return ReviewTransition(**args)


def office_decision(**kw):
    args = dict(transition_id="t1", unit_id=UNIT, decision="approve", comments="",
                today="2005-03-21", actor=OFFICE, application=application())
    args.update(kw)
    return DecideTransition(**args)


AGREED = TransitionAgreed(transition_id="t1", unit_id=UNIT, group_id=G1, comments="同意",
                          from_phase="mobilization", to_phase="analysis",
                          applicant_id="unit-u1", readiness=READY.to_dict(), date="2005-03-20")
RETURNED = TransitionReturned(transition_id="t1", unit_id=UNIT, group_id=G1, comments="学习不够",
                              from_phase="mobilization", to_phase="analysis", date="2005-03-20")


# ------------------------------------------------------------------ group review
def test_a_group_reviews_only_a_unit_it_has_arrived_at():
    for decision, comments in (("agree", "同意转段"), ("return", "学习不够")):
        error = refused(assigned_unit(), group_review(decision=decision, comments=comments), Conflict)
        assert error.details["missing"] == ["group_arrival"] and "arrive" in error.message


def test_group_agrees_a_ready_application_recording_what_it_was_shown():
    [event] = decide(arrived_unit(), group_review())
    assert isinstance(event, TransitionAgreed)
    assert (event.from_phase, event.to_phase, event.group_id) == ("mobilization", "analysis", G1)
    assert event.readiness["study"]["ready"] is True
    assert event.readiness["requirements_present"] is True


def test_group_returns_with_comments():
    [event] = decide(arrived_unit(), group_review(decision="return", comments="学习时间不足"))
    assert isinstance(event, TransitionReturned) and event.comments == "学习时间不足"


def test_returning_without_comments_is_refused():
    refused(arrived_unit(), group_review(decision="return", comments=""), Rejected)


def test_a_group_agreeing_twice_conflicts():
    error = refused(arrived_unit(AGREED), group_review(), Conflict)
    assert error.details["current_status"] == "agreed"


def test_a_returned_application_cannot_then_be_agreed():
    refused(arrived_unit(RETURNED), group_review(), Conflict)


def test_reviewing_an_application_that_does_not_exist_is_not_found():
    refused(arrived_unit(), group_review(application=None), NotFound)


def test_a_supervisor_of_another_group_is_forbidden():
    refused(arrived_unit(), group_review(actor=SUP2), Forbidden)
    refused(EMPTY_UNIT, group_review(), Forbidden)


def test_the_office_cannot_do_the_groups_review():
    refused(arrived_unit(), group_review(actor=OFFICE), Forbidden)


def test_nobody_reviews_their_own_application():
    refused(arrived_unit(), group_review(application=application(applicant_id="p-lead")),
            Forbidden)


def test_first_transition_without_specific_requirements_cannot_be_agreed():
    readiness = dataclasses.replace(READY, requirements_present=False)
    error = refused(arrived_unit(), group_review(readiness=readiness), Rejected)
    assert [b["check"] for b in error.details["blockers"]] == ["requirements"]


def test_members_below_the_study_floor_block_agreement_and_are_named():
    below = [{"member_id": "m7", "name": "赵", "hours": 30, "short_by": 10}]
    readiness = Readiness(study={**READY_STUDY, "ready": False, "members_below": below},
                          requirements_present=True)
    error = refused(arrived_unit(), group_review(readiness=readiness), Rejected)
    assert error.details["blockers"][0]["members_below"] == below


def test_unknown_study_readiness_blocks_leaving_mobilisation():
    readiness = Readiness(study=None, requirements_present=True)
    error = refused(arrived_unit(), group_review(readiness=readiness), Rejected)
    assert error.details["blockers"][0]["check"] == "study"


def test_a_unit_not_ready_can_still_be_returned():
    readiness = Readiness(study=None, requirements_present=False)
    [event] = decide(arrived_unit(), group_review(readiness=readiness, decision="return",
                                                   comments="未制定具体要求"))
    assert event.readiness["requirements_present"] is False


def test_open_rectifications_block_leaving_rectification_only():
    rect = application(from_phase="rectification", to_phase="survey")
    readiness = Readiness(study=None, requirements_present=False, open_rectifications=2,
                          analysis=READY_ANALYSIS)
    refused(arrived_unit(), group_review(application=rect, readiness=readiness), Rejected)
    analysis = application(from_phase="analysis", to_phase="rectification")
    [event] = decide(arrived_unit(), group_review(application=analysis, readiness=readiness))
    assert event.to_phase == "rectification"


def test_leaving_analysis_needs_evaluations_phase_two_readiness_and_names_what_is_missing():
    analysis = application(from_phase="analysis", to_phase="rectification")
    missing = [{"code": "leader_party_spirit_analysis", "message": "leaders without …",
                "member_ids": ["L1"]},
               {"code": "opinions_from_townships", "message": "no opinions solicited from 乡镇"}]
    not_ready = Readiness(analysis={"unit_id": UNIT, "ready": False, "missing": missing})
    error = refused(arrived_unit(), group_review(application=analysis, readiness=not_ready), Rejected)
    assert error.details["missing"] == ["leader_party_spirit_analysis", "opinions_from_townships"]
    assert error.details["blockers"][0]["items"] == missing
    unknown = refused(arrived_unit(), group_review(application=analysis, readiness=Readiness()), Rejected)
    assert unknown.details["missing"] == ["analysis"]
    [returned] = decide(arrived_unit(), group_review(application=analysis, readiness=not_ready,
                                                     decision="return", comments="党性分析材料未交齐"))
    assert returned.readiness["analysis"]["ready"] is False  # the review shows it, recorded
    [agreed] = decide(arrived_unit(), group_review(application=analysis,
                                                   readiness=Readiness(analysis=READY_ANALYSIS)))
    assert agreed.to_phase == "rectification"


@given(st.sampled_from(PHASES), st.sampled_from(PHASES))
def test_a_phase_can_never_be_skipped(from_phase, to_phase):
    app = application(from_phase=from_phase, to_phase=to_phase)
    readiness = Readiness(study=READY_STUDY, requirements_present=True, analysis=READY_ANALYSIS)
    command = group_review(application=app, readiness=readiness)
    if NEXT_PHASE.get(from_phase) == to_phase:
        [event] = decide(arrived_unit(), command)
        assert event.to_phase == to_phase
    else:
        with pytest.raises(Rejected):
            decide(arrived_unit(), command)


# --------------------------------------------------------------- office decision
def test_office_approves_what_the_group_agreed():
    [event] = decide(assigned_unit(AGREED), office_decision(comments="批准"))
    assert isinstance(event, TransitionApproved)
    assert (event.transition_id, event.unit_id, event.from_phase, event.to_phase) == (
        "t1", UNIT, "mobilization", "analysis")
    assert fold_unit([assigned(), AGREED, event]).transitions["t1"]["status"] == "approved"


def test_office_rejects_with_comments():
    [event] = decide(assigned_unit(AGREED), office_decision(decision="reject", comments="不够扎实"))
    assert isinstance(event, TransitionRejected) and event.comments == "不够扎实"
    refused(assigned_unit(AGREED), office_decision(decision="reject", comments=""), Rejected)


def test_office_cannot_approve_what_the_group_has_not_agreed():
    error = refused(assigned_unit(), office_decision(), Conflict)
    assert "has not agreed" in error.message


def test_office_cannot_approve_what_the_group_returned():
    refused(assigned_unit(RETURNED), office_decision(), Conflict)


def test_office_cannot_decide_twice():
    approved = TransitionApproved(transition_id="t1", unit_id=UNIT, from_phase="mobilization",
                                  to_phase="analysis", comments="", group_id=G1)
    refused(assigned_unit(AGREED, approved), office_decision(decision="reject", comments="x"),
            Conflict)


def test_unknown_application_is_not_found_for_the_office():
    refused(assigned_unit(), office_decision(application=None), NotFound)


def test_only_the_office_decides():
    refused(assigned_unit(AGREED), office_decision(actor=SUP1), Forbidden)
    refused(assigned_unit(AGREED), office_decision(actor=UNIT_ACTOR), Forbidden)


def test_nobody_approves_their_own_application():
    own = dataclasses.replace(AGREED, applicant_id="office-1")
    refused(assigned_unit(own), office_decision(), Forbidden)


def test_invalid_office_decision_is_refused():
    refused(assigned_unit(AGREED), office_decision(decision="maybe"), Rejected)


# --------------------------------------------------------------------- deadlines
def extend(**kw):
    args = dict(unit_id=UNIT, phase="analysis", until="2005-05-10", reason="分析评议需要更充分",
                today="2005-04-20", actor=OFFICE, current_phase="analysis",
                current_deadline="2005-04-30")
    args.update(kw)
    return ExtendDeadline(**args)


def test_office_extends_the_current_phase_with_a_reason():
    [event] = decide(assigned_unit(), extend())
    assert isinstance(event, DeadlineExtended)
    assert (event.phase, event.until, event.previous_deadline) == (
        "analysis", "2005-05-10", "2005-04-30")


def test_extension_without_a_reason_is_refused():
    refused(assigned_unit(), extend(reason="  "), Rejected)


def test_extension_must_move_the_deadline_later():
    refused(assigned_unit(), extend(until="2005-04-25"), Rejected)
    refused(assigned_unit(), extend(until="2005-04-19", current_deadline=None), Rejected)


def test_a_second_extension_goes_beyond_the_first_even_if_units_lags():
    first = DeadlineExtended(unit_id=UNIT, phase="analysis", until="2005-05-10", reason="r")
    refused(assigned_unit(first), extend(until="2005-05-05"), Rejected)
    [event] = decide(assigned_unit(first), extend(until="2005-05-20"))
    assert event.previous_deadline == "2005-05-10"


def test_extension_of_another_phase_or_unknown_unit_is_refused():
    refused(assigned_unit(), extend(phase="rectification"), Rejected)
    refused(assigned_unit(), extend(phase="accepted", current_phase="accepted"), Rejected)
    refused(assigned_unit(), extend(current_phase=None), NotFound)


def test_the_phase_just_approved_is_extendable_before_units_reports_entering_it():
    """The office approves, then extends the new phase at once: the units service has not
    yet told supervision the unit entered it, but the approval here says it is entering."""
    approved = TransitionApproved(transition_id="t1", unit_id=UNIT, from_phase="mobilization",
                                  to_phase="analysis", comments="")
    [event] = decide(assigned_unit(approved), extend(current_phase="mobilization"))
    assert event.phase == "analysis"
    err = refused(assigned_unit(approved), extend(phase="mobilization", current_phase="mobilization"),
                  Rejected)
    assert err.details["current_phase"] == "analysis"
    # once units reports the new phase, an old approval out of another phase changes nothing
    refused(assigned_unit(approved), extend(phase="mobilization", current_phase="rectification"),
            Rejected)


def test_only_the_office_extends():
    refused(assigned_unit(), extend(actor=SUP1), Forbidden)
    supervisor = Actor(id="x", name="x", role="unit", scope=UNIT)
    refused(assigned_unit(), extend(actor=supervisor), Forbidden)


def test_open_problems_of_the_ledger_block_leaving_rectification_only():
    rect = application(from_phase="rectification", to_phase="survey")
    readiness = Readiness(study=None, requirements_present=False, open_problems=("u1.p-1",),
                          analysis=READY_ANALYSIS)
    err = refused(arrived_unit(), group_review(application=rect, readiness=readiness), Rejected)
    assert [b["check"] for b in err.details["blockers"]] == ["ledger"]
    assert err.details["blockers"][0]["open_problems"] == ["u1.p-1"]
    analysis = application(from_phase="analysis", to_phase="rectification")
    [event] = decide(arrived_unit(), group_review(application=analysis, readiness=readiness))
    assert event.to_phase == "rectification"
