"""The ledger's view and its Excel workbook, read back with openpyxl."""
import io

from openpyxl import load_workbook

from services.units.domain import commands as C
from services.units.ledger_view import ledger_view
from services.units.ledger_workbook import workbook_bytes

from .helpers import SUPERVISOR, UNIT, U, done, in_phase, signed_off, step

DAY = "2024-04-21"


def county_ledger():
    state = in_phase("rectification")
    for problem_id, category in (("u1.p-1", "livelihood"), ("u1.p-2", "internal_management"),
                                 ("u1.p-3", "party_and_government_style")):
        state = step(state, C.RecordProblem(UNIT, U, problem_id, category, f"问题{problem_id}", "plan", DAY))
    for measure_id, problem_id, due in (("u1.m-1", "u1.p-1", "2024-05-30"), ("u1.m-2", "u1.p-1", "2024-04-25"),
                                        ("u1.m-3", "u1.p-2", "2024-06-30")):
        state = step(state, C.AddRectificationMeasure(UNIT, U, measure_id, "measure", "整改", "L1", due, DAY,
                                                      problem_id=problem_id))
    state = signed_off(done(state, "u1.m-1"), "u1.m-1")
    state = step(done(state, "u1.m-3"), C.ReviewMeasure(SUPERVISOR, U, "u1.m-3", "return", "材料不足",
                                                         "2024-05-04", group_id="g1"))
    state = step(state, C.ProposeCarryForward(UNIT, U, "u1.p-3", "长期推进", DAY))
    return step(state, C.ReviewCarryForward(SUPERVISOR, U, "u1.p-3", "accept", "", DAY, group_id="g1"))


def test_the_view_counts_signed_off_returned_carried_and_overdue():
    view = ledger_view(county_ledger(), "2024-05-10")
    assert view["figures"] == {"problems": 3, "signed_off": 0, "carried": 1, "open": 2, "measures": 3,
                               "measures_signed_off": 1, "overdue": 1, "returns": 1}
    [first] = [p for p in view["problems"] if p["problem_id"] == "u1.p-1"]
    assert [m["status"] for m in first["measures"]] == ["signed_off", "open"]
    assert first["measures"][1]["overdue"] is True


def test_the_workbook_has_a_row_per_measure_coloured_by_status():
    book = load_workbook(io.BytesIO(workbook_bytes([ledger_view(county_ledger(), "2024-05-10")])))
    sheet = book["整改台账"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4  # three measures, and the carried problem without one
    by_id = {row[-1]: (row, sheet.cell(row=i + 2, column=1).fill.fgColor.rgb) for i, row in enumerate(rows)}
    assert by_id["u1.m-1"][0][8] == "已销号" and by_id["u1.m-1"][1].endswith("C6EFCE")
    assert by_id["u1.m-2"][0][8] == "逾期" and by_id["u1.m-2"][1].endswith("FFC7CE")
    assert by_id["u1.m-3"][0][8] == "已退回" and by_id["u1.m-3"][0][9] == 1
    assert by_id[None][1].endswith("D9D9D9")  # carried forward: grey
    assert list(book["统计"].iter_rows(min_row=2, values_only=True))[0][1:4] == (3, 0, 1)
