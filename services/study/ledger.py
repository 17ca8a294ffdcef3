"""The unit's study ledger (学习台账) as an Excel workbook, built with openpyxl
from the read models only: the unit's compliance sheet (study_units doc) and
its session docs (study_sessions). Three sheets: members with hours and
coverage, sessions, attendance."""
from __future__ import annotations

import io
from typing import Iterable, Mapping

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .domain.catalog import FORMS, REQUIRED_CONTENT

MEMBERS_SHEET = "党员学时"
SESSIONS_SHEET = "学习场次"
ATTENDANCE_SHEET = "出勤登记"

MEMBER_HEADERS = ["党员", "科室", "领导班子成员", "离退休", "集中学习学时", "自学学时",
                  "学时下限", "差额", "低于下限", "免除", "免除理由", "批准人",
                  "已学内容数", "未学内容"]
SESSION_HEADERS = ["日期", "形式", "集中/自学", "学时", "标题", "学习内容", "本地文件",
                   "文号", "学习小组", "出勤人数", "日历提示"]
ATTENDANCE_HEADERS = ["日期", "形式", "标题", "党员", "科室", "学时", "集中/自学"]

_BOLD = Font(bold=True)
_BELOW = PatternFill("solid", fgColor="FFC7CE")  # below the floor stands out
_MODE_LABELS = {"centralised": "集中学习", "self": "自学"}


def _yes(flag) -> str:
    return "是" if flag else "否"


def _header(ws, title: str, headers: list[str]) -> None:
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(headers)
    for cell in ws[2]:
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True)
    ws.freeze_panes = "A3"


def _widths(ws, widths: Iterable[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _content_text(keys: Iterable[str]) -> str:
    return "；".join(REQUIRED_CONTENT.get(k, k) for k in keys)


def _members_sheet(ws, sheet: Mapping) -> None:
    _header(ws, f"{sheet.get('name') or sheet.get('unit_id')} 学习台账 — 党员学时"
                f"（集中学习一般不得少于{sheet.get('floor')}学时）", MEMBER_HEADERS)
    for row in sheet.get("members", []):
        exemption = row.get("exemption") or {}
        ws.append([row.get("name") or row["member_id"], row.get("section"),
                   _yes(row.get("is_leader")), _yes(row.get("is_retired")),
                   row["centralised_hours"], row["self_study_hours"], row["floor"],
                   row["short_by"], _yes(row["below_floor"]), _yes(row["exempted"]),
                   exemption.get("reason"), (exemption.get("granted_by") or {}).get("name"),
                   row["coverage"]["covered_count"],
                   _content_text(row["coverage"]["missing"])])
        if row["below_floor"]:
            for cell in ws[ws.max_row]:
                cell.fill = _BELOW
    _widths(ws, [12, 12, 8, 8, 10, 8, 8, 8, 8, 6, 24, 12, 8, 60])


def _sessions_sheet(ws, sessions: list[Mapping]) -> None:
    _header(ws, "学习场次", SESSION_HEADERS)
    for s in sessions:
        local = s.get("local_document") or {}
        ws.append([s["date"], FORMS.get(s["form"], s["form"]),
                   _MODE_LABELS.get(s["mode"], s["mode"]), s["hours"], s.get("title"),
                   _content_text(s.get("content_keys", [])), local.get("title"),
                   local.get("reference"), s.get("study_group_id") or "全体",
                   s.get("attendee_count", len(s.get("attendee_ids", []))),
                   "；".join(f.get("message", f["code"]) for f in s.get("calendar_flags", []))])
    _widths(ws, [12, 18, 10, 6, 24, 60, 24, 18, 12, 8, 30])


def _attendance_sheet(ws, sessions: list[Mapping], members: Mapping[str, Mapping]) -> None:
    _header(ws, "出勤登记", ATTENDANCE_HEADERS)
    for s in sessions:
        for member_id in s.get("attendee_ids", []):
            member = members.get(member_id, {})
            ws.append([s["date"], FORMS.get(s["form"], s["form"]), s.get("title"),
                       member.get("name") or member_id, member.get("section"), s["hours"],
                       _MODE_LABELS.get(s["mode"], s["mode"])])
    _widths(ws, [12, 18, 24, 12, 12, 6, 10])


def build_ledger(sheet: Mapping, sessions: Iterable[Mapping] | None = None) -> Workbook:
    """Workbook from a study_units doc; sessions default to the sheet's own list
    (study_sessions docs carry the same fields)."""
    sessions = sorted(sessions if sessions is not None else sheet.get("sessions", []),
                      key=lambda s: (s["date"], s["session_id"]))
    members = {m["member_id"]: m for m in sheet.get("members", [])}
    wb = Workbook()
    _members_sheet(wb.active, sheet)
    wb.active.title = MEMBERS_SHEET
    _sessions_sheet(wb.create_sheet(SESSIONS_SHEET), sessions)
    _attendance_sheet(wb.create_sheet(ATTENDANCE_SHEET), sessions, members)
    return wb


def ledger_bytes(sheet: Mapping, sessions: Iterable[Mapping] | None = None) -> bytes:
    buffer = io.BytesIO()
    build_ledger(sheet, sessions).save(buffer)
    return buffer.getvalue()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
