"""The roster (党员名册) as an Excel workbook (issue 17 item 3), with openpyxl: the template a
unit downloads (its sections offered as a list, 是/否 lists, a frozen header, an
instructions sheet) and the reading of a filled-in one into rows of raw fields, which the
handler loads with the very schema of single enrolment (schemas.EnrolMemberSchema).

Reading refuses what is not an .xlsx workbook (its bytes sniffed, not its name), one whose
unpacked size betrays a zip bomb, one without the 姓名 and 所在科室/支部 headers, and one with
more rows than ``MAX_ROWS``."""
from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from shared.attachments import sniff
from shared.domain import Rejected
from shared.roster_limits import ROSTER_MAX_ROWS

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = ROSTER_MAX_ROWS  # members one file may enrol
MAX_UNPACKED = 64 << 20    # bytes the workbook's parts may unpack to
SHEET = "党员名册"
# header -> field, in the template's order; the header names the column in every problem
COLUMNS = (("姓名", "name"), ("所在科室/支部", "section"), ("是否班子成员", "is_leader"),
           ("是否离退休", "is_retired"))
HEADER_OF = {field: header for header, field in COLUMNS}
YES_NO = {"是": True, "否": False}
TEXT_FIELDS = ("name", "section")
TEMPLATE_ROWS = 2000       # rows the template's lists are offered on
INSTRUCTIONS = (
    "填写说明",
    "1. 在“党员名册”表中每行填写一名党员，第1行为表头，请勿修改表头。",
    "2. 姓名：必填，不超过100个字。",
    "3. 所在科室/支部：从下拉列表中选择本单位已登记的科室；离退休干部可不填。",
    "4. 是否班子成员、是否离退休：填“是”或“否”，不填视为“否”。",
    "5. 同一科室内姓名相同的两人，请在姓名后加以区分（如“张伟（大）”）；已登记的党员不要重复填写。",
    f"6. 一次最多导入 {MAX_ROWS} 名党员。任何一行有问题时整份名册都不导入，请按提示逐行改正后重新上传。",
)


def template_bytes(unit_name: str, sections: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([header for header, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B71C1C")
        cell.alignment = Alignment(horizontal="center")
    for letter, width in zip("ABCD", (16, 22, 14, 12)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    last = TEMPLATE_ROWS + 1
    lists = wb.create_sheet("科室列表")
    lists.append(["科室"])
    for section in sections:
        lists.append([section])
    if sections:
        section_list = DataValidation(type="list", formula1=f"='科室列表'!$A$2:$A${len(sections) + 1}",
                                      allow_blank=True, showErrorMessage=True, errorTitle="科室",
                                      error="请从列表中选择本单位的科室")
        section_list.add(f"B2:B{last}")
        ws.add_data_validation(section_list)
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                            errorTitle="是/否", error="请填“是”或“否”")
    yes_no.add(f"C2:D{last}")
    ws.add_data_validation(yes_no)
    notes = wb.create_sheet("填写说明")
    notes.append([f"{unit_name} 党员名册导入模板"])
    notes["A1"].font = Font(bold=True, size=14)
    for line in INSTRUCTIONS:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _refused(message: str, **details) -> Rejected:
    return Rejected(message, fields={"file": [message]}, **details)


def _check_container(data: bytes) -> None:
    if not data:
        raise _refused("the file is empty")
    if sniff(data) != XLSX_MEDIA_TYPE:
        raise _refused("the file is not an Excel workbook (.xlsx); download the template and fill it in",
                       sniffed=sniff(data))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except zipfile.BadZipFile:
        raise _refused("the file is not a readable .xlsx workbook") from None
    if unpacked > MAX_UNPACKED:
        raise _refused(f"the workbook unpacks to more than {MAX_UNPACKED} bytes")


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _yes_no(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    return YES_NO.get(text, text)  # anything else goes to the schema, which says why not


def read_rows(data: bytes, max_rows: int = MAX_ROWS) -> tuple[list[tuple[int, dict]], list[str]]:
    """The filled-in rows as (row number, raw fields: a blank cell is absent) and the headers
    that were ignored. Raises Rejected for a file that is no roster."""
    _check_container(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise _refused("the file is not a readable .xlsx workbook") from None
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None) or ()
        fields, ignored = {}, []
        for at, cell in enumerate(header):
            name = _text(cell)
            field = dict(COLUMNS).get(name or "")
            if field and field not in fields.values():
                fields[at] = field
            elif name:
                ignored.append(name)
        missing = [h for h, f in COLUMNS[:2] if f not in fields.values()]
        if missing:
            raise _refused(f"row 1 must be the template's header; missing {', '.join(missing)}",
                           missing_columns=missing)
        found = []
        for number, values in enumerate(rows, start=2):
            raw = {}
            for at, field in fields.items():
                value = values[at] if at < len(values) else None
                value = _text(value) if field in TEXT_FIELDS else _yes_no(value)
                if value is not None:
                    raw[field] = value
            if not raw:
                continue  # a blank row
            if len(found) == max_rows:
                raise _refused(f"the roster has more than {max_rows} members; split it into files of "
                               f"at most {max_rows}", max_rows=max_rows)
            found.append((number, raw))
    finally:
        wb.close()
    if not found:
        raise _refused("the roster has no member rows below its header")
    return found, ignored


def rows_workbook(rows: list[dict]) -> bytes:
    """A filled-in roster (tests, the bench): dicts of header -> value."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([header for header, _ in COLUMNS])
    for row in rows:
        ws.append([row.get(header) for header, _ in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
