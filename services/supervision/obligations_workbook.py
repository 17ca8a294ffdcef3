"""Obligations as an Excel workbook (督办台账), with openpyxl: one row per obligation the
reader may see, overdue ones coloured, and a sheet of counts by type and status."""
from __future__ import annotations

import io
from collections import Counter
from typing import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from shared.obligation_vocabulary import OWED_BY_LABELS, STATUS_LABELS, TYPE_LABELS

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["事项", "对象", "单位", "督导组", "责任方", "期限", "完成日期", "状态", "逾期天数", "编号"]
_FILLS = {"overdue": PatternFill("solid", fgColor="FFC7CE"), "met_late": PatternFill("solid", fgColor="FFEB9C"),
          "waived": PatternFill("solid", fgColor="D9D9D9")}


def workbook_bytes(obligations: Iterable[dict], unit_names: dict, group_names: dict) -> bytes:
    rows = list(obligations)
    book = Workbook()
    sheet = book.active
    sheet.title = "督办台账"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for o in rows:
        sheet.append([TYPE_LABELS.get(o["type"], o["type"]), o.get("subject") or "",
                      unit_names.get(o.get("unit_id"), o.get("unit_id") or ""),
                      group_names.get(o.get("group_id"), o.get("group_id") or ""),
                      OWED_BY_LABELS.get(o["owed_by"], o["owed_by"]), o["due"], o.get("met_on") or "",
                      STATUS_LABELS.get(o["status"], o["status"]), o["days_overdue"], o["obligation_id"]])
        fill = _FILLS.get(o["status"])
        if fill:
            for cell in sheet[sheet.max_row]:
                cell.fill = fill
    for column, width in enumerate((14, 16, 22, 16, 8, 12, 12, 10, 9, 44), 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    counts = book.create_sheet("统计")
    counts.append(["事项", *STATUS_LABELS.values(), "合计"])
    by_type = Counter((o["type"], o["status"]) for o in rows)
    for kind, label in TYPE_LABELS.items():
        line = [by_type[(kind, status)] for status in STATUS_LABELS]
        counts.append([label, *line, sum(line)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
