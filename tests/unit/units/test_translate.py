"""Other services' events become system commands; the date is the event's own."""
import pytest

from services.units.domain import commands as C
from services.units.translate import CONSUMED, command_for
from shared.domain import SYSTEM


def env(type_, payload, occurred_at="2024-03-15T08:30:00.000Z"):
    return {"type": type_, "payload": payload, "occurred_at": occurred_at}


def test_transition_approved():
    cmd = command_for(env("TransitionApproved", {"transition_id": "t1", "unit_id": "u1", "from_phase": "analysis",
                                                 "to_phase": "rectification", "comments": "同意"}))
    assert cmd == C.ApplyApprovedTransition(SYSTEM, "u1", "t1", "analysis", "rectification", "2024-03-15", "同意")


@pytest.mark.parametrize("type_, outcome", [("TransitionReturned", "returned"), ("TransitionRejected", "rejected")])
def test_transition_returned_or_rejected(type_, outcome):
    cmd = command_for(env(type_, {"transition_id": "t1", "unit_id": "u1", "group_id": "g1", "comments": "不深"}))
    assert cmd == C.CloseTransition(SYSTEM, "u1", "t1", outcome, "不深")


def test_work_plan_reviewed():
    cmd = command_for(env("WorkPlanReviewed", {"unit_id": "u1", "group_id": "g1", "plan_version": 2,
                                               "decision": "return", "comments": "缺", "missing": ["acceptance"]}))
    assert cmd == C.NoteWorkPlanReview(SYSTEM, "u1", 2, "return", "缺", ("acceptance",), "g1")


def test_group_arrived():
    cmd = command_for(env("GroupArrived", {"group_id": "g1", "unit_id": "u1", "date": "2024-02-16",
                                           "deadline": "2024-02-16", "late": False}))
    assert cmd == C.NoteGroupArrival(SYSTEM, "u1", "g1", "2024-02-16")


def test_deadline_extended():
    cmd = command_for(env("DeadlineExtended", {"unit_id": "u1", "phase": "analysis", "until": "2024-05-01",
                                               "reason": "进度服从质量"}))
    assert cmd == C.ApplyDeadlineExtension(SYSTEM, "u1", "analysis", "2024-05-01", "进度服从质量")


def test_survey_results():
    failed = command_for(env("SurveyFailed", {"survey_id": "s1", "unit_id": "u1", "share_leadership": 0.6,
                                              "share_campaign": 0.7}, "2024-06-20T01:00:00.000Z"))
    assert failed == C.ApplySurveyResult(SYSTEM, "u1", "s1", False, "2024-06-20", 0.6, 0.7)
    passed = command_for(env("SurveyPassed", {"survey_id": "s2", "unit_id": "u1"}))
    assert (passed.passed, passed.share_leadership) == (True, None)


def test_unused_types_give_no_command_and_every_consumed_type_gives_one():
    assert command_for(env("GroupFormed", {"group_id": "g1"})) is None
    samples = {"WorkPlanReviewed": {"unit_id": "u", "plan_version": 1, "decision": "approve"},
               "GroupArrived": {"unit_id": "u", "group_id": "g", "date": "2024-02-16"},
               "TransitionApproved": {"unit_id": "u", "transition_id": "t", "from_phase": "a", "to_phase": "b"},
               "TransitionReturned": {"unit_id": "u", "transition_id": "t"},
               "TransitionRejected": {"unit_id": "u", "transition_id": "t"},
               "DeadlineExtended": {"unit_id": "u", "phase": "analysis", "until": "2024-05-01"},
               "SurveyPassed": {"unit_id": "u", "survey_id": "s"},
               "SurveyFailed": {"unit_id": "u", "survey_id": "s"},
               "AcceptanceInspectionRecorded": {"unit_id": "u", "inspection_id": "i", "survey_id": "s",
                                                "result": "fail", "notes": "未达标"},
               "InspectionRecorded": {"unit_id": "u", "inspection_id": "i", "group_id": "g", "date": "2024-03-01",
                                      "scores": {"working_strength": 3}, "max_total": 70, "notes": {}}}
    for types in CONSUMED.values():
        for type_ in types:
            assert command_for(env(type_, samples[type_])).actor == SYSTEM


def test_an_invalid_survey_changes_nothing_for_the_unit():
    # under the minimum turnout: neither passed nor failed, the unit stays in phase survey
    assert "SurveyInvalidated" not in CONSUMED["evaluation"]
    assert command_for(env("SurveyInvalidated", {"survey_id": "s1", "unit_id": "u1", "reasons": ["1/3"],
                                                 "ballots_cast": 1, "eligible": 3, "turnout": {},
                                                 "min_turnout": {}})) is None
