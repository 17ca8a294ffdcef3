"""Marshmallow request schemas for the study routes of the HTTP contract.

The study-plan schema checks types and sizes only: whether all four of
人员/时间/内容/效果 are fixed is the domain's rule (R9), so that a client gets the
missing items named the same way however the plan reached the service."""
from __future__ import annotations

import datetime as dt

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .domain.catalog import FORMS, REQUIRED_CONTENT

ID = validate.Length(min=1, max=100)
TEXT = validate.Length(max=2000)
# The domain enforces the configurable per-session bound; this is only a sanity cap.
HOURS = validate.Range(min=0, max=24, min_inclusive=False)


def iso_date(value: str) -> None:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("must be an ISO date YYYY-MM-DD") from None


class Strict(Schema):
    class Meta:
        unknown = RAISE


class LocalDocumentSchema(Strict):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=300))
    reference = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class PlanPersonnelSchema(Strict):
    scope = fields.Str(validate=TEXT)
    study_group_ids = fields.List(fields.Str(validate=ID), validate=validate.Length(max=200))


class PlanTimeSchema(Strict):
    self_study_from = fields.Str(validate=iso_date, allow_none=True)
    self_study_until = fields.Str(validate=iso_date, allow_none=True)
    centralised_from = fields.Str(validate=iso_date)
    centralised_until = fields.Str(validate=iso_date)
    planned_hours = fields.Float(validate=validate.Range(min=0, max=1000, min_inclusive=False))


class PlanContentSchema(Strict):
    required = fields.List(fields.Str(validate=validate.OneOf(list(REQUIRED_CONTENT))))
    local_documents = fields.List(fields.Nested(LocalDocumentSchema),
                                  validate=validate.Length(max=100))


class PlanEffectSchema(Strict):
    goals = fields.List(fields.Str(validate=TEXT), validate=validate.Length(max=50))
    assessment = fields.Str(validate=TEXT, allow_none=True)


class StudyPlanSchema(Strict):
    """PUT /units/{unit}/study-plan"""
    personnel = fields.Nested(PlanPersonnelSchema, allow_none=True)
    time = fields.Nested(PlanTimeSchema, allow_none=True)
    content = fields.Nested(PlanContentSchema, allow_none=True)
    effect = fields.Nested(PlanEffectSchema, allow_none=True)


class StudySessionSchema(Strict):
    """POST /study-sessions"""
    unit_id = fields.Str(required=True, validate=ID)
    form = fields.Str(required=True, validate=validate.OneOf(list(FORMS)))
    date = fields.Str(required=True, validate=iso_date)
    hours = fields.Float(required=True, validate=HOURS)
    content_keys = fields.List(fields.Str(validate=validate.OneOf(list(REQUIRED_CONTENT))),
                               load_default=list)
    local_document = fields.Nested(LocalDocumentSchema, allow_none=True, load_default=None)
    study_group_id = fields.Str(validate=ID, allow_none=True, load_default=None)
    title = fields.Str(validate=validate.Length(max=300), allow_none=True, load_default=None)


class AttendanceSchema(Strict):
    """POST /study-sessions/{id}/attendance"""
    member_ids = fields.List(fields.Str(validate=ID), required=True,
                             validate=validate.Length(min=1, max=1000))


class ExemptionSchema(Strict):
    """POST /units/{unit}/study-exemptions (beyond the contract table: R7's recorded
    exemption needs a route)."""
    member_id = fields.Str(required=True, validate=ID)
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=1000))


class ExemptionRevocationSchema(Strict):
    """DELETE /units/{unit}/study-exemptions/{member} body."""
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=1000))
