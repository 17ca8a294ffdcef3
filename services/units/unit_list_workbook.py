"""The office's list of units to register (单位名单, issue 17), declared as an
``import_workbook.Sheet`` like the roster: one unit a row (its name, 党组织类型 and 批次 offered
as lists, its sections in one cell), each row loaded by the schema of single registration
(schemas.RegisterUnitSchema)."""
from __future__ import annotations

from services.units import import_workbook as X
from services.units.domain.membership import ORG_TYPES
from shared.roster_limits import UNIT_LIST_MAX_ROWS

MAX_ROWS = UNIT_LIST_MAX_ROWS  # units one file may register
SHEET = "单位名单"
UNIT_LIST = X.Sheet(SHEET, (
    X.Column("单位名称", "name", width=30, required=True),
    X.Column("党组织类型", "org_type", width=14, required=True, choices=ORG_TYPES,
             error="请从列表中选择：" + "、".join(ORG_TYPES)),
    X.Column("批次", "batch", "integer", width=8, required=True, choices=(1, 2, 3), error="请填 1、2 或 3"),
    X.Column("科室", "sections", "list", width=50)),
    MAX_ROWS, "unit list", "unit", instructions=(
        "填写说明",
        "1. 在“单位名单”表中每行填写一个参加活动的单位，第1行为表头，请勿修改表头。",
        "2. 单位名称：必填，不超过200个字；已登记的单位和同一名单中重复的名称不能导入。",
        "3. 党组织类型：从下拉列表中选择（" + "、".join(ORG_TYPES) + "）。",
        "4. 批次：填 1、2 或 3（第几批参加活动）。",
        "5. 科室：可不填；多个科室用顿号“、”分隔，同一单位内不要重复。",
        f"6. 一次最多登记 {MAX_ROWS} 个单位。任何一行有问题时整份名单都不登记，请按提示逐行改正后重新上传。"))
COLUMNS = tuple((c.header, c.field) for c in UNIT_LIST.columns)


def template_bytes() -> bytes:
    return X.template_bytes(UNIT_LIST, "参加先进性教育活动单位名单导入模板")


def read_rows(data: bytes, max_rows: int = MAX_ROWS) -> tuple[list[tuple[int, dict]], list[str]]:
    return X.read_rows(UNIT_LIST, data, max_rows)


def rows_workbook(rows: list[dict]) -> bytes:
    return X.rows_workbook(UNIT_LIST, rows)
