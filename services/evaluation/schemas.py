"""Marshmallow request schemas for the evaluation routes of DESIGN.md's HTTP API contract
(``POST /surveys``, ``…/draw``, ``…/close``, ``POST /ballots``) and the routes users need
beside them: the phase-2 (分析评议) records and the acceptance inspection (R13).
Unknown fields are refused; dates load as ISO strings ("2005-03-10").

Suggested routes for the extra schemas:
  POST /units/{unit}/analysis/opinions                  RecordOpinionsSchema
  POST /units/{unit}/analysis/talks                     RecordTalkSchema
  POST /units/{unit}/analysis/party-spirit-analyses     SubmitPartySpiritAnalysisSchema
  POST /units/{unit}/analysis/democratic-life-meetings  RecordDemocraticLifeMeetingSchema
  GET  /units/{unit}/analysis/readiness                 (no body)
  POST /units/{unit}/acceptance-inspections             RecordAcceptanceInspectionSchema
"""
from __future__ import annotations

from marshmallow import fields, validate

from shared.schema_fields import IsoDate, StrictSchema, unique

from services.evaluation.domain.analysis import OPINION_SOURCES
from services.evaluation.domain.survey import INSPECTION_RESULTS
from services.evaluation.domain.tally import RATINGS

ID = validate.Length(min=1, max=100)
NAME = validate.Length(min=1, max=200)
TEXT = validate.Length(min=1, max=20_000)
NOTES = validate.Length(max=20_000)
MAX_SAMPLE = 10_000




# ---------------------------------------------------------------- survey (R12)

class OpenSurveySchema(StrictSchema):
    """POST /surveys (supervisor): the frame is the unit's latest notified scope."""
    unit_id = fields.String(required=True, validate=ID)
    sample_size = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=1, max=MAX_SAMPLE))


class DrawSurveySchema(StrictSchema):
    """POST /surveys/{id}/draw (supervisor): optional public entropy mixed into the draw
    (e.g. dice rolled at the meeting), unknown to whoever generated the committed seed."""
    public_entropy = fields.String(load_default="", validate=validate.Length(max=200))


class CloseSurveySchema(StrictSchema):
    """POST /surveys/{id}/close (supervisor): no body fields."""


class RatingsSchema(StrictSchema):
    """满意 / 基本满意 / 不满意 for the leadership team and for the campaign overall."""
    leadership = fields.String(required=True, validate=validate.OneOf(RATINGS))
    campaign = fields.String(required=True, validate=validate.OneOf(RATINGS))


class CastBallotSchema(StrictSchema):
    """POST /ballots (respondent): one single-use token, two ratings, no identity."""
    token = fields.String(required=True, validate=validate.Length(min=16, max=200))
    ratings = fields.Nested(RatingsSchema, required=True)


# ---------------------------------------------------------------- phase 2 records (R22, R23)

class RecordOpinionsSchema(StrictSchema):
    source = fields.String(required=True, validate=validate.OneOf(list(OPINION_SOURCES)))
    source_name = fields.String(load_default="", validate=validate.Length(max=200))
    led_by_member_id = fields.String(required=True, validate=ID)
    date = IsoDate(required=True)
    opinion_count = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=0, max=100_000))
    summary = fields.String(load_default="", validate=NOTES)


class RecordTalkSchema(StrictSchema):
    member_id = fields.String(required=True, validate=ID)
    with_whom = fields.String(required=True, validate=NAME)
    date = IsoDate(required=True)
    notes = fields.String(load_default="", validate=NOTES)


class SubmitPartySpiritAnalysisSchema(StrictSchema):
    member_id = fields.String(required=True, validate=ID)
    date = IsoDate(required=True)
    summary = fields.String(required=True, validate=TEXT)


class RecordDemocraticLifeMeetingSchema(StrictSchema):
    date = IsoDate(required=True)
    participant_member_ids = fields.List(fields.String(validate=ID), required=True,
                                         validate=[validate.Length(min=1, max=100), unique])
    summary = fields.String(load_default="", validate=NOTES)


# ---------------------------------------------------------------- acceptance inspection (R13)

class RecordAcceptanceInspectionSchema(StrictSchema):
    result = fields.String(required=True, validate=validate.OneOf(INSPECTION_RESULTS))
    notes = fields.String(load_default="", validate=NOTES)
    date = IsoDate(required=True)
