from services.gateway.routes import ALL_ROLES, READERS, Route

SCHEMAS = "services.evaluation.schemas:"
SURVEY = {"survey": "survey_id"}
UNIT = {"unit": "unit_id"}

ROUTES = [
    # the satisfaction survey (R12)
    Route("POST", "/surveys", "evaluation", "open_survey", ("supervisor",), 201,
          "Open a satisfaction survey {unit_id, sample_size}: the frame (the unit's latest "
          "notified scope) is frozen and sha256 of a fresh seed committed",
          SCHEMAS + "OpenSurveySchema"),
    Route("POST", "/surveys/<survey>/draw", "evaluation", "draw_sample", ("supervisor",), 201,
          "Draw the sample {public_entropy?}: the seed is revealed and one single-use ballot token "
          "per sampled person is returned, only here", SCHEMAS + "DrawSurveySchema", args=SURVEY),
    Route("POST", "/surveys/<survey>/close", "evaluation", "close_survey", ("supervisor",), 200,
          "Close and tally (exact 2/3: exactly two thirds passes); a fail sends the unit to 补课",
          SCHEMAS + "CloseSurveySchema", args=SURVEY),
    Route("GET", "/surveys/<survey>", "evaluation", "get_survey", ALL_ROLES, 200,
          "A survey's public result: status, shares, confidence intervals, turnout, audit trail",
          args=SURVEY),
    Route("GET", "/surveys/<survey>/verification", "evaluation", "verify_survey", READERS, 200,
          "Re-run the survey's draw from the stored events alone and compare with the drawn sample",
          args=SURVEY),
    Route("POST", "/ballots", "evaluation", "cast_ballot", ("respondent",), 201,
          "Cast one ballot {token, ratings: {leadership, campaign}}, each "
          "satisfied|basically_satisfied|dissatisfied", SCHEMAS + "CastBallotSchema"),
    # phase 2, 分析评议 (R22, R23)
    Route("POST", "/units/<unit>/analysis/opinions", "evaluation", "record_opinions", ("unit",), 201,
          "Opinions solicited {source: departments|townships|frequent_visitors, source_name, "
          "led_by_member_id, date, opinion_count, summary}", SCHEMAS + "RecordOpinionsSchema",
          args=UNIT),
    Route("POST", "/units/<unit>/analysis/talks", "evaluation", "record_talk", ("unit",), 201,
          "A heart-to-heart talk (谈心) {member_id, with_whom, date, notes}",
          SCHEMAS + "RecordTalkSchema", args=UNIT),
    Route("POST", "/units/<unit>/analysis/party-spirit-analyses", "evaluation",
          "submit_party_spirit_analysis", ("unit",), 201,
          "A member's Party-spirit analysis (党性分析材料) {member_id, date, summary}; leaders first",
          SCHEMAS + "SubmitPartySpiritAnalysisSchema", args=UNIT),
    Route("POST", "/units/<unit>/analysis/democratic-life-meetings", "evaluation",
          "record_democratic_life_meeting", ("unit",), 201,
          "The leadership's special democratic life meeting {date, participant_member_ids, summary}",
          SCHEMAS + "RecordDemocraticLifeMeetingSchema", args=UNIT),
    Route("GET", "/units/<unit>/analysis/readiness", "evaluation", "readiness", READERS, 200,
          "Is phase 2 complete for the transition review? {ready, missing}", args=UNIT),
    # acceptance inspection (R13) and the read models
    Route("POST", "/units/<unit>/acceptance-inspections", "evaluation",
          "record_acceptance_inspection", ("supervisor", "office"), 201,
          "Acceptance inspection (检查验收) after a passed survey {result: pass|fail, notes, date}",
          SCHEMAS + "RecordAcceptanceInspectionSchema", args=UNIT),
    Route("GET", "/units/<unit>/evaluation", "evaluation", "unit_history", READERS, 200,
          "A unit's evaluation history: every survey (failed and after 补课), phase-2 records, "
          "acceptance inspections", args=UNIT),
    Route("GET", "/evaluation/county", "evaluation", "county", READERS, 200,
          "The county's pass/fail table, by batch and name"),
]
