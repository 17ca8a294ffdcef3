from services.gateway.routes import ALL_ROLES, READERS, Route
from services.gateway.routes.shapes import (
    BOOL,
    DATE,
    GIVEN_ID,
    ID,
    INT,
    OBJECT,
    STR,
    array,
    dict_of,
    document,
    nullable,
    record,
)

SCHEMAS = "services.evaluation.schemas:"
SURVEY = {"survey": "survey_id"}
UNIT = {"unit": "unit_id"}

# the read models' shapes (services/evaluation/projections.py): the fields always there
SURVEY_DOC = document(survey_id=ID, unit_id=ID, group_id=ID, survey_round=INT, status=STR,
                  opened_on=DATE, sample_size=INT, frame_size=INT, seed_hash=STR, ballots_cast=INT,
                  slips=record(issued=INT, used=INT, unused=INT))
DRAWN = record(survey_id=ID, unit_id=ID, seed=STR, public_entropy=nullable(STR), algorithm=STR,
               sample=array(STR, unique=True), ballots=array(record(person=STR, name=STR, token=STR)))
HISTORY = document(unit_id=GIVEN_ID, surveys=array(document(survey_id=ID, status=STR)),
                   analysis=document(opinions=array(OBJECT), talks=array(OBJECT),
                                     party_spirit_analyses=array(OBJECT),
                                     democratic_life_meetings=array(OBJECT)),
                   inspections=array(document(inspection_id=ID, result=STR, date=DATE)))

ROUTES = [
    # the satisfaction survey (R12)
    Route("POST", "/surveys", "evaluation", "open_survey", ("supervisor",), 201,
          "Open a satisfaction survey {unit_id, sample_size}: the frame (the unit's latest "
          "notified scope) is frozen and sha256 of a fresh seed committed",
          SCHEMAS + "OpenSurveySchema",
          result=record(survey_id=ID, unit_id=STR, seed_hash=STR, frame_size=INT, sample_size=INT,
                        algorithm=STR)),
    Route("POST", "/surveys/<survey>/draw", "evaluation", "draw_sample", ("supervisor",), 201,
          "Draw the sample {public_entropy?}: the seed is revealed and one single-use ballot token "
          "per sampled person is returned, only here", SCHEMAS + "DrawSurveySchema", args=SURVEY,
          result=DRAWN),
    Route("POST", "/surveys/<survey>/close", "evaluation", "close_survey", ("supervisor",), 200,
          "Close and tally (exact 2/3: exactly two thirds passes); a fail sends the unit to 补课; "
          "under the minimum turnout (default 2/3 of the sample) the survey is invalid "
          "(valid false, outcome SurveyInvalidated): neither passed nor failed, to be repeated",
          SCHEMAS + "CloseSurveySchema", args=SURVEY,
          result=record(survey_id=GIVEN_ID, unit_id=ID, passed=BOOL, valid=BOOL, outcome=STR,
                        invalid_reasons=array(STR), result=OBJECT)),
    Route("GET", "/surveys/<survey>", "evaluation", "get_survey", ALL_ROLES, 200,
          "A survey's public result: status, shares, confidence intervals, turnout, audit trail",
          args=SURVEY, public=True,
          result=SURVEY_DOC),
    Route("GET", "/surveys/<survey>/verification", "evaluation", "verify_survey", READERS, 200,
          "Re-run the survey's draw from the stored events alone and compare with the drawn sample; "
          "count the ballot slips: the issued token hashes, the spent ones (used <= issued, every "
          "spent slip issued, none counted twice)",
          args=SURVEY, public=True,
          result=document(survey_id=GIVEN_ID, ok=BOOL, checks=dict_of(BOOL),
                          slips=document(ok=BOOL, checks=dict_of(BOOL), issued=INT, used=INT,
                                         unused=INT, issued_hashes=array(STR),
                                         spent_hashes=array(STR)))),
    Route("POST", "/ballots", "evaluation", "cast_ballot", ("respondent",), 201,
          "Cast one ballot {token, ratings: {leadership, campaign}}, each "
          "satisfied|basically_satisfied|dissatisfied", SCHEMAS + "CastBallotSchema",
          result=record(survey_id=ID, recorded=BOOL)),
    # phase 2, 分析评议 (R22, R23)
    Route("POST", "/units/<unit>/analysis/opinions", "evaluation", "record_opinions", ("unit",), 201,
          "Opinions solicited {source: departments|townships|frequent_visitors, source_name, "
          "led_by_member_id, date, opinion_count, summary}", SCHEMAS + "RecordOpinionsSchema",
          args=UNIT,
          result=record(record_id=ID)),
    Route("POST", "/units/<unit>/analysis/talks", "evaluation", "record_talk", ("unit",), 201,
          "A heart-to-heart talk (谈心) {member_id, with_whom, date, notes}",
          SCHEMAS + "RecordTalkSchema", args=UNIT,
          result=record(talk_id=ID)),
    Route("POST", "/units/<unit>/analysis/party-spirit-analyses", "evaluation",
          "submit_party_spirit_analysis", ("unit",), 201,
          "A member's Party-spirit analysis (党性分析材料) {member_id, date, summary}; leaders first",
          SCHEMAS + "SubmitPartySpiritAnalysisSchema", args=UNIT,
          result=record(member_id=STR)),
    Route("POST", "/units/<unit>/analysis/democratic-life-meetings", "evaluation",
          "record_democratic_life_meeting", ("unit",), 201,
          "The leadership's special democratic life meeting {date, participant_member_ids, summary}",
          SCHEMAS + "RecordDemocraticLifeMeetingSchema", args=UNIT,
          result=record(meeting_id=ID)),
    Route("GET", "/units/<unit>/analysis/readiness", "evaluation", "readiness", READERS, 200,
          "Is phase 2 complete for the transition review? {ready, missing}", args=UNIT,
          result=document(unit_id=GIVEN_ID, ready=BOOL, missing=array(document(code=STR, message=STR)))),
    # acceptance inspection (R13) and the read models
    Route("POST", "/units/<unit>/acceptance-inspections", "evaluation",
          "record_acceptance_inspection", ("supervisor", "office"), 201,
          "Acceptance inspection (检查验收) after a passed survey {result: pass|fail, notes, date}",
          SCHEMAS + "RecordAcceptanceInspectionSchema", args=UNIT,
          result=record(inspection_id=ID, survey_id=nullable(ID))),
    Route("GET", "/units/<unit>/evaluation", "evaluation", "unit_history", READERS, 200,
          "A unit's evaluation history: every survey (failed and after 补课), phase-2 records, "
          "acceptance inspections", args=UNIT,
          result=HISTORY),
    Route("GET", "/evaluation/county", "evaluation", "county", READERS, 200,
          "The county's pass/fail table, by batch and name", public=True,
          result=array(document(unit_id=ID, status=STR, surveys_held=INT, failed_surveys=INT))),
]
