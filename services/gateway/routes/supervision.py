"""Routes the supervision service answers: groups, arrival, plan review, the phase gate,
field work, reports, typical cases, briefings and the office's console. The gateway checks
roles; the service checks that a supervisor acts only on their own group's units. Each
route's ``args`` name the RPC field its path variables fill."""
from services.gateway.routes import Route
from services.gateway.routes.shapes import (
    BINARY,
    BOOL,
    DATE,
    DOCX,
    GIVEN_ID,
    ID,
    INT,
    NUM,
    OBJECT,
    STR,
    XLSX,
    array,
    dict_of,
    document,
    nullable,
    one_of,
    optional,
    record,
)

S = "supervision"
SCHEMAS = "services.supervision.schemas"
OFFICE = ("office",)
SUPERVISOR = ("supervisor",)
GROUP_ACTORS = ("office", "supervisor")
OVERSEERS = ("office", "auditor", "supervisor")


GROUP = {"group": "group_id"}
UNIT = {"unit": "unit_id"}
TRANSITION = {"id": "transition_id"}
CASE = {"case": "case_id"}
BRIEFING = {"id": "briefing_id"}


# the read models' shapes (services/supervision/projections): the fields always there (a
# group's soft limit comes with its first unit)
REPORT_REF = document(report_id=ID, kind=STR, title=STR, date=DATE)
LATE = document(unit_id=ID, date=DATE, deadline=nullable(DATE))
GROUP_ROW = document(group_id=ID, name=STR, leader_name=STR, unit_ids=array(ID, unique=True),
                     unit_count=INT, soft_limit=nullable(INT), over_soft_limit=BOOL, warnings=array(),
                     late_arrivals=array(LATE), urgent_reports=array(REPORT_REF))
GROUP_DOC = document(group_id=ID, name=STR, formed_on=DATE, leader_id=ID, people=dict_of(OBJECT),
                     branch=nullable(OBJECT), leaves=dict_of(OBJECT), unit_ids=array(ID, unique=True),
                     unit_count=INT, soft_limit=nullable(INT), over_soft_limit=BOOL, units=dict_of(OBJECT))
CHECKLIST = document(unit_id=GIVEN_ID, plan_version=INT, look_one=OBJECT, look_two=OBJECT,
                     look_three=OBJECT, missing=array(STR), missing_labels=array(STR), passed=BOOL)
REPORT = document(report_id=ID, unit_id=ID, group_id=ID, kind=STR, title=STR, body=STR, date=DATE,
                  urgent=BOOL)
# an obligation as listed (handlers.LISTED): whose, what, by when, and its status
OBLIGATION = document(obligation_id=STR, type=STR, unit_id=nullable(ID), group_id=nullable(ID), owed_by=STR,
                      subject=nullable(STR), due=DATE, met_on=nullable(DATE), status=STR, days_overdue=INT)
PENDING = array(document(unit_id=ID, transition_id=ID))
# a unit as the console sees it (projections/console.py): known facts, null until they arrive
CONSOLE_UNIT = document(
    unit_id=ID, name=nullable(STR), batch=nullable(INT), group_id=nullable(ID), phase=nullable(STR),
    phase_deadline=nullable(DATE), meeting_date=nullable(DATE), meeting_held_on=nullable(DATE),
    arrival_deadline=nullable(DATE), arrived_on=nullable(DATE), late=BOOL, tasks=dict_of(STR),
    plan=document(latest_version=nullable(INT), reviews=dict_of(STR), pending_review=BOOL),
    transitions=dict_of(document(status=STR)), pending_group_reviews=array(ID),
    pending_office_approvals=array(ID), extensions=array(OBJECT), urgent_reports=array(REPORT_REF))
CONSOLE = document(groups=array(document(group_id=ID, name=STR, units=array(CONSOLE_UNIT))),
                   late_arrivals=array(document(unit_id=ID, date=DATE, group_id=ID)),
                   pending_plan_reviews=array(ID), pending_group_reviews=PENDING,
                   pending_office_approvals=PENDING,
                   urgent_reports=array(document(report_id=ID, unit_id=ID, group_id=ID)),
                   over_soft_limit=array(ID))
HISTORY = document(unit_id=ID, entries=array(document(position=INT, occurred_at=STR, type=STR,
                                                      actor=OBJECT, payload=OBJECT)),
                   summary=optional(CONSOLE_UNIT, *CONSOLE_UNIT["required"]))


def _schema(name: str) -> str:
    return f"{SCHEMAS}:{name}"


ROUTES = [
    # groups (R1, R2, R18)
    Route("POST", "/groups", S, "form_group", OFFICE, 201,
          "Form a supervision group {name, leader, members}; the leader is a section-level cadre",
          _schema("FormGroupSchema"),
          result=record(group_id=ID, leader_member_id=STR, member_ids=array(STR, unique=True))),
    Route("GET", "/groups", S, "list_groups", OVERSEERS, 200,
          "Groups with their units and warnings (a supervisor sees their own)",
          result=array(GROUP_ROW)),
    Route("GET", "/groups/<group>", S, "get_group", OVERSEERS, 200,
          "A group's portfolio: people, branch, leave, and what it did at each unit", args=GROUP,
          result=GROUP_DOC),
    Route("POST", "/groups/<group>/units", S, "assign_unit", OFFICE, 201,
          "Assign a unit {unit_id}; beyond the soft limit (about 10) the answer carries a warning",
          _schema("AssignUnitSchema"), args=GROUP,
          result=record(group_id=GIVEN_ID, unit_id=STR, unit_count=INT,
                        soft_limit=INT, over_soft_limit=BOOL, warning=nullable(STR),
                        arrival_deadline=nullable(DATE))),
    Route("POST", "/groups/<group>/arrivals", S, "record_arrival", SUPERVISOR, 201,
          "Record arrival {unit_id, date}; late if after the mobilisation meeting minus 2 days",
          _schema("ArrivalSchema"), args=GROUP,
          result=record(unit_id=STR, group_id=STR, date=DATE, deadline=nullable(DATE), late=BOOL, tasks=OBJECT)),
    Route("POST", "/groups/<group>/branch", S, "establish_branch", GROUP_ACTORS, 201,
          "Establish the temporary Party branch with study, deliberation and leave rules",
          _schema("TemporaryBranchSchema"), args=GROUP,
          result=record(group_id=GIVEN_ID)),
    Route("POST", "/groups/<group>/leaves", S, "request_leave", GROUP_ACTORS, 201,
          "Request leave for a member {member_id, from_date, to_date, reason}",
          _schema("LeaveRequestSchema"), args=GROUP,
          result=record(leave_id=ID)),
    Route("POST", "/groups/<group>/leaves/<leave>/decision", S, "decide_leave", GROUP_ACTORS, 201,
          "The group leader (or the office) approves or denies a leave request",
          _schema("LeaveDecisionSchema"), args={**GROUP, "leave": "leave_id"},
          result=record(leave_id=GIVEN_ID, decision=STR)),
    Route("POST", "/groups/<group>/members/<member>/batch", S, "record_batch", GROUP_ACTORS, 201,
          "Record the batch (2 or 3) a member joins in their home unit",
          _schema("BatchParticipationSchema"), args={**GROUP, "member": "member_id"},
          result=record(group_id=GIVEN_ID, member_id=GIVEN_ID, batch=INT)),
    Route("POST", "/groups/<group>/members/<member>/erasure", S, "erase_group_member_data", OFFICE, 201,
          "Forget a group member's personal data {reason}: their key is destroyed, 已删除 shows "
          "where their name was (crypto-shredding)", _schema("GroupMemberErasureSchema"),
          args={**GROUP, "member": "member_id"},
          result=record(group_id=GIVEN_ID, member_id=GIVEN_ID, erased=BOOL)),
    # R3 the three arrival tasks
    Route("POST", "/units/<unit>/speech-draft/read", S, "read_speech_draft", SUPERVISOR, 201,
          "The group read the secretary's mobilisation speech draft",
          _schema("SpeechDraftReadSchema"), args=UNIT,
          result=record(unit_id=GIVEN_ID)),
    Route("POST", "/units/<unit>/arrival-tasks/<task>/done", S, "complete_task", SUPERVISOR, 201,
          "Mark an arrival task done (supervise_mobilization_meeting | prepare_leader_speech)",
          _schema("ArrivalTaskDoneSchema"), args={**UNIT, "task": "task"},
          result=record(unit_id=GIVEN_ID, task=STR, status=one_of("done"))),
    # R4 work-plan review
    Route("GET", "/units/<unit>/work-plan/checklist", S, "work_plan_checklist", OVERSEERS, 200,
          "The automatic 一看/二看/三看 checklist of the latest submitted plan", args=UNIT,
          result=CHECKLIST),
    Route("POST", "/units/<unit>/work-plan/review", S, "review_work_plan", SUPERVISOR, 201,
          "The group's verdict on the latest plan {decision: approve|return, comments}",
          _schema("WorkPlanReviewSchema"), args=UNIT,
          result=record(unit_id=GIVEN_ID, plan_version=INT, decision=STR, missing=array(), checklist=OBJECT)),
    # R5/R6 the phase gate
    Route("GET", "/transitions/<id>/readiness", S, "transition_readiness", OVERSEERS, 200,
          "Readiness checks shown to the reviewer: study, requirements, open rectifications",
          args=TRANSITION,
          result=document(transition_id=GIVEN_ID, unit_id=ID, from_phase=STR, to_phase=STR, blockers=array())),
    Route("POST", "/transitions/<id>/group-review", S, "group_review", SUPERVISOR, 201,
          "The group agrees or returns a transition application {decision, comments}",
          _schema("GroupReviewSchema"), args=TRANSITION,
          result=record(transition_id=GIVEN_ID, unit_id=ID, status=one_of("agreed", "returned"),
                        readiness=nullable(OBJECT))),
    Route("POST", "/transitions/<id>/office-decision", S, "office_decision", OFFICE, 201,
          "The office approves or rejects what the group agreed {decision, comments}",
          _schema("OfficeDecisionSchema"), args=TRANSITION,
          result=record(transition_id=GIVEN_ID, unit_id=ID, status=one_of("approved", "rejected"),
                        to_phase=nullable(STR))),
    Route("POST", "/units/<unit>/deadline-extensions", S, "extend_deadline", OFFICE, 201,
          "Extend the current phase's deadline {phase, until, reason}",
          _schema("DeadlineExtensionSchema"), args=UNIT,
          result=record(unit_id=GIVEN_ID, phase=STR, until=DATE, previous_deadline=nullable(DATE))),
    # R14/R15 field work (检查验收, R13, is the evaluation service's acceptance-inspections)
    Route("POST", "/inspections", S, "record_inspection", SUPERVISOR, 201,
          "Inspect a unit on the seven points {unit_id, date, scores, notes, findings}",
          _schema("InspectionSchema"),
          result=record(inspection_id=ID, total=NUM, max_total=NUM)),
    Route("POST", "/units/<unit>/committee-meetings", S, "record_committee_meeting", SUPERVISOR,
          201, "The group attended the unit's campaign committee meeting {date, topic, notes}",
          _schema("CommitteeMeetingSchema"), args=UNIT,
          result=record(meeting_id=ID)),
    Route("POST", "/units/<unit>/working-office", S, "record_working_office", SUPERVISOR, 201,
          "The unit's working office and trained staff as checked",
          _schema("WorkingOfficeSchema"), args=UNIT,
          result=record(unit_id=GIVEN_ID)),
    # R16/R17 reports and typical cases
    Route("POST", "/reports", S, "file_report", SUPERVISOR, 201,
          "Report to the office {unit_id, kind, title, body, date, contact}; major and policy "
          "issues are urgent", _schema("ReportSchema"),
          result=record(report_id=ID, urgent=BOOL)),
    Route("GET", "/reports", S, "list_reports", OVERSEERS, 200,
          "Reports (?unit_id=&group_id=&kind=&urgent=1); a supervisor sees their group's",
          _schema("ReportsQuerySchema"), query=("unit_id", "group_id", "kind", "urgent"),
          result=array(REPORT)),
    Route("POST", "/typical-cases", S, "report_typical_case", SUPERVISOR, 201,
          "Report a typical experience or exemplary person", _schema("TypicalCaseSchema"),
          result=record(case_id=ID)),
    Route("POST", "/typical-cases/<case>/recommendations", S, "recommend_typical_case",
          SUPERVISOR, 201, "Recommend a typical case to the unit or the office {recipient}",
          _schema("RecommendationSchema"), args=CASE,
          result=record(case_id=GIVEN_ID, recommended_to=STR)),
    Route("POST", "/typical-cases/<case>/publicity", S, "publicise_typical_case", OFFICE, 201,
          "Publicise a typical case recommended to both the unit and the office {channel}",
          _schema("PublicitySchema"), args=CASE,
          result=record(case_id=GIVEN_ID, publicised=BOOL)),
    # briefings (简报)
    Route("POST", "/briefings", S, "compile_briefing", OFFICE, 201,
          "Compile a briefing from a period's reports {title, period_from, period_to}",
          _schema("BriefingSchema"),
          result=record(briefing_id=ID, report_ids=array(ID, unique=True))),
    Route("GET", "/briefings", S, "list_briefings", ("office", "auditor"), 200,
          "The compiled briefings, the newest first: {briefing_id, title, period_from, period_to, "
          "compiled_on, report_ids}",
          result=array(document(briefing_id=ID, title=STR, period_from=DATE, period_to=DATE,
                                compiled_on=DATE, report_ids=array(ID, unique=True)))),
    Route("GET", "/briefings/<id>", S, "get_briefing", ("office", "auditor"), 200,
          "A compiled briefing", args=BRIEFING,
          result=document(briefing_id=ID)),
    Route("GET", "/briefings/<id>/document", S, "briefing_document", ("office", "auditor"), 200,
          "The briefing as a Word document (.docx)", args=BRIEFING,
          result=BINARY, media_type=DOCX),
    # queries
    Route("GET", "/console", S, "console", ("office", "auditor"), 200,
          "The office console: every group's units, deadlines, late arrivals, pending reviews "
          "and approvals, urgent reports",
          result=CONSOLE),
    # obligations (督促检查): what is owed by when, overdue once the scheduler saw it pass
    Route("GET", "/obligations", S, "list_obligations", ("office", "auditor", "supervisor", "unit"), 200,
          "Obligations within your scope, by due date (?status=&unit_id=&group_id=&type=): "
          "{obligation_id, type, unit_id, group_id, owed_by, due, status, days_overdue}",
          _schema("ObligationsQuerySchema"), query=("status", "unit_id", "group_id", "type"),
          result=array(OBLIGATION)),
    Route("GET", "/obligations.xlsx", S, "obligations_workbook", ("office", "auditor", "supervisor", "unit"),
          200, "The same obligations as an Excel workbook (督办台账), overdue rows coloured, with counts",
          _schema("ObligationsQuerySchema"), query=("status", "unit_id", "group_id", "type"),
          result=BINARY, media_type=XLSX),
    Route("POST", "/obligations/<id>/waive", S, "waive_obligation", OFFICE, 201,
          "The office waives an obligation {reason}", _schema("WaiveObligationSchema"),
          args={"id": "obligation_id"}, result=record(obligation_id=GIVEN_ID, status=one_of("waived"))),
    # 督办: a directive to the unit or group responsible, answered by its reply date
    Route("POST", "/directives", S, "send_directive", GROUP_ACTORS, 201,
          "Send a directive (督办通知) {unit_id | group_id, obligation_id?, text, reply_by} → "
          "{directive_id}; a supervisor only to its own group's units",
          _schema("DirectiveSchema"), result=record(directive_id=ID)),
    Route("POST", "/directives/<id>/acknowledgement", S, "acknowledge_directive",
          ("unit", "supervisor"), 201, "The recipient acknowledges a directive",
          _schema("DirectiveAcknowledgementSchema"), args={"id": "directive_id"},
          result=record(directive_id=GIVEN_ID, acknowledged_on=DATE)),
    Route("POST", "/directives/<id>/reply", S, "reply_to_directive", ("unit", "supervisor"), 201,
          "The recipient replies to a directive {text}", _schema("DirectiveReplySchema"),
          args={"id": "directive_id"}, result=record(directive_id=GIVEN_ID, replied_on=DATE)),
    Route("GET", "/units/<unit>/supervision", S, "unit_history",
          ("office", "auditor", "supervisor", "unit"), 200, "A unit's supervision history",
          args=UNIT,
          result=HISTORY),
]
