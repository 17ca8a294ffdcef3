"""Request schemas at the edge: required fields, enums, lengths, unknown fields refused."""
import pytest
from marshmallow import ValidationError

from services.units import schemas as S

from .helpers import FULL_PLAN


def errors(schema, data):
    with pytest.raises(ValidationError) as info:
        schema().load(data)
    return info.value.messages


def test_register_unit():
    assert S.RegisterUnitSchema().load({"name": "县委办公室", "org_type": "党组", "batch": 2}) == \
        {"name": "县委办公室", "org_type": "党组", "batch": 2, "sections": []}
    assert "org_type" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党小组", "batch": 1})
    assert "batch" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": 4})
    assert "batch" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": "1"})
    assert "name" in errors(S.RegisterUnitSchema, {"name": "", "org_type": "党委", "batch": 1})
    assert "sections" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": 1,
                                                       "sections": ["a", "a"]})
    assert "colour" in errors(S.RegisterUnitSchema, {"name": "x", "org_type": "党委", "batch": 1, "colour": 1})


def test_enrol_member():
    assert S.EnrolMemberSchema().load({"name": "甲", "section": "人事科"}) == \
        {"name": "甲", "section": "人事科", "is_leader": False, "is_retired": False}
    assert S.EnrolMemberSchema().load({"name": "老", "section": None, "is_retired": True})["section"] is None
    assert "section" in errors(S.EnrolMemberSchema, {"name": "甲", "section": None})
    assert "section" in errors(S.EnrolMemberSchema, {"name": "甲"})
    assert "is_leader" in errors(S.EnrolMemberSchema, {"name": "甲", "section": "a", "is_leader": "maybe"})


def test_study_group_and_placement_and_contact_points():
    assert S.StudyGroupSchema().load({"section": "人事科", "leader_member_id": "H1"})["member_ids"] == []
    assert "leader_member_id" in errors(S.StudyGroupSchema, {"section": "人事科"})
    assert "member_ids" in errors(S.StudyGroupSchema, {"section": "a", "leader_member_id": "b",
                                                       "member_ids": ["c", "c"]})
    assert "member_id" in errors(S.PlaceMemberSchema, {})
    assert "sections" in errors(S.ContactPointsSchema, {"sections": []})


def test_work_plan():
    loaded = S.WorkPlanSchema().load(FULL_PLAN)
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
    assert S.RequirementsSchema().load({"text": "五带头"}) == {"text": "五带头", "items": []}
    assert "text" in errors(S.RequirementsSchema, {"text": ""})
    assert S.TransitionApplicationSchema().load({"summary": "总结"}) == {"summary": "总结"}
    assert "summary" in errors(S.TransitionApplicationSchema, {})
    assert S.MeetingScheduleSchema().load({"date": "2024-02-18"}) == {"date": "2024-02-18"}
    assert "date" in errors(S.MeetingScheduleSchema, {"date": "2024-02-30"})
    assert "date" in errors(S.MeetingScheduleSchema, {})
    assert S.MeetingHeldSchema().load({}) == {"date": None}


def test_notification_and_measures():
    assert S.NotificationSchema().load({"scope": ["张三"]}) == \
        {"scope": ["张三"], "date": None, "subject": "", "content": ""}
    assert "scope" in errors(S.NotificationSchema, {"scope": []})
    assert "scope" in errors(S.NotificationSchema, {"scope": ["张三", "张三"]})
    assert "scope" in errors(S.NotificationSchema, {})
    good = {"description": "整改", "owner_member_id": "L1", "due": "2024-05-30"}
    assert S.RectificationMeasureSchema().load(good) == {**good, "kind": "measure"}
    assert "kind" in errors(S.RectificationMeasureSchema, {**good, "kind": "wish"})
    assert "due" in errors(S.RectificationMeasureSchema, {**good, "due": "tomorrow"})
    assert S.MeasureCompletionSchema().load({}) == {"completed_on": None, "note": ""}
