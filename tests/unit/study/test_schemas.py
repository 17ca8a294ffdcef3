import pytest
from marshmallow import ValidationError

from services.study.schemas import (AttendanceSchema, ExemptionRevocationSchema,
                                    ExemptionSchema, StudyPlanSchema, StudySessionSchema)

SESSION = {"unit_id": "u1", "form": "lecture", "date": "2024-02-16", "hours": 3.5,
           "content_keys": ["party_constitution"]}


def test_session_body_loads_with_defaults():
    loaded = StudySessionSchema().load(SESSION)
    assert loaded["hours"] == 3.5 and loaded["local_document"] is None
    assert loaded["study_group_id"] is None


def test_session_with_local_document_loads():
    body = {**SESSION, "content_keys": [], "local_document": {"title": "t", "reference": "r"}}
    assert StudySessionSchema().load(body)["local_document"] == {"title": "t", "reference": "r"}


@pytest.mark.parametrize("change,field", [
    ({"form": "karaoke"}, "form"), ({"hours": -1}, "hours"), ({"hours": 0}, "hours"),
    ({"hours": 100}, "hours"), ({"hours": "lots"}, "hours"), ({"hours": float("nan")}, "hours"),
    ({"date": "16 Feb"}, "date"), ({"content_keys": ["gossip"]}, "content_keys"),
    ({"extra": 1}, "extra"), ({"local_document": {"title": "t"}}, "local_document"),
    ({"local_document": {"title": "t", "reference": "r", "x": 1}}, "local_document"),
])
def test_bad_session_bodies_are_refused(change, field):
    with pytest.raises(ValidationError) as err:
        StudySessionSchema().load({**SESSION, **change})
    assert field in err.value.messages


@pytest.mark.parametrize("missing", ["unit_id", "form", "date", "hours"])
def test_session_required_fields(missing):
    with pytest.raises(ValidationError) as err:
        StudySessionSchema().load({k: v for k, v in SESSION.items() if k != missing})
    assert missing in err.value.messages


def test_attendance_needs_a_non_empty_list_and_nothing_else():
    assert AttendanceSchema().load({"member_ids": ["m1"]}) == {"member_ids": ["m1"]}
    for body in ({"member_ids": []}, {}, {"member_ids": ["m1"], "x": 1}, {"member_ids": [""]}):
        with pytest.raises(ValidationError):
            AttendanceSchema().load(body)


def test_plan_schema_leaves_missing_items_to_the_domain_but_checks_types():
    # the domain names the missing 四落实 items; the schema must let them through
    assert StudyPlanSchema().load({"personnel": {"scope": "全体党员"}}) == \
        {"personnel": {"scope": "全体党员"}}
    full = {"personnel": {"scope": "全体", "study_group_ids": ["g1"]},
            "time": {"centralised_from": "2024-02-16", "centralised_until": "2024-02-25",
                     "planned_hours": 40},
            "content": {"required": ["party_constitution"],
                        "local_documents": [{"title": "t", "reference": "r"}]},
            "effect": {"goals": ["心得"], "assessment": None}}
    assert StudyPlanSchema().load(full)["time"]["planned_hours"] == 40
    for bad in ({"time": {"centralised_from": "tomorrow"}}, {"content": {"required": ["x"]}},
                {"effect": {"goals": "not a list"}}, {"personnel": {"scope": "a", "x": 1}},
                {"surprise": True}, {"time": {"planned_hours": -5}}):
        with pytest.raises(ValidationError):
            StudyPlanSchema().load(bad)


def test_exemption_bodies_need_a_reason():
    assert ExemptionSchema().load({"member_id": "m4", "reason": "病"})["reason"] == "病"
    for body in ({"member_id": "m4"}, {"member_id": "m4", "reason": ""}, {"reason": "x"}):
        with pytest.raises(ValidationError):
            ExemptionSchema().load(body)
    with pytest.raises(ValidationError):
        ExemptionRevocationSchema().load({})
