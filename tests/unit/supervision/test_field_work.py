"""R14 seven-point inspections, R15 committee meetings and working office; the legacy
AcceptanceInspected (检查验收 is the evaluation service's now) folds to no change."""
import pytest

from services.supervision.domain import (
    AcceptanceInspected,
    CommitteeMeetingAttended,
    InspectionRecorded,
    RecordCommitteeMeeting,
    RecordInspection,
    RecordWorkingOffice,
    SupervisionConfig,
    WorkingOfficeChecked,
    decide,
    fold_unit,
)
from services.supervision.domain.vocabulary import INSPECTION_POINTS
from shared.domain import Conflict, Forbidden, Rejected
from tests.unit.supervision.helpers import G1, SUP1, SUP2, UNIT, arrived, arrived_unit, assigned, assigned_unit

SCORES = {"leadership_responsibility": 9, "leaders_set_example": 8, "working_strength": 7,
          "measures_in_place": 8, "problems_solved": 6, "results_evident": 7,
          "work_promoted": 10}


def refused(state, command, error):
    with pytest.raises(error) as caught:
        decide(state, command)
    return caught.value


def inspection(**kw):
    args = dict(inspection_id="i1", unit_id=UNIT, date="2005-03-10", scores=SCORES,
                findings="总体扎实", actor=SUP1, notes={"problems_solved": "整改仍需加强"})
    args.update(kw)
    return RecordInspection(**args)


def test_the_seven_points_carry_the_speechs_labels():
    assert list(INSPECTION_POINTS.values()) == [
        "领导责任是否落实", "领导带头是否体现", "工作力量是否有力", "各项措施是否到位",
        "突出问题是否解决", "活动成效是否明显", "各项工作是否得到促进"]


def test_an_inspection_scores_the_seven_points():
    [event] = decide(arrived_unit(), inspection())
    assert isinstance(event, InspectionRecorded)
    assert (event.total, event.max_total) == (55, 70)
    assert list(event.scores) == list(INSPECTION_POINTS)
    assert event.notes == {"problems_solved": "整改仍需加强"}
    assert fold_unit([assigned(), arrived(), event]).inspections == {"i1": 55}


def test_a_missing_point_is_refused_by_name():
    scores = {k: v for k, v in SCORES.items() if k != "work_promoted"}
    error = refused(arrived_unit(), inspection(scores=scores), Rejected)
    assert error.details["missing"] == ["work_promoted"]


def test_an_eighth_point_is_refused():
    error = refused(arrived_unit(), inspection(scores={**SCORES, "mood": 5}), Rejected)
    assert error.details["unexpected"] == ["mood"]


@pytest.mark.parametrize("bad", [-1, 11, 7.5, "8", True, None])
def test_scores_outside_the_scale_are_refused(bad):
    error = refused(arrived_unit(), inspection(scores={**SCORES, "results_evident": bad}),
                    Rejected)
    assert "results_evident" in error.details["out_of_range"]


def test_the_scale_is_configurable():
    config = SupervisionConfig(max_score=5)
    with pytest.raises(Rejected):
        decide(arrived_unit(), inspection(), config)
    [event] = decide(arrived_unit(), inspection(scores=dict.fromkeys(SCORES, 5)), config)
    assert (event.total, event.max_total) == (35, 35)


def test_inspection_rules_on_who_when_and_ids():
    refused(arrived_unit(), inspection(actor=SUP2), Forbidden)
    refused(assigned_unit(), inspection(), Conflict)
    refused(arrived_unit(), inspection(notes={"mood": "x"}), Rejected)
    [event] = decide(arrived_unit(), inspection())
    refused(arrived_unit(event), inspection(), Conflict)


# ---------------------------------------------------------------------- R15
def meeting(**kw):
    args = dict(meeting_id="m1", unit_id=UNIT, date="2005-02-20", topic="研究学习动员阶段工作",
                notes="督促领导带头", actor=SUP1)
    args.update(kw)
    return RecordCommitteeMeeting(**args)


def test_group_attends_the_units_committee_meeting():
    [event] = decide(arrived_unit(), meeting())
    assert isinstance(event, CommitteeMeetingAttended) and event.group_id == G1
    refused(arrived_unit(event), meeting(), Conflict)


def test_committee_meeting_refusals():
    refused(arrived_unit(), meeting(topic=""), Rejected)
    refused(assigned_unit(), meeting(), Conflict)
    refused(arrived_unit(), meeting(actor=SUP2), Forbidden)


def office(**kw):
    args = dict(unit_id=UNIT, date="2005-02-21", office_established=True, staff_trained=False,
                notes="骨干待培训", actor=SUP1)
    args.update(kw)
    return RecordWorkingOffice(**args)


def test_group_pushes_for_a_working_office_with_trained_staff():
    [first] = decide(arrived_unit(), office())
    [later] = decide(arrived_unit(first), office(date="2005-03-01", staff_trained=True))
    assert isinstance(later, WorkingOfficeChecked)
    state = fold_unit([assigned(), arrived(), first, later])
    assert state.working_office == {"office_established": True, "staff_trained": True,
                                    "date": "2005-03-01"}


def test_working_office_refusals():
    refused(arrived_unit(), office(office_established=False, staff_trained=True), Rejected)
    refused(arrived_unit(), office(office_established="yes"), Rejected)
    refused(arrived_unit(), office(actor=SUP2), Forbidden)
    refused(assigned_unit(), office(), Conflict)


# ----------------------------------------------------- R13, legacy events
def legacy_acceptance() -> AcceptanceInspected:
    """What supervision wrote before 检查验收 became the evaluation service's alone."""
    return AcceptanceInspected(unit_id=UNIT, group_id=G1, date="2005-06-20", result="pass",
                               office_participants=["宋善玺"], survey_id="s1", notes="达到要求")


def test_supervision_no_longer_decides_an_acceptance_inspection():
    import services.supervision.domain as domain
    assert not hasattr(domain, "RecordAcceptanceInspection")
    assert all("Acceptance" not in command.__name__ for command in domain.HANDLERS)


def test_a_legacy_acceptance_inspection_folds_to_no_change():
    before = arrived_unit()
    assert fold_unit([assigned(), arrived(), legacy_acceptance()]) == before
    # and the unit's rules go on as if it were not there
    [event] = decide(arrived_unit(legacy_acceptance()), meeting())
    assert isinstance(event, CommitteeMeetingAttended)
