"""Marshmallow request schemas for the units routes of DESIGN.md's HTTP API contract
(plus the few routes users need beyond it: sections, study-group placement,
contact points, rectification measures). Unknown fields are refused.

Dates load as ISO strings ("2024-02-18"), the form the domain and the log use.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from shared.schema_fields import IsoDate, StrictSchema, unique

from .domain.membership import ORG_TYPES
from .domain.rectification import MEASURE_KINDS
from .domain.work_plan import GUARANTEE_SYSTEMS, LEADER_MEASURES, PROBLEM_CATEGORIES

NAME = validate.Length(min=1, max=200)
ID = validate.Length(min=1, max=100)
TEXT = validate.Length(min=1, max=10_000)




class RegisterUnitSchema(StrictSchema):
    """POST /units (office)."""
    name = fields.String(required=True, validate=NAME)
    org_type = fields.String(required=True, validate=validate.OneOf(ORG_TYPES))
    batch = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3))
    sections = fields.List(fields.String(validate=ID), load_default=list, validate=unique)


class AddSectionSchema(StrictSchema):
    """POST /units/{unit}/sections."""
    section = fields.String(required=True, validate=ID)


class EnrolMemberSchema(StrictSchema):
    """POST /units/{unit}/members."""
    name = fields.String(required=True, validate=NAME)
    section = fields.String(required=True, allow_none=True, validate=ID)
    is_leader = fields.Boolean(load_default=False)
    is_retired = fields.Boolean(load_default=False)

    @validates_schema
    def _serving_members_have_a_section(self, data, **kwargs):
        if data.get("section") is None and not data.get("is_retired"):
            raise ValidationError("a serving member belongs to a section", "section")


class StudyGroupSchema(StrictSchema):
    """POST /units/{unit}/study-groups."""
    section = fields.String(required=True, validate=ID)
    leader_member_id = fields.String(required=True, validate=ID)
    member_ids = fields.List(fields.String(validate=ID), load_default=list, validate=unique)


class PlaceMemberSchema(StrictSchema):
    """POST /units/{unit}/study-groups/{group}/members."""
    member_id = fields.String(required=True, validate=ID)


class ContactPointsSchema(StrictSchema):
    """PUT /units/{unit}/members/{member}/contact-points (R21)."""
    sections = fields.List(fields.String(validate=ID), required=True,
                           validate=[validate.Length(min=1), unique])


class ProblemSchema(StrictSchema):
    category = fields.String(required=True, validate=validate.OneOf(list(PROBLEM_CATEGORIES)))
    description = fields.String(required=True, validate=TEXT)
    measures = fields.List(fields.String(validate=TEXT), load_default=list)


class WorkPlanSchema(StrictSchema):
    """PUT /units/{unit}/work-plan: 一看 leader measures, 二看 problems, 三看 guarantee systems."""
    leader_measures = fields.List(fields.String(validate=validate.OneOf(list(LEADER_MEASURES))),
                                  required=True, validate=unique)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)
    guarantee_systems = fields.List(fields.String(validate=validate.OneOf(list(GUARANTEE_SYSTEMS))),
                                    required=True, validate=unique)
    speech_draft = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100_000))


class RequirementsSchema(StrictSchema):
    """PUT /units/{unit}/requirements (R11)."""
    text = fields.String(required=True, validate=TEXT)
    items = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), load_default=list)


class MeetingScheduleSchema(StrictSchema):
    """POST /units/{unit}/mobilization-meeting."""
    date = IsoDate(required=True)


class MeetingHeldSchema(StrictSchema):
    """POST /units/{unit}/mobilization-meeting/held (the date defaults to the scheduled one)."""
    date = IsoDate(load_default=None, allow_none=True)


class TransitionApplicationSchema(StrictSchema):
    """POST /units/{unit}/transitions."""
    summary = fields.String(required=True, validate=TEXT)


class NotificationSchema(StrictSchema):
    """POST /units/{unit}/notifications (R12/R23): the scope is the survey's sampling frame."""
    scope = fields.List(fields.String(validate=NAME), required=True,
                        validate=[validate.Length(min=1, max=10_000), unique])
    date = IsoDate(load_default=None, allow_none=True)  # defaults to today at the entrypoint
    subject = fields.String(load_default="", validate=validate.Length(max=200))
    content = fields.String(load_default="", validate=validate.Length(max=10_000))


class RectificationMeasureSchema(StrictSchema):
    """POST /units/{unit}/rectification-measures (R22 phase 3)."""
    kind = fields.String(load_default="measure", validate=validate.OneOf(MEASURE_KINDS))
    description = fields.String(required=True, validate=TEXT)
    owner_member_id = fields.String(required=True, validate=ID)
    due = IsoDate(required=True)


class MeasureCompletionSchema(StrictSchema):
    """POST /units/{unit}/rectification-measures/{measure}/completion."""
    completed_on = IsoDate(load_default=None, allow_none=True)  # defaults to today
    note = fields.String(load_default="", validate=validate.Length(max=10_000))
