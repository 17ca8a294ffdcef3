"""Request schemas: required fields, enums, ranges, unknown fields refused."""
import pytest
from marshmallow import ValidationError

from services.evaluation.schemas import (CastBallotSchema, CloseSurveySchema, DrawSurveySchema,
                                         OpenSurveySchema, RecordAcceptanceInspectionSchema,
                                         RecordDemocraticLifeMeetingSchema, RecordOpinionsSchema,
                                         RecordTalkSchema, SubmitPartySpiritAnalysisSchema)

TOKEN = "t" * 32
GOOD = [
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 20}),
    (DrawSurveySchema, {}),
    (DrawSurveySchema, {"public_entropy": "骰子 3-1-6"}),
    (CloseSurveySchema, {}),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "basically_satisfied",
                                                    "campaign": "dissatisfied"}}),
    (RecordOpinionsSchema, {"source": "frequent_visitors", "led_by_member_id": "L1",
                            "date": "2005-03-10", "opinion_count": 5}),
    (RecordTalkSchema, {"member_id": "L1", "with_whom": "M1", "date": "2005-03-10"}),
    (SubmitPartySpiritAnalysisSchema, {"member_id": "L1", "date": "2005-03-10", "summary": "材料"}),
    (RecordDemocraticLifeMeetingSchema, {"date": "2005-03-20", "participant_member_ids": ["L1", "L2"]}),
    (RecordAcceptanceInspectionSchema, {"result": "pass", "date": "2005-06-25", "notes": "合格"}),
]


@pytest.mark.parametrize("schema, body", GOOD)
def test_valid_bodies_load(schema, body):
    loaded = schema().load(body)
    assert set(body) <= set(loaded)


def test_loaded_values():
    assert DrawSurveySchema().load({}) == {"public_entropy": ""}
    assert RecordOpinionsSchema().load(GOOD[5][1])["date"] == "2005-03-10"
    assert CastBallotSchema().load(GOOD[4][1])["ratings"] == {"leadership": "basically_satisfied",
                                                              "campaign": "dissatisfied"}


@pytest.mark.parametrize("schema, body, field", [
    (OpenSurveySchema, {"unit_id": "u1"}, "sample_size"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 0}, "sample_size"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": "20"}, "sample_size"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 5, "seed": "abc"}, "seed"),
    (OpenSurveySchema, {"unit_id": "u1", "sample_size": 5, "frame": ["x"]}, "frame"),
    (DrawSurveySchema, {"seed": "abc"}, "seed"),
    (DrawSurveySchema, {"public_entropy": "x" * 201}, "public_entropy"),
    (CloseSurveySchema, {"passed": True}, "passed"),
    (CastBallotSchema, {"token": TOKEN}, "ratings"),
    (CastBallotSchema, {"ratings": {"leadership": "satisfied", "campaign": "satisfied"}}, "token"),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "satisfied"}}, "ratings"),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "满意", "campaign": "satisfied"}},
     "ratings"),
    (CastBallotSchema, {"token": TOKEN, "ratings": {"leadership": "satisfied", "campaign": "satisfied",
                                                    "name": "张三"}}, "ratings"),
    (CastBallotSchema, {"token": TOKEN, "voter": "张三",
                        "ratings": {"leadership": "satisfied", "campaign": "satisfied"}}, "voter"),
    (RecordOpinionsSchema, {"source": "newspapers", "led_by_member_id": "L1", "date": "2005-03-10",
                            "opinion_count": 5}, "source"),
    (RecordOpinionsSchema, {"source": "townships", "led_by_member_id": "L1", "date": "10/03/2005",
                            "opinion_count": 5}, "date"),
    (RecordTalkSchema, {"member_id": "L1", "date": "2005-03-10"}, "with_whom"),
    (SubmitPartySpiritAnalysisSchema, {"member_id": "L1", "date": "2005-03-10", "summary": ""}, "summary"),
    (RecordDemocraticLifeMeetingSchema, {"date": "2005-03-20", "participant_member_ids": []},
     "participant_member_ids"),
    (RecordDemocraticLifeMeetingSchema, {"date": "2005-03-20", "participant_member_ids": ["L1", "L1"]},
     "participant_member_ids"),
    (RecordAcceptanceInspectionSchema, {"result": "ok", "date": "2005-06-25"}, "result"),
])
def test_invalid_bodies_refused(schema, body, field):
    with pytest.raises(ValidationError) as info:
        schema().load(body)
    assert field in info.value.messages
