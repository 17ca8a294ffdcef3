"""A measure under a problem carried forward (结转, the group accepted the unit's reason) is no
longer due: its obligation ends ``waived`` and the scheduler never records it overdue; one the
scheduler had recorded overdue is reported no longer so. A refused or merely proposed carry,
or another problem's carry, changes nothing."""
from __future__ import annotations

from services.supervision import domain as D
from tests.unit.supervision.test_obligations import GROUP, UNIT, County


def _with_measure(problem_id="p-1") -> County:
    return County().units("RectificationMeasureAdded", measure_id="r-1", due="2024-07-01", problem_id=problem_id)


def _carried(county: County, problem_id="p-1") -> County:
    return county.units("ProblemCarriedForward", problem_id=problem_id, reason="跨年度工程", group_id=GROUP,
                        comments="同意结转", date="2024-06-20")


def test_a_carried_forward_problems_measure_is_waived_and_never_falls_overdue():
    county = _carried(_with_measure())
    obligation = county.obligation("measure", "r-1")
    assert obligation["status"] == "waived"
    assert D.obligations.fallen_due(county.doc["obligations"], "2024-08-01") == []


def test_a_measure_recorded_overdue_before_the_carry_is_reported_no_longer_overdue():
    county = _with_measure()
    oid = county.obligation("measure", "r-1")["obligation_id"]
    county.supervision("ObligationBecameOverdue", party=UNIT, obligation_id=oid, kind="measure",
                       due="2024-07-01", observed_on="2024-07-02")
    assert county.status("measure", "r-1") == "overdue"
    assert D.obligations.no_longer_overdue(county.doc["obligations"], county.doc) == []
    _carried(county)
    assert county.status("measure", "r-1") == "waived"
    assert [o["obligation_id"] for o in
            D.obligations.no_longer_overdue(county.doc["obligations"], county.doc)] == [oid]


def test_only_the_carried_problem_and_only_an_accepted_carry():
    county = _carried(_with_measure("p-2"), "p-1")
    assert county.status("measure", "r-1") == "open"
    county = _with_measure().units("ProblemCarryProposed", problem_id="p-1", reason="跨年度", date="2024-06-01")
    county.units("ProblemCarryRefused", problem_id="p-1", group_id=GROUP, comments="", date="2024-06-02")
    assert county.status("measure", "r-1") == "open"
    assert D.obligations.fallen_due(county.doc["obligations"], "2024-08-01")


def test_a_reopened_problem_makes_its_measures_due_again():
    county = _carried(_with_measure())
    county.units("ProblemReopened", problem_id="p-1", reason="measure r-2 added", date="2024-06-25")
    assert county.status("measure", "r-1") == "open"


def test_a_measure_signed_off_before_the_carry_stays_met():
    county = _with_measure().units("MeasureSignedOff", measure_id="r-1", problem_id="p-1", group_id=GROUP,
                                   comments="", date="2024-06-10")
    _carried(county)
    assert county.status("measure", "r-1") == "met_on_time"
