"""The roster import (issue 17 item 3): a unit's .xlsx template, a preview of every row's
problems, and the all-or-nothing import. The gateway reads the multipart upload (within
the roster's size limit) and hands the bytes to the units service, which reads the
workbook and checks each row with the schema of single enrolment."""
from services.gateway.routes import Route
from services.gateway.routes.shapes import BINARY, GIVEN_ID, ID, INT, STR, XLSX, array, nullable, record

S = "services.units.schemas:"
ON_UNIT = {"unit": "unit_id"}
UPLOAD = {"type": "object", "required": ["file"], "additionalProperties": False,
          "properties": {"file": {"type": "string", "format": "binary",
                                  "description": "the filled-in roster template (.xlsx; its bytes are "
                                                 "sniffed), at most DUDAO_ROSTER_MAX_BYTES and 10000 rows"}}}
PROBLEM = {"type": "object", "required": ["row", "column", "column_label", "code", "message"],
           "properties": {"row": INT, "column": nullable(STR), "column_label": nullable(STR),
                          "code": STR, "message": STR}}
PREVIEW = record(unit_id=GIVEN_ID, rows=INT, problems=array(PROBLEM), bad_rows=array(INT),
                 would_enrol=INT, ignored_columns=array(STR))
IMPORTED = record(unit_id=GIVEN_ID, rows=INT, enrolled=INT, member_ids=array(ID))
# the office's unit list (issue 17): the same machinery, a unit a row, by single registration's schema
LIST_PREVIEW = record(rows=INT, problems=array(PROBLEM), bad_rows=array(INT), would_register=INT,
                      ignored_columns=array(STR))
REGISTERED = record(rows=INT, registered=INT, unit_ids=array(ID))

ROUTES = [
    Route("GET", "/units/<unit>/roster-template.xlsx", "units", "roster_template", ("office", "unit"), 200,
          "The unit's roster template (党员名册): 姓名, 所在科室/支部 (a list of its sections), 是否班子成员, "
          "是否离退休 (是/否), a frozen header and an instructions sheet", S + "UnitQuerySchema",
          args=ON_UNIT, result=BINARY, media_type=XLSX),
    Route("POST", "/units/<unit>/roster/preview", "units", "preview_roster", ("unit",), 200,
          "Check a filled-in roster (multipart file) without storing anything: every row's problems by "
          "row number and column, as the import would refuse them", body=UPLOAD,
          body_media_type="multipart/form-data", args=ON_UNIT, result=PREVIEW),
    Route("POST", "/units/<unit>/roster", "units", "import_roster", ("unit",), 201,
          "Import a roster (multipart file): every row enrolled in one append, or nothing and a 422 whose "
          "details.problems name every bad row and column", body=UPLOAD,
          body_media_type="multipart/form-data", args=ON_UNIT, result=IMPORTED),
    Route("GET", "/unit-list-template.xlsx", "units", "unit_list_template", ("office",), 200,
          "The office's unit list template (单位名单): 单位名称, 党组织类型 and 批次 (lists), 科室 (顿号-separated), "
          "a frozen header and an instructions sheet", result=BINARY, media_type=XLSX),
    Route("POST", "/unit-list/preview", "units", "preview_unit_list", ("office",), 200,
          "Check a filled-in unit list (multipart file) without storing anything: every row's problems by "
          "row number and column (single registration's schema, names repeated or already registered)",
          body=UPLOAD, body_media_type="multipart/form-data", result=LIST_PREVIEW),
    Route("POST", "/unit-list", "units", "import_unit_list", ("office",), 201,
          "Register a unit list (multipart file): every unit registered in one transaction, or nothing and "
          "a 422 whose details.problems name every bad row and column", body=UPLOAD,
          body_media_type="multipart/form-data", result=REGISTERED),
]
