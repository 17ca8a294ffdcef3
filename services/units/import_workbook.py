"""A list imported from Excel (issue 17), with openpyxl, for every list the units service
imports: the roster (roster_workbook) and the office's list of units (unit_list_workbook).
A ``Sheet`` declares the columns (header -> field, how a cell is read, the lists offered);
from it come the template (a frozen, coloured header, data validation lists, an
instructions sheet), the reading of a filled-in one into rows of raw fields (which the
handler loads with the very schema of the single command), and a filled-in one for tests.

Reading refuses what is not an .xlsx workbook (its bytes sniffed, not its name), one whose
unpacked size betrays a zip bomb, one without the required headers, and one with more
rows than the sheet's ``max_rows``."""
from __future__ import annotations

import dataclasses
import io
import re
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from shared.attachments import sniff
from shared.domain import Rejected

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNPACKED = 64 << 20    # bytes the workbook's parts may unpack to
TEMPLATE_ROWS = 2000       # rows the template's lists are offered on
YES_NO = {"是": True, "否": False}
LIST_SEPARATORS = re.compile(r"[、，,；;\n]+")


@dataclasses.dataclass(frozen=True)
class Column:
    header: str
    field: str
    read: str = "text"           # text | yes_no | integer | list (several values in one cell)
    width: int = 16
    required: bool = False       # the header must be there
    choices: tuple = ()          # a fixed list offered in the template
    list_sheet: str | None = None  # a list the template is given (a unit's sections), on this sheet
    list_header: str = ""
    error: str = ""              # the template's message for a value not in the list


@dataclasses.dataclass(frozen=True)
class Sheet:
    name: str                    # the data sheet's name
    columns: tuple               # Column, in the template's order
    max_rows: int
    what: str                    # "roster": what the refusals call the file
    row_is: str                  # "member": what one row is (the refusals' words)
    instructions: tuple = ()     # the instructions sheet's lines (its first is the title)

    @property
    def header_of(self) -> dict:
        return {c.field: c.header for c in self.columns}

    @property
    def order(self) -> dict:
        return {c.field: n for n, c in enumerate(self.columns)}


def template_bytes(sheet: Sheet, title: str, lists: dict | None = None) -> bytes:
    """The template: ``lists`` gives a column's values by field (a unit's sections)."""
    lists = lists or {}
    wb = Workbook()
    ws = wb.active
    ws.title = sheet.name
    ws.append([c.header for c in sheet.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B71C1C")
        cell.alignment = Alignment(horizontal="center")
    ws.freeze_panes = "A2"
    last = TEMPLATE_ROWS + 1
    by_formula: dict = {}
    for n, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(n)
        ws.column_dimensions[letter].width = column.width
        formula = None
        if column.choices:
            formula = '"' + ",".join(str(c) for c in column.choices) + '"'
        elif column.list_sheet:
            values = list(lists.get(column.field) or ())
            listed = wb.create_sheet(column.list_sheet)
            listed.append([column.list_header or column.header])
            for value in values:
                listed.append([value])
            if values:
                formula = f"='{column.list_sheet}'!$A$2:$A${len(values) + 1}"
        if formula:
            by_formula.setdefault((formula, column.error), []).append((letter, column.header))
    for (formula, error), found in by_formula.items():
        letters = [x for x, _ in found]
        rule = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                              errorTitle="、".join(h for _, h in found)[:32], error=error or "请从列表中选择")
        rule.add(f"{letters[0]}2:{letters[-1]}{last}" if _adjacent(letters) else
                 " ".join(f"{x}2:{x}{last}" for x in letters))
        ws.add_data_validation(rule)
    if sheet.instructions:
        notes = wb.create_sheet(sheet.instructions[0])
        notes.append([title])
        notes["A1"].font = Font(bold=True, size=14)
        for line in sheet.instructions:
            notes.append([line])
        notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _adjacent(letters: list[str]) -> bool:
    from openpyxl.utils import column_index_from_string as index
    return [index(x) for x in letters] == list(range(index(letters[0]), index(letters[0]) + len(letters)))


def refused(message: str, **details) -> Rejected:
    return Rejected(message, fields={"file": [message]}, **details)


def _check_container(data: bytes) -> None:
    if not data:
        raise refused("the file is empty")
    if sniff(data) != XLSX_MEDIA_TYPE:
        raise refused("the file is not an Excel workbook (.xlsx); download the template and fill it in",
                      sniffed=sniff(data))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except zipfile.BadZipFile:
        raise refused("the file is not a readable .xlsx workbook") from None
    if unpacked > MAX_UNPACKED:
        raise refused(f"the workbook unpacks to more than {MAX_UNPACKED} bytes")


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


def _integer(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return int(value)
    text = _text(value)
    if text is not None and re.fullmatch(r"[0-9]+", text):
        return int(text)
    return text  # the schema says why not


def _list(value):
    text = _text(value)
    if text is None:
        return None
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]


READERS = {"text": _text, "yes_no": _yes_no, "integer": _integer, "list": _list}


def read_rows(sheet: Sheet, data: bytes, max_rows: int | None = None) -> tuple[list[tuple[int, dict]], list[str]]:
    """The filled-in rows as (row number, raw fields: a blank cell is absent) and the headers
    that were ignored. Raises Rejected for a file that is no such list."""
    max_rows = sheet.max_rows if max_rows is None else max_rows
    _check_container(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise refused("the file is not a readable .xlsx workbook") from None
    by_header = {c.header: c for c in sheet.columns}
    try:
        ws = wb[sheet.name] if sheet.name in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None) or ()
        columns, ignored = {}, []
        for at, cell in enumerate(header):
            name = _text(cell)
            column = by_header.get(name or "")
            if column and column not in columns.values():
                columns[at] = column
            elif name:
                ignored.append(name)
        missing = [c.header for c in sheet.columns if c.required and c not in columns.values()]
        if missing:
            raise refused(f"row 1 must be the template's header; missing {', '.join(missing)}",
                          missing_columns=missing)
        found = []
        for number, values in enumerate(rows, start=2):
            raw = {}
            for at, column in columns.items():
                value = READERS[column.read](values[at] if at < len(values) else None)
                if value is not None:
                    raw[column.field] = value
            if not raw:
                continue  # a blank row
            if len(found) == max_rows:
                raise refused(f"the {sheet.what} has more than {max_rows} {sheet.row_is}s; split it into "
                              f"files of at most {max_rows}", max_rows=max_rows)
            found.append((number, raw))
    finally:
        wb.close()
    if not found:
        raise refused(f"the {sheet.what} has no {sheet.row_is} rows below its header")
    return found, ignored


def rows_workbook(sheet: Sheet, rows: list[dict]) -> bytes:
    """A filled-in list (tests, the bench): dicts of header -> value."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet.name
    ws.append([c.header for c in sheet.columns])
    for row in rows:
        ws.append([row.get(c.header) for c in sheet.columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
