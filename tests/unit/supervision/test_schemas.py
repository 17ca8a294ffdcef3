"""The request schemas: required fields, enums, ranges, unknown fields refused; the
identifiers the HTTP path carries are named fields; inside the edge context a command
schema's post_load builds the command."""
import pytest
from marshmallow import ValidationError

from services.supervision import schemas as s

PERSON = {"name": "张组长", "rank": "section", "home_unit": "县财政局", "post": "副局长"}
SEVEN = {"leadership_responsibility": 9, "leaders_set_example": 8, "working_strength": 7,
         "measures_in_place": 8, "problems_solved": 6, "results_evident": 7, "work_promoted": 10}


PATH_IDS = {s.WorkPlanReviewSchema: {"unit_id": "u1"},
            s.GroupReviewSchema: {"transition_id": "t1"},
            s.OfficeDecisionSchema: {"transition_id": "t1"},
            s.LeaveDecisionSchema: {"group_id": "g1", "leave_id": "leave-1"}}


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
    at = {"group_id": "g1", "unit_id": "u1"}
    assert s.ArrivalSchema().load({**at, "date": "2005-02-16"})["date"] == "2005-02-16"
    assert "date" in errors(s.ArrivalSchema, {**at, "date": "16/02/2005"})
    assert "date" in errors(s.ArrivalSchema, at)
    assert "unit_id" in errors(s.ArrivalSchema, {**at, "unit_id": "", "date": "2005-02-16"})


def test_assign_unit_requires_the_group_and_the_unit_and_nothing_else():
    ok = {"group_id": "g1", "unit_id": "u1"}
    assert s.AssignUnitSchema().load(ok) == ok
    assert "group_id" in errors(s.AssignUnitSchema, {"unit_id": "u1"})
    assert "batch" in errors(s.AssignUnitSchema, {**ok, "batch": 1})


@pytest.mark.parametrize("schema,ok,bad", [
    (s.WorkPlanReviewSchema, "approve", "maybe"),
    (s.GroupReviewSchema, "agree", "approve"),
    (s.OfficeDecisionSchema, "approve", "agree"),
    (s.LeaveDecisionSchema, "deny", "ok"),
])
def test_decisions_are_enumerated(schema, ok, bad):
    ids = PATH_IDS[schema]
    assert schema().load({**ids, "decision": ok, "comments": "意见"})["decision"] == ok
    assert "decision" in errors(schema, {**ids, "decision": bad, "comments": "意见"})
    assert set(ids) <= set(errors(schema, {"decision": ok}))


@pytest.mark.parametrize("schema,decision", [
    (s.WorkPlanReviewSchema, "return"), (s.GroupReviewSchema, "return"),
    (s.OfficeDecisionSchema, "reject")])
def test_returns_and_rejections_need_comments(schema, decision):
    assert "comments" in errors(schema, {**PATH_IDS[schema], "decision": decision,
                                         "comments": " "})


def test_deadline_extension_needs_a_reason_and_a_known_phase():
    ok = {"unit_id": "u1", "phase": "analysis", "until": "2005-05-10",
          "reason": "分析评议需要更充分"}
    assert s.DeadlineExtensionSchema().load(ok) == ok
    assert "reason" in errors(s.DeadlineExtensionSchema, {**ok, "reason": ""})
    assert "reason" in errors(s.DeadlineExtensionSchema, {"unit_id": "u1", "phase": "analysis",
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
    assert s.RecommendationSchema().load({"case_id": "c1", "recipient": "office"}) == {
        "case_id": "c1", "recipient": "office"}
    assert "recipient" in errors(s.RecommendationSchema, {"case_id": "c1", "recipient": "press"})
    assert {"channel", "case_id"} <= set(errors(s.PublicitySchema, {}))


def test_branch_leave_and_batch():
    rules = {"study": "a", "deliberation": "b", "leave": "c"}
    branch = {"group_id": "g1", "secretary_member_id": "p1", "rules": rules, "date": "2005-01-21"}
    assert s.TemporaryBranchSchema().load(branch)["rules"] == rules
    assert "rules" in errors(s.TemporaryBranchSchema, {**branch, "rules": {"study": "a"}})
    leave = {"group_id": "g1", "member_id": "p1", "from_date": "2005-03-02",
             "to_date": "2005-03-01", "reason": "r"}
    assert "to_date" in errors(s.LeaveRequestSchema, leave)
    batch = {"group_id": "g1", "member_id": "p1"}
    assert s.BatchParticipationSchema().load({**batch, "batch": 3}) == {**batch, "batch": 3}
    assert "batch" in errors(s.BatchParticipationSchema, {**batch, "batch": 1})


def test_field_work_schemas():
    unit = {"unit_id": "u1"}
    assert s.WorkingOfficeSchema().load({**unit, "date": "2005-02-21", "office_established": True,
                                         "staff_trained": False})["notes"] == ""
    assert "staff_trained" in errors(s.WorkingOfficeSchema, {**unit, "date": "2005-02-21",
                                                             "office_established": True})
    assert "topic" in errors(s.CommitteeMeetingSchema, {**unit, "date": "2005-02-20"})
    task = {**unit, "task": "prepare_leader_speech"}
    assert s.ArrivalTaskDoneSchema().load({**task, "note": "要点"}) == {**task, "note": "要点"}
    assert s.SpeechDraftReadSchema().load(unit) == {**unit, "comments": ""}
    # 检查验收 (R13) is the evaluation service's: supervision has no schema for it
    assert not hasattr(s, "AcceptanceInspectionSchema")


def test_briefing_period_is_ordered():
    ok = {"title": "简报第1期", "period_from": "2005-02-15", "period_to": "2005-02-25"}
    assert s.BriefingSchema().load(ok) == ok
    assert "period_to" in errors(s.BriefingSchema, {**ok, "period_to": "2005-02-01"})


def test_every_schema_refuses_unknown_fields():
    for name, schema in s.SCHEMAS.items():
        assert "zzz" in errors(schema, {"zzz": 1}), name


def test_every_path_identifier_is_a_required_field():
    assert "group_id" in errors(s.ArrivalSchema, {"unit_id": "u1", "date": "2005-02-16"})
    assert {"unit_id", "task"} <= set(errors(s.ArrivalTaskDoneSchema, {}))
    for query in (s.GroupQuerySchema, s.UnitQuerySchema, s.TransitionQuerySchema,
                  s.BriefingQuerySchema):
        assert errors(query, {}), query
    assert s.ReportsQuerySchema().load({}) == {}


def test_inside_the_edge_post_load_builds_the_command_with_ids_and_today():
    from marshmallow.experimental.context import Context

    from services.supervision.domain import commands as C
    from shared.domain import Actor
    from shared.edge import Edge, today

    office = Actor(id="o1", name="办公室", role="office")
    with Context(Edge(office)):
        group = s.FormGroupSchema().load({"name": "第一督导组", "leader": PERSON,
                                          "members": [{**PERSON, "rank": "staff"}]})
        leave = s.LeaveRequestSchema().load({"group_id": "g1", "member_id": "m1",
                                             "from_date": "2005-03-01",
                                             "to_date": "2005-03-02", "reason": "r"})
        review = s.GroupReviewSchema().load({"transition_id": "t1", "decision": "agree"})
        branch = s.TemporaryBranchSchema().load({
            "group_id": "g1", "secretary_member_id": "m1", "date": "2005-01-21",
            "rules": {"study": "a", "deliberation": "b", "leave": "c"}})
    assert isinstance(group, C.FormGroup) and group.actor == office
    assert group.group_id.startswith("g-") and group.formed_on == today()
    assert group.leader["member_id"].startswith("m-") and group.members[0]["member_id"]
    assert isinstance(leave, C.RequestLeave) and leave.leave_id.startswith("leave-")
    assert leave.today == today()
    # the application's unit is filled in by the handler from the transition facts
    assert isinstance(review, C.ReviewTransition) and review.unit_id is None
    assert isinstance(branch, C.EstablishTemporaryBranch) and branch.stream_id == "group-g1"
