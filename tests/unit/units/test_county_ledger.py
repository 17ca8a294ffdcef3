"""The county's ledgers at a glance (GET /api/v1/rectification): problems by category, the
sign-off rate over problems the units decided on, overdue measures by group, units ordered
with the ledgers that need attention first."""
from services.units.domain import commands as C
from services.units.ledger_view import county_view, ledger_view

from .helpers import SUPERVISOR, UNIT, U, step
from .test_ledger import DAY, P1, ledger, problem


def test_the_county_view_counts_by_category_rate_and_group():
    busy = step(ledger(), problem(SUPERVISOR, problem_id="u1.p-2", group_id="g1", source="inspection"))
    busy = step(busy, C.AnswerProblem(UNIT, U, "u1.p-2", "理由", DAY))
    quiet = ledger()
    quiet = type(quiet)(**{**quiet.__dict__, "unit_id": "u2", "name": "县财政局", "problems": {}, "measures": {}})
    view = county_view([({"group_id": "g1", "batch": 1}, ledger_view(quiet, "2024-06-30")),
                        ({"group_id": "g1", "batch": 1}, ledger_view(busy, "2024-06-30"))], "2024-06-30")
    assert [u["unit_id"] for u in view["units"]] == [U, "u2"]  # the overdue ledger first
    by = {c["category"]: c["problems"] for c in view["by_category"]}
    assert by["party_and_government_style"] == 2 and by["livelihood"] == 0
    assert view["totals"]["answered"] == 1 and view["totals"]["problems"] == 2
    assert view["sign_off_rate"] == 0.0  # one problem decided on (the answered one is not counted), none signed off
    assert view["overdue_by_group"] == [{"group_id": "g1", "overdue": 2}]
    assert P1 in {p["problem_id"] for p in ledger_view(busy, DAY)["problems"]}


def test_no_problems_no_rate():
    assert county_view([], DAY)["sign_off_rate"] is None
