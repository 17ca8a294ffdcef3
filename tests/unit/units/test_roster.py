"""The roster import (issue 17 item 3), without a broker or database: the workbook read
and its refusals, each row checked by single enrolment's schema (the same messages), and
the decision: one MemberEnrolled per row, or a refusal naming every bad row and column."""
from __future__ import annotations

import itertools

import pytest
from openpyxl import load_workbook

from services.units import handlers as H
from services.units import roster_workbook as W
from services.units import schemas as S
from services.units.domain import commands as C
from services.units.domain import decide
from shared.domain import Forbidden, Rejected
from tests import sample_files
from tests.unit.units.helpers import OFFICE, SECTIONS, UNIT, U, registered, step

HEAD = ("姓名", "所在科室/支部", "是否班子成员", "是否离退休")


def row(name, section=None, leader=None, retired=None) -> dict:
    return dict(zip(HEAD, (name, section, leader, retired)))


def enrolled(state, name, section):
    return step(state, C.EnrolMember(UNIT, U, "m-old", name, section))


def upload(rows, actor=UNIT) -> S.RosterUpload:
    ids = itertools.count()
    return S.RosterUpload(actor=actor, unit_id=U, data=W.rows_workbook(rows),
                          new_id=lambda prefix: f"{prefix}-{next(ids):012x}")


def checked(state, rows, actor=UNIT):
    command, problems, _ignored, count = H._roster(upload(rows, actor))
    return command, problems + H.D.roster_problems(state, command), count


def test_the_template_offers_the_units_sections_and_yes_no_lists_under_a_frozen_header():
    wb = load_workbook(__import__("io").BytesIO(W.template_bytes("县委办公室", list(SECTIONS))))
    ws = wb[W.SHEET]
    assert [c.value for c in ws[1]] == list(HEAD)
    assert ws.freeze_panes == "A2"
    formulas = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation}
    assert formulas["B2:B2001"] == f"='科室列表'!$A$2:$A${len(SECTIONS) + 1}"
    assert formulas["C2:D2001"] == '"是,否"'
    assert [r[0] for r in wb["科室列表"].iter_rows(min_row=2, values_only=True)] == list(SECTIONS)
    assert "填写说明" in wb.sheetnames


def test_every_bad_row_is_named_by_row_and_column_with_single_enrolments_messages():
    state = enrolled(registered(), "老王", "综合科")
    _command, problems, count = checked(state, [
        row("张三", "综合科", "是"), row(None, "综合科"), row("李四", "不存在科"),
        row("王五", "综合科", retired="也许"), row("张三", "综合科"), row("老王", "综合科"),
        row("赵六"), row("钱" * 150, "综合科"), row("退休老孙", retired="是")])
    assert count == 9
    found = {(p["row"], p["column"], p["code"]) for p in problems}
    assert found == {(3, "name", "missing"), (4, "section", "unknown_section"), (5, "is_retired", "not_yes_no"),
                     (6, "name", "duplicate_row"), (7, "name", "duplicate_member"), (8, "section", "missing"),
                     (9, "name", "too_long")}
    by_row = {p["row"]: p["message"] for p in problems}
    # the very messages single enrolment answers (the schema's, then the domain's)
    with pytest.raises(Rejected) as unknown:
        decide(state, C.EnrolMember(actor=UNIT, unit_id=U, member_id="m-x", name="李四", section="不存在科"))
    assert by_row[4] == unknown.value.message
    assert by_row[3] == "Missing data for required field."
    assert by_row[5] == "Not a valid boolean."
    assert by_row[8] == "a serving member belongs to a section"


def test_a_good_roster_is_one_decision_with_one_event_per_member():
    state = registered()
    command, problems, _ = checked(state, [row("张三", "综合科", "是"), row("李四", "人事科", "否", "否"),
                                           row("退休老孙", None, None, "是")])
    assert problems == []
    events = decide(state, command)
    assert [(e.name, e.section, e.is_leader, e.is_retired) for e in events] == [
        ("张三", "综合科", True, False), ("李四", "人事科", False, False), ("退休老孙", None, False, True)]
    assert len({e.member_id for e in events}) == 3


def test_the_decision_refuses_the_whole_roster_naming_every_bad_row():
    state = registered()
    entries = (C.RosterEntry(2, "m-1", "张三", "综合科"), C.RosterEntry(3, "m-2", "李四", "无此科"),
               C.RosterEntry(4, "m-3", " ", "综合科"))
    with pytest.raises(Rejected) as refused:
        decide(state, C.EnrolMembers(actor=UNIT, unit_id=U, entries=entries))
    assert refused.value.details["bad_rows"] == [3, 4]
    assert "nothing was enrolled" in refused.value.message
    with pytest.raises(Rejected):
        decide(state, C.EnrolMembers(actor=UNIT, unit_id=U, entries=()))
    with pytest.raises(Forbidden):
        decide(state, C.EnrolMembers(actor=OFFICE, unit_id=U, entries=entries[:1]))


@pytest.mark.parametrize("data, why", [
    (b"", "empty"), (sample_files.pdf(), "not an Excel workbook"), (b"PK\x03\x04garbage", "not"),
])
def test_what_is_no_xlsx_workbook_is_refused(data, why):
    with pytest.raises(Rejected) as refused:
        W.read_rows(data)
    assert why in refused.value.message and "file" in refused.value.details["fields"]


def test_a_roster_without_the_header_or_over_the_row_cap_or_empty_is_refused():
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["名字", "部门"])
    wb.active.append(["张三", "综合科"])
    out = __import__("io").BytesIO()
    wb.save(out)
    with pytest.raises(Rejected, match="header"):
        W.read_rows(out.getvalue())
    with pytest.raises(Rejected, match="more than 3 members"):
        W.read_rows(W.rows_workbook([row(f"人{i}", "综合科") for i in range(4)]), max_rows=3)
    with pytest.raises(Rejected, match="no member rows"):
        W.read_rows(W.rows_workbook([]))
