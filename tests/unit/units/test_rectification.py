"""Rectification measures and commitments (R22 phase 3) and public notification (R12/R23)."""
import dataclasses

import pytest

from services.units.domain import commands as C
from services.units.domain import decide
from services.units.domain import events as E
from shared.domain import Conflict, Forbidden, Rejected

from .helpers import OTHER_UNIT, UNIT, U, evidence, in_phase, refused, run, step


def add(measure_id="m1", owner="L1", due="2024-05-30", today="2024-04-21", kind="commitment", actor=UNIT):
    return C.AddRectificationMeasure(actor, U, measure_id, kind, "带头兑现整改承诺", owner, due, today)


def test_measure_with_owner_and_due_date():
    events, state = run(in_phase("rectification"), add())
    # the older route names no problem: the measure is filed under the unit's legacy problem
    assert events == [E.RectificationMeasureAdded(unit_id=U, measure_id="m1", kind="commitment",
                                                  description="带头兑现整改承诺", owner_member_id="L1",
                                                  due="2024-05-30", phase="rectification",
                                                  problem_id="u1.before-ledger")]
    assert state.measures["m1"].completed_on is None


def test_measures_are_set_also_in_remedial():
    events = decide(in_phase("remedial"), add(today="2024-06-21", due="2024-07-10"))
    assert events[0].phase == "remedial"


@pytest.mark.parametrize("phase", ["mobilization", "analysis", "survey", "accepted"])
def test_measures_outside_rectification_are_refused(phase):
    refused(Rejected, in_phase(phase), add(today="2024-06-25", due="2024-12-30"))


def test_measure_refusals():
    state = in_phase("rectification")
    refused(Rejected, state, add(owner="ghost"))
    refused(Rejected, state, add(kind="wish"))
    refused(Rejected, state, add(due="2024-04-01"))  # already past
    refused(Forbidden, state, add(actor=OTHER_UNIT))
    refused(Conflict, step(state, add()), add())


def test_completion_and_its_refusals():
    state = step(in_phase("rectification"), add())
    proof = evidence("fu-000000000001")
    events, completed = run(state, C.CompleteRectificationMeasure(UNIT, U, "m1", "2024-05-01", "2024-05-02",
                                                                  " 已兑现 ", ("fu-000000000001",), proof))
    assert events == [E.RectificationMeasureCompleted(unit_id=U, measure_id="m1", completed_on="2024-05-01",
                                                      note="已兑现", attachment_ids=["fu-000000000001"],
                                                      evidence=[dict(proof[0])])]
    assert completed.measures["m1"].completed_on == "2024-05-01"
    assert completed.measures["m1"].status == "completed"
    again = C.CompleteRectificationMeasure(UNIT, U, "m1", "2024-05-02", "2024-05-02", "再报", ("fu-000000000001",),
                                           proof)
    refused(Conflict, completed, again)
    refused(Rejected, state, dataclasses.replace(again, measure_id="m9"))
    refused(Rejected, state, dataclasses.replace(again, completed_on="2024-05-09"))
    refused(Forbidden, state, dataclasses.replace(again, actor=OTHER_UNIT))


STATUS = "整改措施12项已完成，群众反映的8个问题已解决"


def notify(notification_id="n1", scope=("张三", "李四", "王五"), actor=UNIT, rectification_status=STATUS):
    return C.NotifyPublic(actor, U, notification_id, tuple(scope), "2024-06-01", "整改情况通报",
                          rectification_status=rectification_status)


def test_public_notification_records_the_scope():
    events, state = run(in_phase("survey"), notify())
    assert events == [E.PublicNotified(unit_id=U, notification_id="n1", scope=["张三", "李四", "王五"],
                                       date="2024-06-01", subject="整改情况通报", content="",
                                       phase="survey", rectification_status=STATUS,
                                       ledger={"problems": 1, "signed_off": 1, "carried": 0, "open": 0,
                                               "measures": 2, "measures_signed_off": 2, "overdue": 0})]
    assert state.notifications == {"n1": ("张三", "李四", "王五")}


def test_notification_refusals():
    state = in_phase("survey")
    refused(Rejected, state, notify(scope=()))
    refused(Rejected, state, notify(scope=("张三", "张三")))
    refused(Rejected, state, notify(scope=("张三", " ")))
    refused(Forbidden, state, notify(actor=OTHER_UNIT))
    refused(Conflict, step(state, notify()), notify())
    refused(Rejected, in_phase("registered"), notify())


@pytest.mark.parametrize("status", ["", "  "])
def test_a_notification_in_phase_survey_must_state_the_rectification_status(status):
    # it frames the satisfaction survey: "通报…特别是整改情况和解决问题的情况" (A)
    err = refused(Rejected, in_phase("survey"), notify(rectification_status=status))
    assert err.details["missing"] == ["rectification_status"]


def test_a_notification_in_another_phase_may_omit_it_and_records_its_phase():
    events, _ = run(in_phase("rectification"), notify(rectification_status=""))
    assert (events[0].phase, events[0].rectification_status) == ("rectification", "")
