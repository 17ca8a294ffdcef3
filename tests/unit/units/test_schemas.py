"""Request schemas at the edge: required fields, enums, lengths, unknown fields refused.

The HTTP body of a route is its RPC schema without the fields the path gives (the
route table's ``args``), so the body checks below are exactly the HTTP contract."""
import datetime

import pytest
from marshmallow import ValidationError

from services.gateway.routes.units import ROUTES
from services.units import schemas as S
from services.units.domain import commands as C
from shared.domain import NotFound
from shared.edge import load

from .helpers import FULL_PLAN, OFFICE, UNIT, U

PATH_FIELDS = {r.schema.partition(":")[2]: sorted(r.path_fields().values()) for r in ROUTES if r.schema}


def body(schema):
    """The schema as an HTTP body sees it: without the fields its route's path gives."""
    return schema(exclude=PATH_FIELDS.get(schema.__name__, ()))


def errors(schema, data):
    with pytest.raises(ValidationError) as info:
        body(schema).load(data)
    return info.value.messages


def test_register_unit():
    assert body(S.RegisterUnitSchema).load({"name": "县委办公室", "org_type": "党组", "batch": 2}) == \
        {"name": "县委办公室", "org_type": "党组", "batch": 2, "sections": []}
    assert "org_type" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党小组", "batch": 1})
    assert "batch" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": 4})
    assert "batch" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": "1"})
    assert "name" in errors(S.RegisterUnitSchema, {"name": "", "org_type": "党委", "batch": 1})
    assert "sections" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": 1,
                                                       "sections": ["a", "a"]})
    assert "colour" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": 1, "colour": 1})


def test_enrol_member():
    assert body(S.EnrolMemberSchema).load({"name": "甲", "section": "人事科"}) == \
        {"name": "甲", "section": "人事科", "is_leader": False, "is_retired": False}
    assert body(S.EnrolMemberSchema).load({"name": "老", "section": None, "is_retired": True})["section"] is None
    assert "section" in errors(S.EnrolMemberSchema, {"name": "甲", "section": None})
    assert "section" in errors(S.EnrolMemberSchema, {"name": "甲"})
    assert "is_leader" in errors(S.EnrolMemberSchema, {"name": "甲", "section": "a", "is_leader": "maybe"})


def test_study_group_and_placement_and_contact_points():
    assert body(S.StudyGroupSchema).load({"section": "人事科", "leader_member_id": "H1"})["member_ids"] == []
    assert "leader_member_id" in errors(S.StudyGroupSchema, {"section": "人事科"})
    assert "member_ids" in errors(S.StudyGroupSchema, {"section": "a", "leader_member_id": "b",
                                                       "member_ids": ["c", "c"]})
    assert "member_id" in errors(S.PlaceMemberSchema, {})
    assert "sections" in errors(S.ContactPointsSchema, {"sections": []})


def test_work_plan():
    loaded = body(S.WorkPlanSchema).load(FULL_PLAN)
    assert loaded["guarantee_systems"] == FULL_PLAN["guarantee_systems"]
    assert "leader_measures" in errors(S.WorkPlanSchema, {**FULL_PLAN, "leader_measures": ["dance"]})
    assert "guarantee_systems" in errors(S.WorkPlanSchema, {**FULL_PLAN, "guarantee_systems": ["dice"]})
    assert "problems" in errors(S.WorkPlanSchema, {**FULL_PLAN, "problems": [{"category": "weather",
                                                                             "description": "x"}]})
    assert "problems" in errors(S.WorkPlanSchema, {**FULL_PLAN, "problems": [{"category": "livelihood",
                                                                             "description": "x", "cost": 1}]})
    missing = errors(S.WorkPlanSchema, {})
    assert {"leader_measures", "problems", "guarantee_systems"} <= set(missing)


def test_requirements_transition_and_meeting():
    assert body(S.RequirementsSchema).load({"text": "五带头"}) == {"text": "五带头", "items": []}
    assert "text" in errors(S.RequirementsSchema, {"text": ""})
    assert body(S.TransitionApplicationSchema).load({"summary": "总结"}) == {"summary": "总结"}
    assert "summary" in errors(S.TransitionApplicationSchema, {})
    assert body(S.MeetingScheduleSchema).load({"date": "2024-02-18"}) == {"date": "2024-02-18"}
    assert "date" in errors(S.MeetingScheduleSchema, {"date": "2024-02-30"})
    assert "date" in errors(S.MeetingScheduleSchema, {})
    assert body(S.MeetingHeldSchema).load({}) == {"date": None}


def test_notification_and_measures():
    assert body(S.NotificationSchema).load({"scope": ["张三"]}) == \
        {"scope": ["张三"], "date": None, "subject": "", "content": "", "rectification_status": ""}
    assert "rectification_status" in errors(S.NotificationSchema,
                                            {"scope": ["张三"], "rectification_status": "x" * 10_001})
    assert "scope" in errors(S.NotificationSchema, {"scope": []})
    assert "scope" in errors(S.NotificationSchema, {"scope": ["张三", "张三"]})
    assert "scope" in errors(S.NotificationSchema, {})
    good = {"description": "整改", "owner_member_id": "L1", "due": "2024-05-30"}
    assert body(S.RectificationMeasureSchema).load(good) == {**good, "kind": "measure"}
    assert "kind" in errors(S.RectificationMeasureSchema, {**good, "kind": "wish"})
    assert "due" in errors(S.RectificationMeasureSchema, {**good, "due": "tomorrow"})
    assert body(S.MeasureCompletionSchema).load({}) == {"completed_on": None, "note": "", "attachment_ids": []}


# --- the RPC: path-given fields are named fields, and @post_load builds the command -----

def command(schema, fields, actor=UNIT):
    return load(schema, fields, actor)


def test_the_rpc_takes_the_path_given_ids_as_required_fields():
    with pytest.raises(ValidationError) as info:
        S.AddSectionSchema().load({"section": "新科"})
    assert info.value.messages == {"unit_id": ["Missing data for required field."]}
    with pytest.raises(ValidationError) as info:
        S.MeasureCompletionSchema().load({"unit_id": U})
    assert "measure_id" in info.value.messages
    assert set(PATH_FIELDS["PlaceMemberSchema"]) == {"unit_id", "study_group_id"}
    assert set(PATH_FIELDS["ContactPointsSchema"]) == {"unit_id", "member_id"}


def test_post_load_builds_the_command_with_the_actor_new_ids_and_today():
    enrol = command(S.EnrolMemberSchema, {"unit_id": U, "name": "甲", "section": "人事科"})
    assert isinstance(enrol, C.EnrolMember) and enrol.actor == UNIT and enrol.unit_id == U
    assert enrol.member_id.startswith("m-") and (enrol.is_leader, enrol.is_retired) == (False, False)
    registered = command(S.RegisterUnitSchema, {"name": "县委办公室", "org_type": "党组", "batch": 2,
                                               "sections": ["人事科"]}, OFFICE)
    assert registered.unit_id.startswith("u-") and registered.sections == ("人事科",)
    group = command(S.StudyGroupSchema, {"unit_id": U, "section": "人事科", "leader_member_id": "H1",
                                         "member_ids": ["S1"]})
    assert group.study_group_id.startswith("sg-") and group.member_ids == ("S1",)
    placed = command(S.PlaceMemberSchema, {"unit_id": U, "study_group_id": "sg-1", "member_id": "R1"})
    assert placed == C.PlaceMemberInStudyGroup(UNIT, U, "sg-1", "R1")
    points = command(S.ContactPointsSchema, {"unit_id": U, "member_id": "L1", "sections": ["人事科"]})
    assert points == C.AssignContactPoints(UNIT, U, "L1", ("人事科",))
    plan = command(S.WorkPlanSchema, {"unit_id": U, **{k: v for k, v in FULL_PLAN.items() if k != "speech_draft"}})
    assert plan.plan == {k: v for k, v in FULL_PLAN.items() if k != "speech_draft"}  # no None speech_draft
    today = datetime.date.today().isoformat()
    meeting = command(S.MeetingScheduleSchema, {"unit_id": U, "date": "2024-02-18"})
    assert meeting == C.ScheduleMobilizationMeeting(UNIT, U, "2024-02-18", today)
    applied = command(S.TransitionApplicationSchema, {"unit_id": U, "summary": "总结"})
    assert applied.transition_id.startswith("t-") and applied.study_readiness is None
    notice = command(S.NotificationSchema, {"unit_id": U, "scope": ["张三"]})
    assert notice.scope == ("张三",) and notice.date == today and notice.notification_id.startswith("n-")
    done = command(S.MeasureCompletionSchema, {"unit_id": U, "measure_id": "r-1"})
    assert done == C.CompleteRectificationMeasure(UNIT, U, "r-1", completed_on=today, today=today)
    measure = command(S.RectificationMeasureSchema, {"unit_id": U, "description": "整改", "owner_member_id": "L1",
                                                     "due": "2024-05-30"})
    # the id names its unit, so /measures/{id}/review reaches it (the ledger's ids do too)
    assert measure.measure_id.startswith(f"{U}.r-") and measure.kind == "measure" and measure.today == today


def test_list_units_takes_the_query_string_and_a_bad_batch_is_no_batch():
    assert S.ListUnitsSchema().load({}) == {"batch": None, "phase": None}
    assert S.ListUnitsSchema().load({"batch": "2", "phase": "mobilization"}) == \
        {"batch": 2, "phase": "mobilization"}
    with pytest.raises(NotFound) as info:
        S.ListUnitsSchema().load({"batch": "two"})
    assert info.value.message == "no batch 'two'"
    assert "colour" in errors(S.ListUnitsSchema, {"colour": "red"})


def test_ledger_schemas_take_the_unit_from_the_ids():
    problem = command(S.ProblemSchema, {"unit_id": U, "category": "livelihood", "description": "办事难",
                                        "source": "opinions", "source_ref": "op-1"})
    assert problem.problem_id.startswith(f"{U}.p-") and problem.source_ref == "op-1"
    assert "category" in errors(S.ProblemSchema, {"category": "weather", "description": "x", "source": "plan"})
    assert "source" in errors(S.ProblemSchema, {"category": "livelihood", "description": "x", "source": "rumour"})
    measure = command(S.LedgerMeasureSchema, {"problem_id": problem.problem_id, "owner_member_id": "L1",
                                              "due": "2024-05-30", "commitment": "限时办结"})
    assert measure.unit_id == U and measure.measure_id.startswith(f"{U}.m-")
    assert measure.problem_id == problem.problem_id and measure.description == "限时办结"
    done = command(S.LedgerCompletionSchema, {"measure_id": measure.measure_id, "summary": "已落实",
                                              "attachment_ids": ["fu-000000000001"]})
    assert done.unit_id == U and done.attachment_ids == ("fu-000000000001",) and done.note == "已落实"
    assert "attachment_ids" in errors(S.LedgerCompletionSchema, {"measure_id": "u1.m-1", "summary": "x",
                                                                 "attachment_ids": []})
    assert "decision" in errors(S.MeasureReviewSchema, {"measure_id": "u1.m-1", "decision": "approve"})
