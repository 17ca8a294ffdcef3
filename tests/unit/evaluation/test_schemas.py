"""Request schemas: required fields, enums, ranges, unknown fields refused; within the
edge, ``@post_load`` builds the command."""
import re

import pytest
from marshmallow import ValidationError

from services.evaluation import domain as D
from services.evaluation.schemas import (
    CastBallotSchema,
    CloseSurveySchema,
    DrawSurveySchema,
    OpenSurveySchema,
    RecordAcceptanceInspectionSchema,
    RecordDemocraticLifeMeetingSchema,
    RecordOpinionsSchema,
    RecordTalkSchema,
    SubmitPartySpiritAnalysisSchema,
    SurveyQuery,
    UnitQuery,
)
from shared.edge import load
from tests.unit.evaluation.helpers import OFFICE, SUPERVISOR, UNIT_ACTOR

TOKEN = "t" * 32
S1, U1 = {"survey_id": "s-1"}, {"unit_id": "u1"}
GOOD = [
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 20}),
    (DrawSurveySchema, {**S1}),
    (DrawSurveySchema, {**S1, "public_entropy": "骰子 3-1-6"}),
    (CloseSurveySchema, {**S1}),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "basically_satisfied",
                                                    "campaign": "dissatisfied"}}),
    (RecordOpinionsSchema, {**U1, "source": "frequent_visitors", "led_by_member_id": "L1",
                            "date": "2005-03-10", "opinion_count": 5}),
    (RecordTalkSchema, {**U1, "member_id": "L1", "with_whom": "M1", "date": "2005-03-10"}),
    (SubmitPartySpiritAnalysisSchema, {**U1, "member_id": "L1", "date": "2005-03-10",
                                       "summary": "材料"}),
    (RecordDemocraticLifeMeetingSchema, {**U1, "date": "2005-03-20",
                                         "participant_member_ids": ["L1", "L2"]}),
    (RecordAcceptanceInspectionSchema, {**U1, "result": "pass", "date": "2005-06-25",
                                        "notes": "合格"}),
    (SurveyQuery, {**S1}),
    (UnitQuery, {**U1}),
]


@pytest.mark.parametrize("schema, body", GOOD)
def test_valid_bodies_load(schema, body):
    loaded = schema().load(body)
    assert set(body) <= set(loaded)


def test_loaded_values():
    assert DrawSurveySchema().load(S1) == {"survey_id": "s-1", "public_entropy": ""}
    assert RecordOpinionsSchema().load(GOOD[5][1])["date"] == "2005-03-10"
    assert CastBallotSchema().load(GOOD[4][1])["ratings"] == {"leadership": "basically_satisfied",
                                                              "campaign": "dissatisfied"}


@pytest.mark.parametrize("schema, body, field", [
    (OpenSurveySchema, {"unit_id": "u1"}, "sample_size"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 0}, "sample_size"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": "20"}, "sample_size"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 5, "seed": "abc"}, "seed"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 5, "frame": ["x"]}, "frame"),
    (DrawSurveySchema, {**S1, "seed": "abc"}, "seed"),
    (DrawSurveySchema, {**S1, "public_entropy": "x" * 201}, "public_entropy"),
    (DrawSurveySchema, {}, "survey_id"),
    (CloseSurveySchema, {**S1, "passed": True}, "passed"),
    (CloseSurveySchema, {}, "survey_id"),
    (SurveyQuery, {}, "survey_id"),
    (UnitQuery, {**U1, "status": "x"}, "status"),
    (RecordTalkSchema, {"member_id": "L1", "with_whom": "M1", "date": "2005-03-10"}, "unit_id"),
    (CastBallotSchema, {"token": TOKEN}, "ratings"),
    (CastBallotSchema, {"ratings": {"leadership": "satisfied", "campaign": "satisfied"}}, "token"),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "satisfied"}}, "ratings"),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "满意", "campaign": "satisfied"}},
     "ratings"),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "satisfied", "campaign": "satisfied",
                                                    "name": "张三"}}, "ratings"),
    (CastBallotSchema, {"token": TOKEN, "voter": "张三",
                        "ratings": {"leadership": "satisfied", "campaign": "satisfied"}}, "voter"),
    (RecordOpinionsSchema, {**U1, "source": "newspapers", "led_by_member_id": "L1", "date": "2005-03-10",
                            "opinion_count": 5}, "source"),
    (RecordOpinionsSchema, {**U1, "source": "townships", "led_by_member_id": "L1", "date": "10/03/2005",
                            "opinion_count": 5}, "date"),
    (RecordTalkSchema, {**U1, "member_id": "L1", "date": "2005-03-10"}, "with_whom"),
    (SubmitPartySpiritAnalysisSchema, {**U1, "member_id": "L1", "date": "2005-03-10", "summary": ""}, "summary"),
    (RecordDemocraticLifeMeetingSchema, {**U1, "date": "2005-03-20", "participant_member_ids": []},
     "participant_member_ids"),
    (RecordDemocraticLifeMeetingSchema, {**U1, "date": "2005-03-20",
                                         "participant_member_ids": ["L1", "L1"]},
     "participant_member_ids"),
    (RecordAcceptanceInspectionSchema, {**U1, "result": "ok", "date": "2005-06-25"}, "result"),
])
def test_invalid_bodies_refused(schema, body, field):
    with pytest.raises(ValidationError) as info:
        schema().load(body)
    assert field in info.value.messages


# ---------------------------------------------------------------- the edge builds the command

NEW_ID = re.compile(r"^(s|op|talk|dlm|ai)-[0-9a-f]{12}$")


def test_open_survey_builds_the_command_with_a_new_id_the_group_and_today():
    command = load(OpenSurveySchema, {"unit_id": "u1", "sample_size": 5}, SUPERVISOR)
    assert isinstance(command, D.OpenSurvey)
    assert NEW_ID.match(command.survey_id) and command.survey_id.startswith("s-")
    assert (command.unit_id, command.group_id, command.sample_size) == ("u1", "g1", 5)
    assert command.actor == SUPERVISOR and re.match(r"^\d{4}-\d{2}-\d{2}$", command.today)
    assert command.seed == "" and command.unit is None  # the handler adds both


@pytest.mark.parametrize("schema, body, command, id_field", [
    (RecordOpinionsSchema, GOOD[5][1], D.RecordOpinionsSolicited, "record_id"),
    (RecordTalkSchema, GOOD[6][1], D.RecordHeartToHeartTalk, "talk_id"),
    (SubmitPartySpiritAnalysisSchema, GOOD[7][1], D.SubmitPartySpiritAnalysis, None),
    (RecordDemocraticLifeMeetingSchema, GOOD[8][1], D.RecordDemocraticLifeMeeting, "meeting_id"),
    (RecordAcceptanceInspectionSchema, GOOD[9][1], D.RecordAcceptanceInspection, "inspection_id"),
])
def test_phase_two_and_inspection_schemas_build_their_commands(schema, body, command, id_field):
    actor = OFFICE if command is D.RecordAcceptanceInspection else UNIT_ACTOR
    built = load(schema, body, actor)
    assert type(built) is command and built.actor == actor and built.unit_id == "u1"
    assert built.unit is None  # the unit's facts come from the handler
    if id_field:
        assert NEW_ID.match(getattr(built, id_field))
    assert D.stream_of(built) in ("analysis-u1", "surveys-u1")


def test_democratic_life_meeting_participants_become_a_tuple():
    built = load(RecordDemocraticLifeMeetingSchema, GOOD[8][1], UNIT_ACTOR)
    assert built.participant_member_ids == ("L1", "L2")


def test_draw_close_and_ballot_load_to_requests():
    assert load(CloseSurveySchema, S1, SUPERVISOR) == {"survey_id": "s-1"}
    assert load(CastBallotSchema, GOOD[4][1], SUPERVISOR)["token"] == TOKEN
