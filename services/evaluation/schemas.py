"""The evaluation service's RPC requests: one marshmallow schema per entrypoint, the
fields named as the RPC takes them (``unit_id``, ``survey_id``...; the gateway fills
them from the path, ``services/gateway/routes/evaluation.py``). Unknown fields are
refused; dates load as ISO strings ("2005-03-10").

A ``CommandSchema``'s ``@post_load`` builds the command dataclass with the actor, new
ids and today from the edge; the handler adds what only the service knows (the unit's
facts from its projections, the sealed seed). The draw, the close and the ballot load
to dicts: their command's unit, seed and survey come from the survey's sealed-seed
record, which the handler reads first.

  POST /surveys                                           OpenSurveySchema       open_survey
  POST /surveys/{survey}/draw                             DrawSurveySchema       draw_sample
  POST /surveys/{survey}/close                            CloseSurveySchema      close_survey
  POST /ballots                                           CastBallotSchema       cast_ballot
  POST /units/{unit}/analysis/opinions                    RecordOpinionsSchema   record_opinions
  POST /units/{unit}/analysis/talks                       RecordTalkSchema       record_talk
  POST /units/{unit}/analysis/party-spirit-analyses       SubmitPartySpiritAnalysisSchema
  POST /units/{unit}/analysis/democratic-life-meetings    RecordDemocraticLifeMeetingSchema
  POST /units/{unit}/acceptance-inspections (R13)         RecordAcceptanceInspectionSchema
  GET  /surveys/{survey}, …/verification                  SurveyQuery
  GET  /units/{unit}/analysis/readiness, …/evaluation     UnitQuery
  GET  /evaluation/county                                 (no fields)
"""
from __future__ import annotations

from marshmallow import fields, validate

from services.evaluation import domain as D
from services.evaluation.domain.analysis import OPINION_SOURCES
from services.evaluation.domain.survey import INSPECTION_RESULTS
from services.evaluation.domain.tally import RATINGS
from shared.edge import CommandSchema
from shared.schema_fields import IsoDate, StrictSchema, unique

ID = validate.Length(min=1, max=100)
NAME = validate.Length(min=1, max=200)
TEXT = validate.Length(min=1, max=20_000)
NOTES = validate.Length(max=20_000)
MAX_SAMPLE = 10_000


def path_id():
    """An identifier the gateway takes from the path (not validated beyond presence,
    as the path never was)."""
    return fields.String(required=True)


# ---------------------------------------------------------------- queries

class SurveyQuery(StrictSchema):
    survey_id = path_id()


class UnitQuery(StrictSchema):
    unit_id = path_id()


# ---------------------------------------------------------------- survey (R12)

class OpenSurveySchema(CommandSchema):
    """POST /surveys (supervisor): the frame is the unit's latest notified scope."""
    unit_id = fields.String(required=True, validate=ID)
    sample_size = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=1, max=MAX_SAMPLE))

    def make(self, data, edge):
        # the acting supervisor's group; the handler checks it is the unit's
        return D.OpenSurvey(survey_id=edge.new_id("s"), group_id=edge.actor.scope,
                            today=edge.today(), actor=edge.actor, **data)


class DrawSurveySchema(StrictSchema):
    """POST /surveys/{id}/draw (supervisor): optional public entropy mixed into the draw
    (e.g. dice rolled at the meeting), unknown to whoever generated the committed seed."""
    survey_id = path_id()
    public_entropy = fields.String(load_default="", validate=validate.Length(max=200))


class CloseSurveySchema(StrictSchema):
    """POST /surveys/{id}/close (supervisor): no body fields."""
    survey_id = path_id()


class RatingsSchema(StrictSchema):
    """满意 / 基本满意 / 不满意 for the leadership team and for the campaign overall."""
    leadership = fields.String(required=True, validate=validate.OneOf(RATINGS))
    campaign = fields.String(required=True, validate=validate.OneOf(RATINGS))


class CastBallotSchema(StrictSchema):
    """POST /ballots (respondent): one single-use token, two ratings, no identity."""
    token = fields.String(required=True, validate=validate.Length(min=16, max=200))
    ratings = fields.Nested(RatingsSchema, required=True)


class SlipQuery(StrictSchema):
    """The ballot page (dashboard, no login): what a slip's token can still do."""
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


# ---------------------------------------------------------------- phase 2 records (R22, R23)

class RecordOpinionsSchema(CommandSchema):
    unit_id = path_id()
    source = fields.String(required=True, validate=validate.OneOf(list(OPINION_SOURCES)))
    source_name = fields.String(load_default="", validate=validate.Length(max=200))
    led_by_member_id = fields.String(required=True, validate=ID)
    date = IsoDate(required=True)
    opinion_count = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=0, max=100_000))
    summary = fields.String(load_default="", validate=NOTES)

    def make(self, data, edge):
        return D.RecordOpinionsSolicited(record_id=edge.new_id("op"), actor=edge.actor, **data)


class RecordTalkSchema(CommandSchema):
    unit_id = path_id()
    member_id = fields.String(required=True, validate=ID)
    with_whom = fields.String(required=True, validate=NAME)
    date = IsoDate(required=True)
    notes = fields.String(load_default="", validate=NOTES)

    def make(self, data, edge):
        return D.RecordHeartToHeartTalk(talk_id=edge.new_id("talk"), actor=edge.actor, **data)


class SubmitPartySpiritAnalysisSchema(CommandSchema):
    command = D.SubmitPartySpiritAnalysis
    unit_id = path_id()
    member_id = fields.String(required=True, validate=ID)
    date = IsoDate(required=True)
    summary = fields.String(required=True, validate=TEXT)
    # R19: work since the 16th Party Congress (the default); thinking may reach further back
    work_since = IsoDate()
    thinking_since = IsoDate()


class RecordDemocraticLifeMeetingSchema(CommandSchema):
    unit_id = path_id()
    date = IsoDate(required=True)
    participant_member_ids = fields.List(fields.String(validate=ID), required=True,
                                         validate=[validate.Length(min=1, max=100), unique])
    summary = fields.String(load_default="", validate=NOTES)

    def make(self, data, edge):
        return D.RecordDemocraticLifeMeeting(
            meeting_id=edge.new_id("dlm"), actor=edge.actor,
            **{**data, "participant_member_ids": tuple(data["participant_member_ids"])})


# ---------------------------------------------------------------- acceptance inspection (R13)

class RecordAcceptanceInspectionSchema(CommandSchema):
    """POST /units/{unit}/acceptance-inspections (supervisor of the unit's group, or the
    office): 检查验收 after a passed survey."""
    unit_id = path_id()
    result = fields.String(required=True, validate=validate.OneOf(INSPECTION_RESULTS))
    notes = fields.String(load_default="", validate=NOTES)
    date = IsoDate(required=True)

    def make(self, data, edge):
        # group_id and the unit's facts are the unit's own, filled in by the handler
        return D.RecordAcceptanceInspection(inspection_id=edge.new_id("ai"), group_id=None,
                                            actor=edge.actor, **data)
