import pytest

from services.study.domain import REQUIRED_CONTENT, SetStudyPlan, StudyConfig, StudyState, decide
from shared.domain import NotFound, Rejected

from .helpers import UNIT, run, standard_roster


def full_plan(**overrides):
    plan = dict(
        personnel={"scope": "全体党员（含离退休党员），以科室学习小组为单位",
                   "study_group_ids": ["g1", "g2"]},
        time={"self_study_from": "2024-01-25", "self_study_until": "2024-02-08",
              "centralised_from": "2024-02-16", "centralised_until": "2024-02-25",
              "planned_hours": 40},
        content={"required": list(REQUIRED_CONTENT),
                 "local_documents": [{"title": "县委实施意见", "reference": "×发〔2005〕1号"}]},
        effect={"goals": ["每名党员撰写心得体会"], "assessment": "学习测试"})
    plan.update(overrides)
    return SetStudyPlan(unit_id=UNIT, roster=standard_roster(), today="2024-02-01", **plan)


def test_complete_plan_is_recorded_without_warnings():
    events, state = run(StudyState(), full_plan())
    [event] = events
    assert event.type == "StudyPlanSet" and event.plan_version == 1
    assert event.time["planned_hours"] == "40"
    assert event.personnel["study_group_ids"] == ["g1", "g2"]
    assert event.warnings == []
    assert state.plan["effect"]["goals"] == ["每名党员撰写心得体会"]


def test_replacing_the_plan_bumps_its_version():
    _, state = run(StudyState(), full_plan())
    [event] = decide(state, full_plan())
    assert event.plan_version == 2


@pytest.mark.parametrize("item,value,label", [
    ("personnel", None, "人员"), ("personnel", {"scope": "  "}, "人员"),
    ("time", None, "时间"), ("content", None, "内容"),
    ("content", {"required": [], "local_documents": []}, "内容"),
    ("effect", None, "效果"), ("effect", {"goals": [" "]}, "效果"),
])
def test_plan_missing_one_of_the_four_is_refused_naming_it(item, value, label):
    with pytest.raises(Rejected) as err:
        decide(StudyState(), full_plan(**{item: value}))
    assert err.value.details["missing"] == [item]
    assert err.value.details["missing_labels"] == [label]
    assert "四落实" in err.value.message


def test_plan_missing_several_items_names_all_in_order():
    cmd = SetStudyPlan(unit_id=UNIT, roster=standard_roster(), today="2024-02-01",
                       personnel={"scope": "全体党员"},
                       time={"centralised_from": "2024-02-16"})
    with pytest.raises(Rejected) as err:
        decide(StudyState(), cmd)
    assert err.value.details["missing"] == ["time", "content", "effect"]
    assert err.value.details["missing_fields"]["time"] == ["centralised_until", "planned_hours"]


def test_plan_scheduling_less_than_the_floor_is_refused():
    time = {"centralised_from": "2024-02-16", "centralised_until": "2024-02-25",
            "planned_hours": 30}
    with pytest.raises(Rejected) as err:
        decide(StudyState(), full_plan(time=time))
    assert err.value.details == {"planned_hours": 30, "floor": 40}
    assert decide(StudyState(), full_plan(time=time), StudyConfig(floor_hours=30))


@pytest.mark.parametrize("override,detail", [
    ({"content": {"required": ["little_red_book"]}}, "unknown_content"),
    ({"content": {"local_documents": [{"title": "本办制度"}]}}, "missing"),
    ({"personnel": {"scope": "全体", "study_group_ids": ["g9"]}}, "unknown_study_groups"),
    ({"time": {"centralised_from": "2024-02-20", "centralised_until": "2024-02-16",
               "planned_hours": 40}}, "centralised_from"),
    ({"time": {"centralised_from": "16/2/2005", "centralised_until": "2024-02-25",
               "planned_hours": 40}}, "field"),
])
def test_invalid_plan_parts_are_refused(override, detail):
    with pytest.raises(Rejected) as err:
        decide(StudyState(), full_plan(**override))
    assert detail in err.value.details


def test_plan_for_a_unit_unknown_to_the_service_is_not_found():
    cmd = full_plan()
    with pytest.raises(NotFound):
        decide(StudyState(), SetStudyPlan(unit_id="ghost", roster=cmd.roster, today="2024-02-01",
                                          personnel=cmd.personnel, time=cmd.time,
                                          content=cmd.content, effect=cmd.effect))


def test_plan_outside_window_and_leaving_out_content_is_recorded_with_warnings():
    time = {"centralised_from": "2024-03-01", "centralised_until": "2024-03-10",
            "planned_hours": 40}
    [event] = decide(StudyState(), full_plan(time=time, content={"required": ["party_constitution"]}))
    codes = {w["code"]: w for w in event.warnings}
    assert codes["centralised_outside_window"]["window"] == ["2024-02-16", "2024-02-25"]
    assert "party_constitution" not in codes["required_content_not_planned"]["content_keys"]
    assert len(codes["required_content_not_planned"]["content_keys"]) == len(REQUIRED_CONTENT) - 1
