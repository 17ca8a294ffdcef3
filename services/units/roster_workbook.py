"""The roster (党员名册) as an Excel workbook (issue 17 item 3), declared as an
``import_workbook.Sheet``: the template a unit downloads (its sections offered as a list,
是/否 lists, a frozen header, an instructions sheet) and the reading of a filled-in one into
rows of raw fields, which the handler loads with the very schema of single enrolment
(schemas.EnrolMemberSchema)."""
from __future__ import annotations

from services.units import import_workbook as X
from shared.roster_limits import ROSTER_MAX_ROWS

XLSX_MEDIA_TYPE = X.XLSX_MEDIA_TYPE
MAX_ROWS = ROSTER_MAX_ROWS  # members one file may enrol
SHEET = "党员名册"
YES_NO_ERROR = "请填“是”或“否”"
ROSTER = X.Sheet(SHEET, (
    X.Column("姓名", "name", width=16, required=True),
    X.Column("所在科室/支部", "section", width=22, required=True, list_sheet="科室列表", list_header="科室",
             error="请从列表中选择本单位的科室"),
    X.Column("是否班子成员", "is_leader", "yes_no", width=14, choices=("是", "否"), error=YES_NO_ERROR),
    X.Column("是否离退休", "is_retired", "yes_no", width=12, choices=("是", "否"), error=YES_NO_ERROR)),
    MAX_ROWS, "roster", "member", instructions=(
        "填写说明",
        "1. 在“党员名册”表中每行填写一名党员，第1行为表头，请勿修改表头。",
        "2. 姓名：必填，不超过100个字。",
        "3. 所在科室/支部：从下拉列表中选择本单位已登记的科室；离退休干部可不填。",
        "4. 是否班子成员、是否离退休：填“是”或“否”，不填视为“否”。",
        "5. 同一科室内姓名相同的两人，请在姓名后加以区分（如“张伟（大）”）；已登记的党员不要重复填写。",
        f"6. 一次最多导入 {MAX_ROWS} 名党员。任何一行有问题时整份名册都不导入，请按提示逐行改正后重新上传。"))
COLUMNS = tuple((c.header, c.field) for c in ROSTER.columns)
HEADER_OF = ROSTER.header_of


def template_bytes(unit_name: str, sections: list[str]) -> bytes:
    return X.template_bytes(ROSTER, f"{unit_name} 党员名册导入模板", {"section": sections})


def read_rows(data: bytes, max_rows: int = MAX_ROWS) -> tuple[list[tuple[int, dict]], list[str]]:
    return X.read_rows(ROSTER, data, max_rows)


def rows_workbook(rows: list[dict]) -> bytes:
    """A filled-in roster (tests, the bench): dicts of header -> value."""
    return X.rows_workbook(ROSTER, rows)
