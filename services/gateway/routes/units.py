from services.gateway.routes import READERS, Route
from services.gateway.routes.shapes import (
    BINARY,
    BOOL,
    DATE,
    GIVEN_ID,
    ID,
    INT,
    OBJECT,
    STR,
    XLSX,
    array,
    dict_of,
    document,
    nullable,
    one_of,
    record,
)

S = "services.units.schemas:"
UNIT = ("unit",)
ON_UNIT = {"unit": "unit_id"}  # the path's <unit> is the RPC's unit_id

# the unit's card (services/units/projections.py): what GET /units and /units/{unit} answer
MEETING = document(scheduled=nullable(DATE), held=nullable(DATE))
APPLICATION = document(transition_id=ID, from_phase=STR, to_phase=STR, applied_on=DATE,
                       status=one_of("applied", "agreed"))
CARD = document(
    unit_id=ID, name=STR, org_type=STR, batch=INT, sections=array(STR, unique=True),
    phase=STR, phase_label=STR, phase_entered_on=nullable(DATE), deadlines=dict_of(nullable(DATE)),
    deadline=nullable(DATE), group_id=nullable(ID), group_over_soft_limit=BOOL,
    arrival=nullable(document(group_id=ID, date=DATE, deadline=nullable(DATE), late=BOOL)),
    mobilization_meeting=MEETING,
    work_plan=nullable(document(version=INT, status=one_of("submitted", "approved", "returned"),
                                submitted_on=DATE, missing=OBJECT, review_comments=nullable(STR),
                                review_missing=array())),
    requirements_set=BOOL, open_application=nullable(APPLICATION),
    last_application=nullable(document(transition_id=ID, outcome=STR, comments=nullable(STR))),
    agreed_transitions=array(ID), members=document(count=INT, leaders=INT, retired=INT),
    retired_without_group=array(STR), study_groups=dict_of(nullable(STR)),
    contact_points=dict_of(array(STR)),
    rectification=document(total=INT, completed=INT, open=array()),
    notifications=array(document(notification_id=ID, date=DATE, scope_size=INT, subject=STR)),
    current_survey_id=nullable(ID),
    history=array(document(phase=STR, previous_phase=nullable(STR), reason=nullable(STR), entered_on=DATE)),
    flags=array(STR))
MEMBER = document(member_id=ID, unit_id=ID, name=STR, section=nullable(STR),
                  study_group_id=nullable(ID), is_leader=BOOL, is_retired=BOOL,
                  contact_sections=array(STR), leads_study_group=BOOL)
MEMBERS = document(unit_id=ID, members=array(MEMBER), by_section=dict_of(array(ID)),
                   study_groups=array(document(study_group_id=ID, section=nullable(STR),
                                               leader_member_id=nullable(ID), member_ids=array(ID))),
                   retired_without_group=array(ID))
OVERVIEW = document(total=INT, by_batch=dict_of(dict_of(INT)), by_phase=dict_of(INT),
                    flagged=array(document(unit_id=ID, flags=array(STR))))

# the ledger's ids name their unit ("<unit>.p-…"); one from before the ledger may not
LEDGER_ID = {"type": "string", "pattern": "^[a-z]+-[0-9a-f]{12}\\.[a-z]+-[0-9a-f]{12}$"}
LEDGER_MEASURE = document(measure_id=GIVEN_ID, problem_id=GIVEN_ID, kind=STR, commitment=STR,
                          owner_member_id=GIVEN_ID, owner_name=nullable(STR), due=DATE, phase=STR,
                          status=one_of("open", "completed", "signed_off"), completed_on=nullable(DATE),
                          summary=STR, attachment_ids=array(GIVEN_ID), returns=INT, comments=STR,
                          signed_off_on=nullable(DATE), overdue=BOOL)
LEDGER_PROBLEM = document(problem_id=GIVEN_ID, category=nullable(STR), category_label=nullable(STR),
                          description=STR, source=STR, source_ref=nullable(STR), raised_by=STR, phase=STR,
                          raised_on=nullable(DATE),
                          status=one_of("proposed", "open", "signed_off", "carried", "answered"),
                          carry_proposed=nullable(STR), carried_reason=nullable(STR), reply=nullable(STR),
                          closed_on=nullable(DATE), measures=array(LEDGER_MEASURE))
LEDGER = document(unit_id=ID, name=STR, phase=STR, as_of=DATE,
                  figures=document(problems=INT, signed_off=INT, carried=INT, open=INT, measures=INT,
                                   measures_signed_off=INT, overdue=INT, returns=INT),
                  proposals=document(proposed=INT, answered=INT),
                  leaders_without_measure=array(GIVEN_ID), problems=array(LEDGER_PROBLEM))

LEDGER_FIGURES = document(problems=INT, signed_off=INT, carried=INT, open=INT, measures=INT,
                          measures_signed_off=INT, overdue=INT, returns=INT, proposed=INT, answered=INT)
COUNTY_LEDGER = document(
    as_of=DATE, totals=LEDGER_FIGURES, sign_off_rate=nullable({"type": "number"}),
    by_category=array(document(category=STR, label=STR, problems=INT)),
    overdue_by_group=array(document(group_id=nullable(ID), overdue=INT)),
    units=array(document(unit_id=ID, name=STR, phase=STR, batch=nullable(INT), group_id=nullable(ID),
                         figures=LEDGER_FIGURES)))

ROUTES = [
    Route("POST", "/units", "units", "register_unit", ("office",), 201,
          "Register a unit {name, org_type, batch, sections}", S + "RegisterUnitSchema",
          result=record(unit_id=ID)),
    Route("GET", "/units", "units", "list_units", READERS, 200,
          "Units, filtered by the caller's scope (?batch=&phase=)", S + "ListUnitsSchema",
          query=("batch", "phase"), result=array(CARD)),
    Route("GET", "/units/<unit>", "units", "get_unit", READERS, 200,
          "One unit: phase, deadlines, group, open application, flags", args=ON_UNIT, result=CARD),
    Route("GET", "/overview", "units", "overview", ("office", "auditor"), 200,
          "County overview: units by batch and phase, flagged units", result=OVERVIEW),
    # membership (R20, R21)
    Route("POST", "/units/<unit>/sections", "units", "add_section", UNIT, 201,
          "Declare a section (科室) of the unit {section}", S + "AddSectionSchema", args=ON_UNIT,
          result=record(unit_id=GIVEN_ID, section=STR)),
    Route("POST", "/units/<unit>/members", "units", "enrol_member", UNIT, 201,
          "Enrol a member {name, section, is_leader, is_retired} -> {member_id}", S + "EnrolMemberSchema",
          args=ON_UNIT, result=record(member_id=ID)),
    Route("POST", "/members/<member>/erasure", "units", "erase_member_data", ("office",), 201,
          "Forget a member's personal data {reason}: their key is destroyed, 已删除 shows where "
          "their name was (crypto-shredding); counts, hours and tallies stay", S + "ErasureSchema",
          args={"member": "member_id"}, result=record(member_id=GIVEN_ID, unit_id=ID, erased=BOOL)),
    Route("GET", "/units/<unit>/members", "units", "list_members", READERS, 200,
          "Members by section and study group", args=ON_UNIT, result=MEMBERS),
    Route("POST", "/units/<unit>/study-groups", "units", "form_study_group", UNIT, 201,
          "Form a section's study group led by its head {section, leader_member_id, member_ids}",
          S + "StudyGroupSchema", args=ON_UNIT, result=record(study_group_id=ID)),
    Route("POST", "/units/<unit>/study-groups/<group>/members", "units", "place_member", UNIT, 201,
          "Place a member (e.g. a retired cadre) in a study group {member_id}", S + "PlaceMemberSchema",
          args={"unit": "unit_id", "group": "study_group_id"},
          result=record(study_group_id=GIVEN_ID, member_id=GIVEN_ID)),
    Route("PUT", "/units/<unit>/members/<member>/contact-points", "units", "assign_contact_points", UNIT, 200,
          "A leader's contact-point sections (R21) {sections}", S + "ContactPointsSchema",
          args={"unit": "unit_id", "member": "member_id"},
          result=record(member_id=GIVEN_ID, sections=array(STR, unique=True))),
    # the work plan (R4) and requirements (R11)
    Route("PUT", "/units/<unit>/work-plan", "units", "submit_work_plan", UNIT, 200,
          "The work plan: leader measures, problems, guarantee systems -> {plan_version}",
          S + "WorkPlanSchema", args=ON_UNIT, result=record(unit_id=GIVEN_ID, plan_version=INT)),
    Route("PUT", "/units/<unit>/requirements", "units", "set_requirements", UNIT, 200,
          "Specific requirements for members' advanced nature (R11) {text, items}", S + "RequirementsSchema",
          args=ON_UNIT, result=record(unit_id=GIVEN_ID)),
    # the mobilisation meeting and the phase gate (R5)
    Route("POST", "/units/<unit>/mobilization-meeting", "units", "schedule_meeting", UNIT, 201,
          "Schedule the mobilisation meeting {date}", S + "MeetingScheduleSchema", args=ON_UNIT,
          result=record(unit_id=GIVEN_ID, date=DATE)),
    Route("POST", "/units/<unit>/mobilization-meeting/held", "units", "hold_meeting", UNIT, 201,
          "Mark the meeting held {date?}: phase 学习动员 starts", S + "MeetingHeldSchema", args=ON_UNIT,
          result=record(unit_id=GIVEN_ID, date=DATE, phase=nullable(STR), deadline=nullable(DATE))),
    Route("POST", "/units/<unit>/transitions", "units", "apply_for_transition", UNIT, 201,
          "Apply to leave the current phase {summary} -> {transition_id}", S + "TransitionApplicationSchema",
          args=ON_UNIT, result=record(transition_id=ID, from_phase=STR, to_phase=STR)),
    # rectification (R22) and public notification (R12, R23)
    Route("POST", "/units/<unit>/rectification-measures", "units", "add_rectification_measure", UNIT, 201,
          "A rectification measure or commitment {kind, description, owner_member_id, due} -> {measure_id}",
          S + "RectificationMeasureSchema", args=ON_UNIT, result=record(measure_id=LEDGER_ID)),
    Route("POST", "/units/<unit>/rectification-measures/<measure>/completion", "units",
          "complete_rectification_measure", UNIT, 201, "Complete a measure {completed_on?, note}",
          S + "MeasureCompletionSchema", args={"unit": "unit_id", "measure": "measure_id"},
          result=record(measure_id=GIVEN_ID, completed_on=DATE)),
    # the rectification ledger (整改台账): problems -> measures -> completion with evidence -> 复查
    Route("POST", "/units/<unit>/problems", "units", "record_problem", ("unit", "supervisor"), 201,
          "A problem on the unit's list (问题清单) {category (the plan's 二看), description, source "
          "(plan|opinions|inspection|party_analysis|life_meeting|directive), source_ref?} -> {problem_id}; "
          "a supervisor of the unit's group may propose one (status proposed: the unit accepts or "
          "answers it)", S + "ProblemSchema", args=ON_UNIT,
          result=record(problem_id=LEDGER_ID, unit_id=ID)),
    Route("POST", "/problems/<problem>/acceptance", "units", "accept_problem", UNIT, 201,
          "Accept a problem the group proposed (by hand, or a low inspection score) {category?}: it is "
          "open and needs measures", S + "ProblemAcceptanceSchema", unit_scoped=False,
          args={"problem": "problem_id"}, result=record(problem_id=GIVEN_ID, status=one_of("open"))),
    Route("POST", "/problems/<problem>/answer", "units", "answer_problem", UNIT, 201,
          "Answer a problem the group proposed {reply}: closed as answered, the reply in the ledger",
          S + "ProblemAnswerSchema", unit_scoped=False, args={"problem": "problem_id"},
          result=record(problem_id=GIVEN_ID, status=one_of("answered"))),
    Route("POST", "/problems/<problem>/measures", "units", "add_ledger_measure", UNIT, 201,
          "A measure under the problem {owner_member_id, due, commitment, kind?} -> {measure_id}",
          S + "LedgerMeasureSchema", unit_scoped=False, args={"problem": "problem_id"},
          result=record(measure_id=LEDGER_ID, problem_id=LEDGER_ID)),
    Route("POST", "/measures/<measure>/completion", "units", "complete_ledger_measure", UNIT, 201,
          "Report the measure done {summary, attachment_ids (at least one, uploaded as measure_evidence), "
          "completed_on?}: it awaits the group's re-check (复查)", S + "LedgerCompletionSchema",
          unit_scoped=False, args={"measure": "measure_id"},
          result=record(measure_id=GIVEN_ID, completed_on=DATE, attachment_ids=array(ID))),
    Route("POST", "/measures/<measure>/review", "units", "review_measure", ("supervisor",), 201,
          "复查 by a supervisor of the unit's group {decision: sign_off|return, comments}",
          S + "MeasureReviewSchema", unit_scoped=False, args={"measure": "measure_id"},
          result=record(measure_id=GIVEN_ID, decision=one_of("sign_off", "return"), returns=nullable(INT),
                        problem_signed_off=BOOL)),
    Route("POST", "/units/<unit>/rectification-measures/<measure>/review", "units", "review_measure",
          ("supervisor",), 201, "复查 of a measure whose id does not name its unit (from before the ledger) "
          "{decision: sign_off|return, comments}", S + "MeasureReviewSchema",
          args={"unit": "unit_id", "measure": "measure_id"},
          result=record(measure_id=GIVEN_ID, decision=one_of("sign_off", "return"), returns=nullable(INT),
                        problem_signed_off=BOOL)),
    Route("POST", "/measures/<measure>/reopening", "units", "reopen_measure", ("office",), 201,
          "Reopen a signed-off measure {reason} (the office only)", S + "MeasureReopeningSchema",
          unit_scoped=False, args={"measure": "measure_id"},
          result=record(measure_id=GIVEN_ID, status=one_of("open"))),
    Route("POST", "/problems/<problem>/carry-forward", "units", "propose_carry_forward", UNIT, 201,
          "Ask to carry the problem forward (结转) {reason}: the group accepts or refuses",
          S + "CarryForwardSchema", unit_scoped=False, args={"problem": "problem_id"},
          result=record(problem_id=GIVEN_ID, status=one_of("carry_proposed"))),
    Route("POST", "/problems/<problem>/carry-forward/review", "units", "review_carry_forward",
          ("supervisor",), 201, "The group's answer on carrying the problem forward {decision: accept|refuse, "
          "comments}", S + "CarryForwardReviewSchema", unit_scoped=False, args={"problem": "problem_id"},
          result=record(problem_id=GIVEN_ID, status=one_of("carried", "open"))),
    Route("GET", "/units/<unit>/rectification", "units", "rectification_ledger", READERS, 200,
          "The unit's rectification ledger (整改台账): problems, their measures, evidence, returns, "
          "figures", S + "UnitQuerySchema", args=ON_UNIT, result=LEDGER),
    Route("GET", "/units/<unit>/rectification.xlsx", "units", "rectification_workbook", READERS, 200,
          "The unit's ledger as an Excel workbook: one row per measure, coloured by status, with figures",
          S + "UnitQuerySchema", args=ON_UNIT, result=BINARY, media_type=XLSX),
    Route("GET", "/rectification", "units", "rectification_county", ("office", "supervisor", "auditor"), 200,
          "The ledgers within your scope at a glance (the county for the office and auditors, a group's "
          "units for its supervisors): problems by category, the sign-off rate, overdue measures by group, "
          "each unit's figures", result=COUNTY_LEDGER),
    Route("GET", "/rectification.xlsx", "units", "county_rectification_workbook", READERS, 200,
          "Every ledger within your scope (the county for the office and auditors) as one Excel workbook",
          result=BINARY, media_type=XLSX),
    Route("POST", "/units/<unit>/notifications", "units", "notify_public", UNIT, 201,
          "Notify the public {scope: [people], date?, subject, content, rectification_status}: the "
          "survey's sampling frame; a survey opens only on one made in phase survey that states the "
          "rectification status (整改情况和解决问题的情况), which is required in that phase",
          S + "NotificationSchema", args=ON_UNIT,
          result=record(notification_id=ID, scope_size=INT, date=DATE)),
]
