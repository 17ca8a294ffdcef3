import io

from openpyxl import load_workbook

from services.study.ledger import (
    ATTENDANCE_HEADERS,
    ATTENDANCE_SHEET,
    MEMBER_HEADERS,
    MEMBERS_SHEET,
    SESSION_HEADERS,
    SESSIONS_SHEET,
    ledger_bytes,
)

from .helpers import standard_units_log
from .test_projections import project, scenario, unit_sheet


def read_back(sheet_doc, sessions=None):
    wb = load_workbook(io.BytesIO(ledger_bytes(sheet_doc, sessions)))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def docs():
    _, events = scenario()
    cols = project(standard_units_log(), events)
    return unit_sheet(cols), list(cols["study_sessions"].values())


def test_ledger_has_the_three_sheets_with_headers():
    sheet, sessions = docs()
    book = read_back(sheet, sessions)
    assert list(book) == [MEMBERS_SHEET, SESSIONS_SHEET, ATTENDANCE_SHEET]
    assert book[MEMBERS_SHEET][1] == MEMBER_HEADERS
    assert book[SESSIONS_SHEET][1] == SESSION_HEADERS
    assert book[ATTENDANCE_SHEET][1] == ATTENDANCE_HEADERS
    assert "县委办公室" in book[MEMBERS_SHEET][0][0]


def test_member_rows_carry_hours_coverage_and_exemption_below_floor_first():
    sheet, sessions = docs()
    rows = read_back(sheet, sessions)[MEMBERS_SHEET][2:]
    assert [r[0] for r in rows] == ["王干事", "李科长", "张主任", "赵老"]
    wang, li, zhang, zhao = rows
    assert zhang[4:9] == [7.5, 0, 40, 32.5, "是"]
    assert zhang[12] == 2 and "党章" not in zhang[13]
    assert wang[5] == 2                          # self-study counted apart
    assert zhao[3] == "是" and zhao[8] == "否" and zhao[9] == "是"
    assert zhao[10] == "长期卧病" and zhao[11] == "领导小组办公室"  # the office granted it


def test_session_and_attendance_rows():
    sheet, sessions = docs()
    book = read_back(sheet, sessions)
    session_rows = book[SESSIONS_SHEET][2:]
    assert [r[0] for r in session_rows] == ["2024-02-01", "2024-02-16", "2024-02-17"]
    self_row, first, _ = session_rows
    assert self_row[1:4] == ["自学", "自学", 2] and self_row[6:8] == ["本办制度", "办发3号"]
    assert first[1] == "专题讲座" and first[4] == "集中学习一" and first[9] == 3
    assert "党章" in first[5] and first[8] == "g1"
    attendance = book[ATTENDANCE_SHEET][2:]
    assert len(attendance) == 5
    assert sorted(r[3] for r in attendance if r[0] == "2024-02-16") == ["张主任", "李科长", "赵老"]


def test_ledger_from_the_sheet_alone_matches():
    sheet, sessions = docs()
    assert read_back(sheet) == read_back(sheet, sessions)
