"""Study tracking routes (R7–R10). The study service checks scope itself where the
path names no unit (attendance, member records)."""
from services.gateway.routes import Route

S = "services.study.schemas:"
SHEET_READERS = ("office", "auditor", "unit", "supervisor")
EXEMPTION_GRANTORS = ("office", "supervisor")  # the study service holds a supervisor to its group

ROUTES = [
    Route("PUT", "/units/<unit>/study-plan", "study", "set_study_plan", ("unit",), 201,
          "The unit's study plan: personnel, time, content, effect all fixed (四落实, R9)",
          S + "StudyPlanSchema", args={"unit": "unit_id"}),
    Route("POST", "/study-sessions", "study", "record_session", ("unit",), 201,
          "Record a study session {unit_id, form, date, hours, content_keys | local_document} "
          "→ {session_id} (R10; R8 calendar flags)", S + "StudySessionSchema"),
    Route("POST", "/study-sessions/<id>/attendance", "study", "record_attendance", ("unit",), 201,
          "Record attendance {member_ids} at a session of the caller's unit",
          S + "AttendanceSchema", args={"id": "session_id"}),
    Route("POST", "/units/<unit>/study-exemptions", "study", "grant_exemption",
          EXEMPTION_GRANTORS, 201,
          "Exempt a member from the 40-学时 floor {member_id, reason} (R7, never silent; "
          "by the unit's supervision group or the office, never the unit itself)",
          S + "ExemptionSchema", args={"unit": "unit_id"}),
    Route("DELETE", "/units/<unit>/study-exemptions/<member>", "study", "revoke_exemption",
          EXEMPTION_GRANTORS, 200, "Revoke an exemption; give ?reason=… (or a JSON body)",
          args={"unit": "unit_id", "member": "member_id"}, query=("reason",)),
    Route("GET", "/units/<unit>/study", "study", "unit_study", SHEET_READERS, 200,
          "The unit's compliance sheet: hours, coverage, members below the floor first, "
          "readiness, calendar conflicts", args={"unit": "unit_id"}),
    Route("GET", "/units/<unit>/study/ledger.xlsx", "study", "ledger", SHEET_READERS, 200,
          "The unit's study ledger (学习台账) as an Excel workbook", args={"unit": "unit_id"}),
    Route("GET", "/members/<member>/study", "study", "member_study", SHEET_READERS, 200,
          "A member's study record: hours, coverage, exemption, sessions",
          args={"member": "member_id"}),
    Route("GET", "/study/county", "study", "county", ("office", "auditor", "supervisor"), 200,
          "County table of units by study compliance, least compliant first (?batch=)",
          query=("batch",)),
]
