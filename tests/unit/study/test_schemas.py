import pytest
from marshmallow import ValidationError

from services.study.domain import GrantExemption, RecordAttendance, RecordStudySession, RevokeExemption, SetStudyPlan
from services.study.schemas import (
    AttendanceSchema,
    CountyQuerySchema,
    ExemptionRevocationSchema,
    ExemptionSchema,
    MemberQuerySchema,
    StudyPlanSchema,
    StudySessionSchema,
    UnitQuerySchema,
)
from shared.edge import load

from .helpers import OFFICE, UNIT_ACTOR

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
    ({"hours": 100}, "hours"), ({"hours": "lots"}, "hours"), ({"hours": "2"}, "hours"),
    ({"hours": float("nan")}, "hours"),
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
    assert AttendanceSchema().load({"session_id": "s1", "member_ids": ["m1"]}) == \
        {"session_id": "s1", "member_ids": ["m1"]}
    for body in ({"member_ids": []}, {}, {"member_ids": ["m1"], "x": 1}, {"member_ids": [""]}):
        with pytest.raises(ValidationError):
            AttendanceSchema().load({"session_id": "s1", **body})
    with pytest.raises(ValidationError) as err:
        AttendanceSchema().load({"member_ids": ["m1"]})   # the path gives the session
    assert set(err.value.messages) == {"session_id"}


def test_plan_schema_leaves_missing_items_to_the_domain_but_checks_types():
    # the domain names the missing 四落实 items; the schema must let them through
    assert StudyPlanSchema().load({"unit_id": "u1", "personnel": {"scope": "全体党员"}}) == \
        {"unit_id": "u1", "personnel": {"scope": "全体党员"}}
    full = {"unit_id": "u1", "personnel": {"scope": "全体", "study_group_ids": ["g1"]},
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
            StudyPlanSchema().load({"unit_id": "u1", **bad})
    with pytest.raises(ValidationError) as err:
        StudyPlanSchema().load({"personnel": {"scope": "全体党员"}})
    assert "unit_id" in err.value.messages


def test_exemption_bodies_need_a_reason():
    unit = {"unit_id": "u1"}
    assert ExemptionSchema().load({**unit, "member_id": "m4", "reason": "病"})["reason"] == "病"
    for body in ({"member_id": "m4"}, {"member_id": "m4", "reason": ""}, {"reason": "x"}):
        with pytest.raises(ValidationError):
            ExemptionSchema().load({**unit, **body})
    with pytest.raises(ValidationError) as err:
        ExemptionRevocationSchema().load({**unit, "member_id": "m4"})
    assert set(err.value.messages) == {"reason"}


def test_date_fields_load_iso_strings_and_name_the_format():
    assert StudySessionSchema().load({**SESSION, "date": "20240216"})["date"] == "2024-02-16"
    with pytest.raises(ValidationError) as err:
        StudySessionSchema().load({**SESSION, "date": "2024-02-30"})
    assert err.value.messages == {"date": ["must be an ISO date YYYY-MM-DD"]}
    plan = {"unit_id": "u1", "time": {"self_study_from": None, "centralised_from": "2024-02-16"}}
    assert StudyPlanSchema().load(plan)["time"] == {"self_study_from": None,
                                                    "centralised_from": "2024-02-16"}


# ------------------------------------------------------------ the edge builds the commands

def test_command_schemas_build_their_commands_with_the_edge():
    session = load(StudySessionSchema, {**SESSION, "local_document": None}, UNIT_ACTOR)
    assert isinstance(session, RecordStudySession)
    assert session.session_id.startswith("ss-") and len(session.session_id) == 15
    assert session.content_keys == ("party_constitution",) and session.roster is None
    assert session.today and session.hours == 3.5 and session.unit_id == "u1"

    plan = load(StudyPlanSchema, {"unit_id": "u1", "effect": {"goals": ["心得"]}}, UNIT_ACTOR)
    assert isinstance(plan, SetStudyPlan)
    assert (plan.unit_id, plan.personnel, plan.effect) == ("u1", None, {"goals": ["心得"]})

    attendance = load(AttendanceSchema, {"session_id": "s1", "member_ids": ["m1", "m2"]},
                      UNIT_ACTOR)
    assert isinstance(attendance, RecordAttendance)
    assert attendance.member_ids == ("m1", "m2") and attendance.unit_id is None  # the handler's

    grant = load(ExemptionSchema, {"unit_id": "u1", "member_id": "m4", "reason": "病"}, OFFICE)
    assert isinstance(grant, GrantExemption) and grant.actor == OFFICE
    revoke = load(ExemptionRevocationSchema, {"unit_id": "u1", "member_id": "m4",
                                              "reason": "愈"}, OFFICE)
    assert isinstance(revoke, RevokeExemption) and revoke.reason == "愈"


def test_query_schemas():
    assert load(UnitQuerySchema, {"unit_id": "u1"}, OFFICE) == {"unit_id": "u1"}
    assert load(MemberQuerySchema, {"member_id": "m1"}, OFFICE) == {"member_id": "m1"}
    assert load(CountyQuerySchema, {}, OFFICE) == {"batch": None}
    # the query string gives text; an RPC caller may give the number
    assert load(CountyQuerySchema, {"batch": "2"}, OFFICE) == {"batch": "2"}
    assert load(CountyQuerySchema, {"batch": 2}, OFFICE) == {"batch": "2"}
    for bad in ({"unit_id": ""}, {}, {"unit_id": "u1", "x": 1}):
        with pytest.raises(ValidationError):
            load(UnitQuerySchema, bad, OFFICE)
