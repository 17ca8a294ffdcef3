"""The rectification ledger (整改台账) as an Excel workbook, with openpyxl, in the house style of
the obligations workbook: one row per measure (a problem with none gets a row of its own),
coloured by status, and a sheet of figures per unit."""
from __future__ import annotations

import io
from typing import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from services.units.ledger_view import ledger_rows

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["单位", "问题类别", "问题", "来源", "问题状态", "整改措施", "责任人", "期限", "状态", "退回次数",
           "完成日期", "销号日期", "逾期", "佐证材料", "单位答复", "措施编号"]
SOURCE_LABELS = {"plan": "实施方案", "opinions": "征求意见", "inspection": "督导检查", "party_analysis": "党性分析",
                 "life_meeting": "民主生活会", "directive": "督办", "before_ledger": "台账前措施"}
PROBLEM_LABELS = {"open": "整改中", "signed_off": "已销号", "carried": "已结转", "proposed": "待认领",
                  "answered": "已答复"}
STATUS_LABELS = {"open": "整改中", "completed": "待复查", "signed_off": "已销号", "returned": "已退回",
                 "overdue": "逾期", "carried": "已结转", "answered": "已答复", "proposed": "待认领", "": ""}
FILLS = {"signed_off": PatternFill("solid", fgColor="C6EFCE"), "completed": PatternFill("solid", fgColor="FFEB9C"),
         "returned": PatternFill("solid", fgColor="F8CBAD"), "overdue": PatternFill("solid", fgColor="FFC7CE"),
         "carried": PatternFill("solid", fgColor="D9D9D9"), "answered": PatternFill("solid", fgColor="D9D9D9"),
         "proposed": PatternFill("solid", fgColor="DDEBF7")}


def row_status(row: dict) -> str:
    """The colour a row takes: carried problems grey; then overdue, returned, awaiting 复查, signed off."""
    if row["problem_status"] in ("carried", "answered", "proposed"):
        return row["problem_status"]
    status = row.get("status") or ""
    if status != "signed_off" and row.get("overdue"):
        return "overdue"
    if status == "open" and row.get("returns"):
        return "returned"
    return status


def workbook_bytes(views: Iterable[dict]) -> bytes:
    views = list(views)
    book = Workbook()
    sheet = book.active
    sheet.title = "整改台账"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for view in views:
        for row in ledger_rows(view):
            status = row_status(row)
            sheet.append([row["unit"], row["category"], row["problem"], SOURCE_LABELS.get(row["source"], row["source"]),
                          PROBLEM_LABELS.get(row["problem_status"], row["problem_status"]),
                          row.get("commitment") or "", row.get("owner_name") or row.get("owner_member_id") or "",
                          row.get("due") or "", STATUS_LABELS.get(status, status), row.get("returns") or 0,
                          row.get("completed_on") or "", row.get("signed_off_on") or "",
                          "是" if row.get("overdue") else "", len(row.get("attachment_ids") or []),
                          row.get("reply") or "", row.get("measure_id") or ""])
            fill = FILLS.get(status)
            if fill:
                for cell in sheet[sheet.max_row]:
                    cell.fill = fill
    for column, width in enumerate((18, 24, 36, 10, 8, 30, 10, 12, 8, 8, 12, 12, 6, 8, 36, 34), 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    figures = book.create_sheet("统计")
    figures.append(["单位", "问题", "已销号", "已结转", "整改中", "待认领", "已答复", "措施", "措施已销号", "逾期",
                    "退回次数"])
    for cell in figures[1]:
        cell.font = Font(bold=True)
    for view in views:
        f = view["figures"]
        figures.append([view["name"], f["problems"], f["signed_off"], f["carried"], f["open"],
                        view["proposals"]["proposed"], view["proposals"]["answered"], f["measures"],
                        f["measures_signed_off"], f["overdue"], f["returns"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
