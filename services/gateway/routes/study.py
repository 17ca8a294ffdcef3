"""Study tracking routes (R7–R10). The study service checks scope itself where the
path names no unit (attendance, member records)."""
from services.gateway.routes import Route
from services.gateway.routes.shapes import (
                 BINARY,
                 BOOL,
                 DATE,
                 GIVEN_ID,
                 ID,
                 INT,
                 NUM,
                 OBJECT,
                 STR,
                 XLSX,
                 array,
                 document,
                 nullable,
                 record,
)

S = "services.study.schemas:"
SHEET_READERS = ("office", "auditor", "unit", "supervisor")
EXEMPTION_GRANTORS = ("office", "supervisor")  # the study service holds a supervisor to its group

# the read models' shapes (services/study/projections.py): the fields always there
MEETING = document(scheduled=nullable(DATE), held=nullable(DATE))
COVERAGE = document(covered=array(STR), missing=array(STR), covered_count=INT, required_count=INT,
                    complete=BOOL)
MEMBER_ROW = document(member_id=ID, name=STR, section=nullable(STR), is_leader=BOOL, is_retired=BOOL,
                      study_group_ids=array(ID), centralised_hours=NUM, self_study_hours=NUM, floor=NUM,
                      short_by=NUM, below_floor=BOOL, exempted=BOOL, exemption=nullable(OBJECT),
                      coverage=COVERAGE, session_count=INT)
SESSION = document(session_id=ID, date=DATE, form=STR, mode=STR, hours=NUM, content_keys=array(STR),
                   attendee_ids=array(ID, unique=True), attendee_count=INT, calendar_flags=array())
SHEET = document(unit_id=ID, name=STR, org_type=STR, batch=INT, floor=NUM, member_count=INT,
                 below_floor_count=INT, exempted_count=INT, compliant_count=INT,
                 compliance=nullable(NUM), ready=BOOL, mobilization_meeting=MEETING, calendar=OBJECT,
                 conflicts=array(document(code=STR, message=STR)), has_plan=BOOL,
                 readiness=document(unit_id=ID, ready=BOOL, floor=NUM, members_below=array(),
                                    exempted=array(ID), member_count=INT),
                 members=array(MEMBER_ROW), coverage=COVERAGE, sessions=array(SESSION),
                 plan=nullable(OBJECT))
MEMBER_RECORD = document(**MEMBER_ROW["properties"], unit_id=ID,
                         sessions=array(document(session_id=ID, date=DATE, form=STR, mode=STR, hours=NUM,
                                                 content_keys=array(STR))))
COUNTY = document(floor=NUM, units=array(document(unit_id=ID, name=STR, batch=INT, ready=BOOL,
                                                  compliance=nullable(NUM))))

ROUTES = [
    Route("PUT", "/units/<unit>/study-plan", "study", "set_study_plan", ("unit",), 201,
          "The unit's study plan: personnel, time, content, effect all fixed (四落实, R9)",
          S + "StudyPlanSchema", args={"unit": "unit_id"},
          result=record(unit_id=GIVEN_ID, plan_version=INT, warnings=array())),
    Route("POST", "/study-sessions", "study", "record_session", ("unit",), 201,
          "Record a study session {unit_id, form, date, hours, content_keys | local_document} "
          "→ {session_id} (R10; R8 calendar flags)", S + "StudySessionSchema",
          result=record(session_id=ID, unit_id=STR, calendar_flags=array())),
    Route("POST", "/study-sessions/<id>/attendance", "study", "record_attendance", ("unit",), 201,
          "Record attendance {member_ids} at a session of the caller's unit",
          S + "AttendanceSchema", args={"id": "session_id"},
          result=record(session_id=GIVEN_ID, unit_id=ID, member_ids=array(STR, unique=True))),
    Route("POST", "/units/<unit>/study-exemptions", "study", "grant_exemption",
          EXEMPTION_GRANTORS, 201,
          "Exempt a member from the 40-学时 floor {member_id, reason} (R7, never silent; "
          "by the unit's supervision group or the office, never the unit itself)",
          S + "ExemptionSchema", args={"unit": "unit_id"},
          result=record(unit_id=GIVEN_ID, member_id=STR)),
    Route("DELETE", "/units/<unit>/study-exemptions/<member>", "study", "revoke_exemption",
          EXEMPTION_GRANTORS, 200, "Revoke an exemption, giving ?reason=…", S + "ExemptionRevocationSchema",
          args={"unit": "unit_id", "member": "member_id"}, query=("reason",),
          result=record(unit_id=GIVEN_ID, member_id=GIVEN_ID, revoked=BOOL)),
    Route("GET", "/units/<unit>/study", "study", "unit_study", SHEET_READERS, 200,
          "The unit's compliance sheet: hours, coverage, members below the floor first, "
          "readiness, calendar conflicts", args={"unit": "unit_id"},
          result=SHEET),
    Route("GET", "/units/<unit>/study/ledger.xlsx", "study", "ledger", SHEET_READERS, 200,
          "The unit's study ledger (学习台账) as an Excel workbook", args={"unit": "unit_id"},
          result=BINARY, media_type=XLSX),
    Route("GET", "/members/<member>/study", "study", "member_study", SHEET_READERS, 200,
          "A member's study record: hours, coverage, exemption, sessions",
          args={"member": "member_id"},
          result=MEMBER_RECORD),
    Route("GET", "/study/county", "study", "county", ("office", "auditor", "supervisor"), 200,
          "County table of units by study compliance, least compliant first (?batch=)",
          S + "CountyQuerySchema", query=("batch",), public=True,
          result=COUNTY),
]
