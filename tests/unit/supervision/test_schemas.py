"""The request schemas: required fields, enums, ranges, unknown fields refused."""
import pytest
from marshmallow import ValidationError

from services.supervision import schemas as s

PERSON = {"name": "张组长", "rank": "section", "home_unit": "县财政局", "post": "副局长"}
SEVEN = {"leadership_responsibility": 9, "leaders_set_example": 8, "working_strength": 7,
         "measures_in_place": 8, "problems_solved": 6, "results_evident": 7, "work_promoted": 10}


def errors(schema, data):
    with pytest.raises(ValidationError) as caught:
        schema().load(data)
    return caught.value.messages


def test_form_group_accepts_a_leader_and_members():
    data = s.FormGroupSchema().load({"name": "第一督导组", "leader": PERSON,
                                     "members": [{**PERSON, "rank": "staff", "name": "李"}]})
    assert data["leader"]["rank"] == "section" and len(data["members"]) == 1


def test_form_group_refusals():
    assert "members" in errors(s.FormGroupSchema, {"name": "x", "leader": PERSON, "members": []})
    assert "leader" in errors(s.FormGroupSchema, {"name": "x", "members": [PERSON]})
    bad_rank = errors(s.FormGroupSchema, {"name": "x", "leader": {**PERSON, "rank": "boss"},
                                          "members": [PERSON]})
    assert "rank" in bad_rank["leader"]
    assert "extra" in errors(s.FormGroupSchema, {"name": "x", "leader": PERSON,
                                                 "members": [PERSON], "extra": 1})


def test_dates_stay_iso_strings_and_bad_dates_are_refused():
    assert s.ArrivalSchema().load({"unit_id": "u1", "date": "2005-02-16"})["date"] == "2005-02-16"
    assert "date" in errors(s.ArrivalSchema, {"unit_id": "u1", "date": "16/02/2005"})
    assert "date" in errors(s.ArrivalSchema, {"unit_id": "u1"})
    assert "unit_id" in errors(s.ArrivalSchema, {"unit_id": "", "date": "2005-02-16"})


def test_assign_unit_requires_the_unit_and_nothing_else():
    assert s.AssignUnitSchema().load({"unit_id": "u1"}) == {"unit_id": "u1"}
    assert "group_id" in errors(s.AssignUnitSchema, {"unit_id": "u1", "group_id": "g"})


@pytest.mark.parametrize("schema,ok,bad", [
    (s.WorkPlanReviewSchema, "approve", "maybe"),
    (s.GroupReviewSchema, "agree", "approve"),
    (s.OfficeDecisionSchema, "approve", "agree"),
    (s.LeaveDecisionSchema, "deny", "ok"),
])
def test_decisions_are_enumerated(schema, ok, bad):
    assert schema().load({"decision": ok, "comments": "意见"})["decision"] == ok
    assert "decision" in errors(schema, {"decision": bad, "comments": "意见"})


@pytest.mark.parametrize("schema,decision", [
    (s.WorkPlanReviewSchema, "return"), (s.GroupReviewSchema, "return"),
    (s.OfficeDecisionSchema, "reject")])
def test_returns_and_rejections_need_comments(schema, decision):
    assert "comments" in errors(schema, {"decision": decision, "comments": " "})


def test_deadline_extension_needs_a_reason_and_a_known_phase():
    ok = {"phase": "analysis", "until": "2005-05-10", "reason": "分析评议需要更充分"}
    assert s.DeadlineExtensionSchema().load(ok) == ok
    assert "reason" in errors(s.DeadlineExtensionSchema, {**ok, "reason": ""})
    assert "reason" in errors(s.DeadlineExtensionSchema, {"phase": "analysis",
                                                          "until": "2005-05-10"})
    assert "phase" in errors(s.DeadlineExtensionSchema, {**ok, "phase": "accepted"})


def test_inspection_needs_all_seven_points_in_range():
    ok = {"unit_id": "u1", "date": "2005-03-10", "scores": SEVEN}
    assert s.InspectionSchema().load(ok)["scores"] == SEVEN
    missing = {k: v for k, v in SEVEN.items() if k != "work_promoted"}
    assert "scores" in errors(s.InspectionSchema, {**ok, "scores": missing})
    assert "scores" in errors(s.InspectionSchema, {**ok, "scores": {**SEVEN, "mood": 3}})
    assert "scores" in errors(s.InspectionSchema, {**ok, "scores": {**SEVEN, "work_promoted": 11}})
    assert "scores" in errors(s.InspectionSchema, {**ok, "scores": {**SEVEN, "work_promoted": "9"}})


def test_reports_by_kind():
    ok = {"unit_id": "u1", "kind": "major_issue", "title": "t", "body": "b", "date": "2005-02-20"}
    assert s.ReportSchema().load(ok)["kind"] == "major_issue"
    assert "body" in errors(s.ReportSchema, {**ok, "body": ""})
    assert "kind" in errors(s.ReportSchema, {**ok, "kind": "gossip"})
    contact = {**ok, "kind": "contact_details", "body": "", "contact": {"phone": "123"}}
    assert s.ReportSchema().load(contact)["contact"] == {"phone": "123"}
    assert "contact" in errors(s.ReportSchema, {**contact, "contact": {}})


def test_typical_cases_recommendations_and_publicity():
    case = {"unit_id": "u1", "kind": "person", "title": "t", "description": "d",
            "date": "2005-03-01", "person_name": "王某"}
    assert s.TypicalCaseSchema().load(case)["person_name"] == "王某"
    assert "person_name" in errors(s.TypicalCaseSchema, {**case, "person_name": None})
    assert s.RecommendationSchema().load({"recipient": "office"}) == {"recipient": "office"}
    assert "recipient" in errors(s.RecommendationSchema, {"recipient": "press"})
    assert "channel" in errors(s.PublicitySchema, {})


def test_branch_leave_and_batch():
    rules = {"study": "a", "deliberation": "b", "leave": "c"}
    branch = {"secretary_member_id": "p1", "rules": rules, "date": "2005-01-21"}
    assert s.TemporaryBranchSchema().load(branch)["rules"] == rules
    assert "rules" in errors(s.TemporaryBranchSchema, {**branch, "rules": {"study": "a"}})
    leave = {"member_id": "p1", "from_date": "2005-03-02", "to_date": "2005-03-01", "reason": "r"}
    assert "to_date" in errors(s.LeaveRequestSchema, leave)
    assert s.BatchParticipationSchema().load({"batch": 3}) == {"batch": 3}
    assert "batch" in errors(s.BatchParticipationSchema, {"batch": 1})


def test_field_work_schemas():
    assert s.WorkingOfficeSchema().load({"date": "2005-02-21", "office_established": True,
                                         "staff_trained": False})["notes"] == ""
    assert "staff_trained" in errors(s.WorkingOfficeSchema, {"date": "2005-02-21",
                                                             "office_established": True})
    acc = {"date": "2005-06-20", "result": "pass", "office_participants": ["宋善玺"]}
    assert s.AcceptanceInspectionSchema().load(acc)["result"] == "pass"
    assert "office_participants" in errors(s.AcceptanceInspectionSchema,
                                           {**acc, "office_participants": []})
    assert "topic" in errors(s.CommitteeMeetingSchema, {"date": "2005-02-20"})
    assert s.ArrivalTaskDoneSchema().load({"note": "要点"}) == {"note": "要点"}
    assert s.SpeechDraftReadSchema().load({}) == {"comments": ""}


def test_briefing_period_is_ordered():
    ok = {"title": "简报第1期", "period_from": "2005-02-15", "period_to": "2005-02-25"}
    assert s.BriefingSchema().load(ok) == ok
    assert "period_to" in errors(s.BriefingSchema, {**ok, "period_to": "2005-02-01"})


def test_every_schema_refuses_unknown_fields():
    for name, schema in s.SCHEMAS.items():
        assert "zzz" in errors(schema, {"zzz": 1}), name
