from services.gateway.routes import READERS, Route

S = "services.units.schemas:"
UNIT = ("unit",)
ON_UNIT = {"unit": "unit_id"}  # the path's <unit> is the RPC's unit_id

ROUTES = [
    Route("POST", "/units", "units", "register_unit", ("office",), 201,
          "Register a unit {name, org_type, batch, sections}", S + "RegisterUnitSchema"),
    Route("GET", "/units", "units", "list_units", READERS, 200,
          "Units, filtered by the caller's scope (?batch=&phase=)", query=("batch", "phase")),
    Route("GET", "/units/<unit>", "units", "get_unit", READERS, 200,
          "One unit: phase, deadlines, group, open application, flags", args=ON_UNIT),
    Route("GET", "/overview", "units", "overview", ("office", "auditor"), 200,
          "County overview: units by batch and phase, flagged units"),
    # membership (R20, R21)
    Route("POST", "/units/<unit>/sections", "units", "add_section", UNIT, 201,
          "Declare a section (科室) of the unit {section}", S + "AddSectionSchema", args=ON_UNIT),
    Route("POST", "/units/<unit>/members", "units", "enrol_member", UNIT, 201,
          "Enrol a member {name, section, is_leader, is_retired} -> {member_id}", S + "EnrolMemberSchema",
          args=ON_UNIT),
    Route("GET", "/units/<unit>/members", "units", "list_members", READERS, 200,
          "Members by section and study group", args=ON_UNIT),
    Route("POST", "/units/<unit>/study-groups", "units", "form_study_group", UNIT, 201,
          "Form a section's study group led by its head {section, leader_member_id, member_ids}",
          S + "StudyGroupSchema", args=ON_UNIT),
    Route("POST", "/units/<unit>/study-groups/<group>/members", "units", "place_member", UNIT, 201,
          "Place a member (e.g. a retired cadre) in a study group {member_id}", S + "PlaceMemberSchema",
          args={"unit": "unit_id", "group": "study_group_id"}),
    Route("PUT", "/units/<unit>/members/<member>/contact-points", "units", "assign_contact_points", UNIT, 200,
          "A leader's contact-point sections (R21) {sections}", S + "ContactPointsSchema",
          args={"unit": "unit_id", "member": "member_id"}),
    # the work plan (R4) and requirements (R11)
    Route("PUT", "/units/<unit>/work-plan", "units", "submit_work_plan", UNIT, 200,
          "The work plan: leader measures, problems, guarantee systems -> {plan_version}",
          S + "WorkPlanSchema", args=ON_UNIT),
    Route("PUT", "/units/<unit>/requirements", "units", "set_requirements", UNIT, 200,
          "Specific requirements for members' advanced nature (R11) {text, items}", S + "RequirementsSchema",
          args=ON_UNIT),
    # the mobilisation meeting and the phase gate (R5)
    Route("POST", "/units/<unit>/mobilization-meeting", "units", "schedule_meeting", UNIT, 201,
          "Schedule the mobilisation meeting {date}", S + "MeetingScheduleSchema", args=ON_UNIT),
    Route("POST", "/units/<unit>/mobilization-meeting/held", "units", "hold_meeting", UNIT, 201,
          "Mark the meeting held {date?}: phase 学习动员 starts", S + "MeetingHeldSchema", args=ON_UNIT),
    Route("POST", "/units/<unit>/transitions", "units", "apply_for_transition", UNIT, 201,
          "Apply to leave the current phase {summary} -> {transition_id}", S + "TransitionApplicationSchema",
          args=ON_UNIT),
    # rectification (R22) and public notification (R12, R23)
    Route("POST", "/units/<unit>/rectification-measures", "units", "add_rectification_measure", UNIT, 201,
          "A rectification measure or commitment {kind, description, owner_member_id, due} -> {measure_id}",
          S + "RectificationMeasureSchema", args=ON_UNIT),
    Route("POST", "/units/<unit>/rectification-measures/<measure>/completion", "units",
          "complete_rectification_measure", UNIT, 201, "Complete a measure {completed_on?, note}",
          S + "MeasureCompletionSchema", args={"unit": "unit_id", "measure": "measure_id"}),
    Route("POST", "/units/<unit>/notifications", "units", "notify_public", UNIT, 201,
          "Notify the public {scope: [people], date?, subject, content}: the survey's sampling frame",
          S + "NotificationSchema", args=ON_UNIT),
]
