"""Mobilisation meeting, the unit's side of the phase gate (R5, R11), deadlines (R6),
survey results and remedial (R12)."""
import dataclasses

import pytest

from services.units.domain import DEFAULT_CONFIG, UnitsConfig, decide
from services.units.domain import commands as C
from services.units.domain import events as E
from shared.domain import Conflict, Forbidden, Rejected

from .helpers import (
    ANALYSIS_READY,
    FULL_PLAN,
    OTHER_UNIT,
    READY,
    SYS,
    UNIT,
    U,
    done,
    group_arrived,
    in_phase,
    leave_current_phase,
    mobilizing,
    plan_approved,
    ready_to_hold,
    refused,
    run,
    scheduled,
    signed_off,
    staffed,
    step,
)

# --- the mobilisation meeting ---------------------------------------------------

def test_schedule_and_reschedule_before_held():
    events, state = run(staffed(), C.ScheduleMobilizationMeeting(UNIT, U, "2024-02-18", today="2024-02-01"))
    assert events == [E.MobilizationMeetingScheduled(unit_id=U, date="2024-02-18", previous_date=None)]
    events, state = run(state, C.ScheduleMobilizationMeeting(UNIT, U, "2024-02-20", today="2024-02-02"))
    assert events == [E.MobilizationMeetingScheduled(unit_id=U, date="2024-02-20", previous_date="2024-02-18")]
    assert state.meeting_date == "2024-02-20"
    assert decide(state, C.ScheduleMobilizationMeeting(UNIT, U, "2024-02-20", today="2024-02-02")) == []


def test_schedule_refusals():
    refused(Rejected, staffed(), C.ScheduleMobilizationMeeting(UNIT, U, "2024-01-31", today="2024-02-01"))
    refused(Rejected, staffed(), C.ScheduleMobilizationMeeting(UNIT, U, "18 Feb", today="2024-02-01"))
    refused(Forbidden, staffed(), C.ScheduleMobilizationMeeting(OTHER_UNIT, U, "2024-02-18", today="2024-02-01"))
    refused(Conflict, mobilizing(), C.ScheduleMobilizationMeeting(UNIT, U, "2024-03-01", today="2024-02-19"))


def test_holding_the_meeting_starts_phase_one_with_the_batch_deadline():
    events, state = run(ready_to_hold(), C.HoldMobilizationMeeting(UNIT, U, today="2024-02-18"))
    assert events == [
        E.MobilizationMeetingHeld(unit_id=U, date="2024-02-18"),
        E.PhaseEntered(unit_id=U, phase="mobilization", previous_phase="registered", deadline="2024-03-20",
                       reason="mobilisation meeting (动员会) held on 2024-02-18", entered_on="2024-02-18"),
    ]
    assert (state.phase, state.meeting_held_on) == ("mobilization", "2024-02-18")


def test_the_meeting_waits_for_the_groups_arrival_and_the_approved_work_plan():
    hold = C.HoldMobilizationMeeting(UNIT, U, today="2024-02-18")
    err = refused(Conflict, scheduled(), hold)
    assert err.details["missing"] == ["group_arrival", "work_plan_approved"]
    assert "group_arrival" in err.message and "work_plan_approved" in err.message
    err = refused(Conflict, group_arrived(scheduled()), hold)
    assert err.details["missing"] == ["work_plan_approved"]
    err = refused(Conflict, plan_approved(scheduled()), hold)
    assert err.details["missing"] == ["group_arrival"]
    # a plan submitted or returned is not an approved one
    submitted = step(group_arrived(scheduled()), C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    assert refused(Conflict, submitted, hold).details["work_plan_status"] == "submitted"
    returned = step(submitted, C.NoteWorkPlanReview(SYS, U, 1, "return", "缺成果验收制度"))
    assert refused(Conflict, returned, hold).details["missing"] == ["work_plan_approved"]
    assert run(ready_to_hold(), hold)[1].phase == "mobilization"


def test_the_groups_arrival_is_noted_once_and_only_by_the_system():
    events, state = run(scheduled(), C.NoteGroupArrival(SYS, U, "g1", "2024-02-15"))
    assert events == [E.GroupArrivalNoted(unit_id=U, group_id="g1", date="2024-02-15")]
    assert state.group_arrived_on == "2024-02-15"
    assert decide(state, C.NoteGroupArrival(SYS, U, "g1", "2024-02-15")) == []  # delivered again
    refused(Forbidden, scheduled(), C.NoteGroupArrival(UNIT, U, "g1", "2024-02-15"))


def test_holding_a_meeting_never_scheduled_is_refused():
    err = refused(Rejected, staffed(), C.HoldMobilizationMeeting(UNIT, U, today="2024-02-18"))
    assert "never scheduled" in err.message


def test_hold_refusals():
    refused(Rejected, ready_to_hold(), C.HoldMobilizationMeeting(UNIT, U, today="2024-02-17"))  # not yet
    refused(Rejected, ready_to_hold(), C.HoldMobilizationMeeting(UNIT, U, today="2024-02-25", date="2024-02-19"))
    refused(Conflict, mobilizing(), C.HoldMobilizationMeeting(UNIT, U, today="2024-02-25"))
    refused(Forbidden, ready_to_hold(), C.HoldMobilizationMeeting(OTHER_UNIT, U, today="2024-02-18"))


# --- applying to leave a phase (R5) -------------------------------------------------

def ready_mobilizing():
    return step(mobilizing(), C.SetRequirements(UNIT, U, "具体要求", ()))


def test_apply_to_leave_mobilization():
    events, state = run(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "学习动员阶段总结", READY))
    assert events == [E.TransitionApplied(unit_id=U, transition_id="t1", from_phase="mobilization",
                                          to_phase="analysis", summary="学习动员阶段总结")]
    assert state.phase == "mobilization"  # applying never moves the unit
    assert state.open_application.transition_id == "t1"


def test_applying_twice_while_one_is_open_is_refused():
    state = step(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))
    err = refused(Conflict, state, C.ApplyForTransition(UNIT, U, "t2", "再次", READY))
    assert err.details == {"transition_id": "t1"}


@pytest.mark.parametrize("phase", ["registered", "survey", "accepted"])
def test_applying_from_a_phase_that_cannot_be_left_is_refused(phase):
    err = refused(Rejected, in_phase(phase), C.ApplyForTransition(UNIT, U, "tx", "总结", READY))
    assert err.details == {"phase": phase}


def test_first_transition_needs_the_specific_requirements():
    err = refused(Rejected, mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))
    assert "具体要求" in err.message


def test_first_transition_needs_study_readiness():
    below = {**READY, "ready": False, "members_below": [{"member_id": "S1", "hours": 32, "short_by": 8}]}
    err = refused(Rejected, ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", below))
    assert err.details["members_below"][0]["member_id"] == "S1"
    refused(Rejected, ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", None))
    relaxed = UnitsConfig(require_study_readiness=False)
    assert decide(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", None), relaxed)


def test_leaving_analysis_needs_evaluations_phase_two_readiness():
    state = in_phase("analysis")
    missing = [{"code": "leader_party_spirit_analysis", "message": "leaders without …", "member_ids": ["L1"]},
               {"code": "leader_democratic_life_meeting", "message": "…", "member_ids": ["L1", "L2"]}]
    err = refused(Conflict, state, C.ApplyForTransition(UNIT, U, "t2", "分析评议总结",
                                                        analysis_readiness={"ready": False, "missing": missing}))
    assert err.details["missing"] == ["leader_party_spirit_analysis", "leader_democratic_life_meeting"]
    assert "leader_party_spirit_analysis" in err.message and err.details["items"] == missing
    err = refused(Conflict, state, C.ApplyForTransition(UNIT, U, "t2", "分析评议总结"))
    assert err.details["missing"] == ["analysis_readiness"]
    [applied] = decide(state, C.ApplyForTransition(UNIT, U, "t2", "分析评议总结", analysis_readiness=ANALYSIS_READY))
    assert (applied.from_phase, applied.to_phase) == ("analysis", "rectification")
    relaxed = UnitsConfig(require_analysis_readiness=False)
    assert decide(state, C.ApplyForTransition(UNIT, U, "t2", "分析评议总结"), relaxed)


def test_the_analysis_summary_records_its_review_period_r19():
    state = in_phase("analysis")
    apply = C.ApplyForTransition(UNIT, U, "t2", "分析评议总结", analysis_readiness=ANALYSIS_READY,
                                 thinking_since="1997-09-12")
    [applied] = decide(state, apply)
    assert applied.review_period == {"work_since": "2002-11-08", "thinking_since": "1997-09-12"}
    err = refused(Conflict, state, dataclasses.replace(apply, work_since="2004-07-01"))
    assert err.details["field"] == "work_since"
    # not ready and a late period: the period is named first, nothing is decided
    err = refused(Conflict, state, dataclasses.replace(apply, analysis_readiness=None, thinking_since="2003-01-01"))
    assert err.details["field"] == "thinking_since"
    # only the 分析评议 summary has a review period
    err = refused(Rejected, ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY,
                                                                     work_since="2002-11-08"))
    assert err.details["field"] == "work_since"
    assert decide(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))[0].review_period is None


def test_leaving_rectification_needs_measures_led_by_every_leader():
    state = in_phase("rectification")
    refused(Rejected, state, C.ApplyForTransition(UNIT, U, "t9", "整改总结"))
    state = step(state, C.AddRectificationMeasure(UNIT, U, "m1", "commitment", "改进作风", "L1",
                                                  "2024-05-30", today="2024-04-21"))
    err = refused(Rejected, state, C.ApplyForTransition(UNIT, U, "t9", "整改总结"))
    assert err.details == {"leaders_without_measure": ["L2"]}
    state = step(state, C.AddRectificationMeasure(UNIT, U, "m2", "measure", "规范管理", "L2",
                                                  "2024-05-30", today="2024-04-21"))
    # every leader owns a measure; the ledger's gate still wants the problem signed off (销号)
    err = refused(Conflict, state, C.ApplyForTransition(UNIT, U, "t9", "整改总结"))
    assert [p["problem_id"] for p in err.details["open_problems"]] == ["u1.before-ledger"]
    for measure_id in ("m1", "m2"):
        state = signed_off(done(state, measure_id), measure_id)
    assert decide(state, C.ApplyForTransition(UNIT, U, "t9", "整改总结"))[0].to_phase == "survey"


def test_application_refusals():
    state = ready_mobilizing()
    refused(Rejected, state, C.ApplyForTransition(UNIT, U, "t1", "  ", READY))
    refused(Forbidden, state, C.ApplyForTransition(OTHER_UNIT, U, "t1", "总结", READY))
    returned = step(step(state, C.ApplyForTransition(UNIT, U, "t1", "总结", READY)),
                    C.CloseTransition(SYS, U, "t1", "returned", "再深入"))
    refused(Conflict, returned, C.ApplyForTransition(UNIT, U, "t1", "总结", READY))  # id reused


# --- the phase changes only by supervision's approval ---------------------------------

def test_approval_moves_the_unit_and_closes_the_application():
    state = step(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))
    events, state = run(state, C.ApplyApprovedTransition(SYS, U, "t1", "mobilization", "analysis", "2024-03-15"))
    assert events == [
        E.TransitionApplicationClosed(unit_id=U, transition_id="t1", outcome="approved", comments=""),
        E.PhaseEntered(unit_id=U, phase="analysis", previous_phase="mobilization", deadline="2024-04-20",
                       reason="transition t1 approved", entered_on="2024-03-15", transition_id="t1"),
    ]
    assert state.phase == "analysis" and state.open_application is None
    assert decide(state, C.ApplyApprovedTransition(SYS, U, "t1", "mobilization", "analysis", "2024-03-15")) == []


def test_the_unit_cannot_approve_its_own_transition():
    state = step(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))
    refused(Forbidden, state, C.ApplyApprovedTransition(UNIT, U, "t1", "mobilization", "analysis", "2024-03-15"))


def test_approval_refusals():
    state = step(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))
    refused(Conflict, ready_mobilizing(),
            C.ApplyApprovedTransition(SYS, U, "t1", "mobilization", "analysis", "2024-03-15"))  # nothing open
    refused(Conflict, state, C.ApplyApprovedTransition(SYS, U, "t2", "mobilization", "analysis", "2024-03-15"))
    refused(Conflict, state,  # an approval that would skip 分析评议
            C.ApplyApprovedTransition(SYS, U, "t1", "mobilization", "rectification", "2024-03-15"))


@pytest.mark.parametrize("outcome", ["returned", "rejected"])
def test_returned_or_rejected_application_closes_and_the_unit_may_apply_again(outcome):
    state = step(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))
    events, state = run(state, C.CloseTransition(SYS, U, "t1", outcome, "分析不深"))
    assert events == [E.TransitionApplicationClosed(unit_id=U, transition_id="t1", outcome=outcome,
                                                    comments="分析不深")]
    assert state.open_application is None and state.phase == "mobilization"
    assert decide(state, C.CloseTransition(SYS, U, "t1", outcome, "分析不深")) == []
    assert decide(state, C.ApplyForTransition(UNIT, U, "t2", "补充后的总结", READY))


def test_close_refusals():
    state = step(ready_mobilizing(), C.ApplyForTransition(UNIT, U, "t1", "总结", READY))
    refused(Forbidden, state, C.CloseTransition(UNIT, U, "t1", "returned"))
    refused(Rejected, state, C.CloseTransition(SYS, U, "t1", "approved"))
    refused(Conflict, state, C.CloseTransition(SYS, U, "t7", "returned"))


# --- deadlines (R6) --------------------------------------------------------------

def test_extension_of_the_current_phase():
    events, state = run(mobilizing(), C.ApplyDeadlineExtension(SYS, U, "mobilization", "2024-03-31", "学习不深"))
    assert events == [E.DeadlineApplied(unit_id=U, phase="mobilization", until="2024-03-31", reason="学习不深",
                                        previous="2024-03-20")]
    assert state.deadlines["mobilization"] == "2024-03-31"
    assert decide(state, C.ApplyDeadlineExtension(SYS, U, "mobilization", "2024-03-31", "学习不深")) == []


def test_extension_of_a_coming_phase_applies_on_entry():
    state = step(ready_mobilizing(), C.ApplyDeadlineExtension(SYS, U, "analysis", "2024-05-05", "进度服从质量"))
    state = leave_current_phase(state, "t1")
    assert (state.phase, state.deadlines["analysis"]) == ("analysis", "2024-05-05")


def test_extension_refusals():
    state = in_phase("analysis")
    refused(Rejected, state, C.ApplyDeadlineExtension(SYS, U, "mobilization", "2024-12-31", "太晚"))  # left
    refused(Rejected, state, C.ApplyDeadlineExtension(SYS, U, "analysis", "2024-04-01", "缩短"))  # shorter
    refused(Rejected, state, C.ApplyDeadlineExtension(SYS, U, "accepted", "2024-12-31", "无"))
    refused(Rejected, state, C.ApplyDeadlineExtension(SYS, U, "analysis", "soon", "无"))
    refused(Forbidden, state, C.ApplyDeadlineExtension(UNIT, U, "analysis", "2024-05-01", "自己延长"))


# --- the survey's verdict: accepted or remedial --------------------------------------

def test_a_passed_survey_awaits_inspection_and_a_passed_inspection_accepts_the_unit():
    events, state = run(in_phase("survey"), C.ApplySurveyResult(SYS, U, "s1", True, "2024-06-20"))
    assert [type(e) for e in events] == [E.SurveyPassNoted]  # still in the survey phase
    assert (state.phase, state.awaiting_inspection) == ("survey", "s1")
    events, state = run(state, C.ApplyInspectionResult(SYS, U, "i1", "s1", True, "成果扎实", "2024-06-25"))
    assert [(e.phase, e.previous_phase, e.deadline, e.survey_id) for e in events[1:]] == \
        [("accepted", "survey", None, "s1")]
    assert events[0].passed and state.phase == "accepted" and "i1" in state.history[-1].reason


def test_a_failed_inspection_sends_the_unit_back_to_rectification_with_its_findings():
    state = step(in_phase("survey"), C.ApplySurveyResult(SYS, U, "s1", True, "2024-06-20"))
    events, state = run(state, C.ApplyInspectionResult(SYS, U, "i1", "s1", False, "整改措施未落实到位",
                                                       "2024-06-25"))
    assert (events[0].passed, events[0].notes) == (False, "整改措施未落实到位")
    assert (state.phase, events[1].deadline) == ("rectification", "2024-07-25")  # remedial_days
    assert "整改措施未落实到位" in state.history[-1].reason
    assert decide(state, C.ApplyInspectionResult(SYS, U, "i1", "s1", False, "", "2024-06-25")) == []
    # back to the survey after rework: a new survey, a new deadline
    state = leave_current_phase(state, "t-again", today="2024-07-10")
    assert (state.phase, state.deadlines["survey"]) == ("survey", "2024-07-30")


def test_inspection_refusals_name_the_missing_passed_survey():
    err = refused(Conflict, in_phase("survey"), C.ApplyInspectionResult(SYS, U, "i1", "s1", True, "", "2024-06-25"))
    assert err.details["missing"] == ["passed_survey"]
    passed = step(in_phase("survey"), C.ApplySurveyResult(SYS, U, "s1", True, "2024-06-20"))
    refused(Conflict, passed, C.ApplyInspectionResult(SYS, U, "i1", "s0", True, "", "2024-06-25"))
    refused(Conflict, in_phase("remedial"), C.ApplyInspectionResult(SYS, U, "i1", "s1", True, "", "2024-06-25"))
    refused(Forbidden, passed, C.ApplyInspectionResult(UNIT, U, "i1", "s1", True, "", "2024-06-25"))


def test_failed_survey_sends_the_unit_to_remedial_with_the_reason_in_its_history():
    events, state = run(in_phase("survey"), C.ApplySurveyResult(SYS, U, "s1", False, "2024-06-20", 0.6, 0.7))
    assert state.phase == "remedial"
    assert events[0].deadline == "2024-07-20"  # remedial_days after the verdict
    why = state.history[-1].reason
    assert "s1 failed" in why and "60.0%" in why and "补课" in why


def test_remedial_leads_back_to_a_new_survey_and_then_acceptance():
    state = leave_current_phase(in_phase("remedial"), "t-remedial", today="2024-07-15")
    assert state.phase == "survey"
    assert state.deadlines["survey"] == "2024-08-04"  # resurvey_days after re-entry
    state = step(state, C.ApplySurveyResult(SYS, U, "s2", True, "2024-08-01"))
    state = step(state, C.ApplyInspectionResult(SYS, U, "i2", "s2", True, "", "2024-08-03"))
    assert [h.phase for h in state.history] == ["mobilization", "analysis", "rectification", "survey",
                                                "remedial", "survey", "accepted"]


def test_survey_result_refusals_and_redelivery():
    refused(Conflict, in_phase("rectification"), C.ApplySurveyResult(SYS, U, "s1", True, "2024-06-20"))
    refused(Forbidden, in_phase("survey"), C.ApplySurveyResult(UNIT, U, "s1", True, "2024-06-20"))
    assert decide(in_phase("accepted"), C.ApplySurveyResult(SYS, U, "s1", True, "2024-06-20")) == []


def test_remedial_needs_new_measures_before_leaving():
    state = in_phase("remedial")  # the rectification phase's measures do not count again
    err = refused(Rejected, state, C.ApplyForTransition(UNIT, U, "t-r", "补课总结"))
    assert err.details == {"phase": "remedial"}


def test_config_changes_the_remedial_length():
    config = dataclasses.replace(DEFAULT_CONFIG, remedial_days=10)
    events = decide(in_phase("survey"), C.ApplySurveyResult(SYS, U, "s1", False, "2024-06-20"), config)
    assert events[0].deadline == "2024-06-30"
