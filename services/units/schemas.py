"""Marshmallow request schemas for the units routes of DESIGN.md's HTTP API contract
(plus the few routes users need beyond it: sections, study-group placement,
contact points, rectification measures). Unknown fields are refused.

Dates load as ISO strings ("2024-02-18"), the form the domain and the log use.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .domain.membership import ORG_TYPES
from .domain.rectification import MEASURE_KINDS
from .domain.work_plan import GUARANTEE_SYSTEMS, LEADER_MEASURES, PROBLEM_CATEGORIES

NAME = validate.Length(min=1, max=200)
ID = validate.Length(min=1, max=100)
TEXT = validate.Length(min=1, max=10_000)


class IsoDate(fields.Date):
    """A date field that loads to its ISO string rather than a ``datetime.date``."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


def _unique(values):
    if len(set(values)) != len(values):
        raise ValidationError("values must not repeat")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class RegisterUnitSchema(_Strict):
    """POST /units (office)."""
    name = fields.String(required=True, validate=NAME)
    org_type = fields.String(required=True, validate=validate.OneOf(ORG_TYPES))
    batch = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3))
    sections = fields.List(fields.String(validate=ID), load_default=list, validate=_unique)


class AddSectionSchema(_Strict):
    """POST /units/{unit}/sections."""
    section = fields.String(required=True, validate=ID)


class EnrolMemberSchema(_Strict):
    """POST /units/{unit}/members."""
    name = fields.String(required=True, validate=NAME)
    section = fields.String(required=True, allow_none=True, validate=ID)
    is_leader = fields.Boolean(load_default=False)
    is_retired = fields.Boolean(load_default=False)

    @validates_schema
    def _serving_members_have_a_section(self, data, **kwargs):
        if data.get("section") is None and not data.get("is_retired"):
            raise ValidationError("a serving member belongs to a section", "section")


class StudyGroupSchema(_Strict):
    """POST /units/{unit}/study-groups."""
    section = fields.String(required=True, validate=ID)
    leader_member_id = fields.String(required=True, validate=ID)
    member_ids = fields.List(fields.String(validate=ID), load_default=list, validate=_unique)


class PlaceMemberSchema(_Strict):
    """POST /units/{unit}/study-groups/{group}/members."""
    member_id = fields.String(required=True, validate=ID)


class ContactPointsSchema(_Strict):
    """PUT /units/{unit}/members/{member}/contact-points (R21)."""
    sections = fields.List(fields.String(validate=ID), required=True,
                           validate=[validate.Length(min=1), _unique])


class ProblemSchema(_Strict):
    category = fields.String(required=True, validate=validate.OneOf(list(PROBLEM_CATEGORIES)))
    description = fields.String(required=True, validate=TEXT)
    measures = fields.List(fields.String(validate=TEXT), load_default=list)


class WorkPlanSchema(_Strict):
    """PUT /units/{unit}/work-plan: 一看 leader measures, 二看 problems, 三看 guarantee systems."""
    leader_measures = fields.List(fields.String(validate=validate.OneOf(list(LEADER_MEASURES))),
                                  required=True, validate=_unique)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)
    guarantee_systems = fields.List(fields.String(validate=validate.OneOf(list(GUARANTEE_SYSTEMS))),
                                    required=True, validate=_unique)
    speech_draft = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100_000))


class RequirementsSchema(_Strict):
    """PUT /units/{unit}/requirements (R11)."""
    text = fields.String(required=True, validate=TEXT)
    items = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), load_default=list)


class MeetingScheduleSchema(_Strict):
    """POST /units/{unit}/mobilization-meeting."""
    date = IsoDate(required=True)


class MeetingHeldSchema(_Strict):
    """POST /units/{unit}/mobilization-meeting/held (the date defaults to the scheduled one)."""
    date = IsoDate(load_default=None, allow_none=True)


class TransitionApplicationSchema(_Strict):
    """POST /units/{unit}/transitions."""
    summary = fields.String(required=True, validate=TEXT)


class NotificationSchema(_Strict):
    """POST /units/{unit}/notifications (R12/R23): the scope is the survey's sampling frame."""
    scope = fields.List(fields.String(validate=NAME), required=True,
                        validate=[validate.Length(min=1, max=10_000), _unique])
    date = IsoDate(load_default=None, allow_none=True)  # defaults to today at the entrypoint
    subject = fields.String(load_default="", validate=validate.Length(max=200))
    content = fields.String(load_default="", validate=validate.Length(max=10_000))


class RectificationMeasureSchema(_Strict):
    """POST /units/{unit}/rectification-measures (R22 phase 3)."""
    kind = fields.String(load_default="measure", validate=validate.OneOf(MEASURE_KINDS))
    description = fields.String(required=True, validate=TEXT)
    owner_member_id = fields.String(required=True, validate=ID)
    due = IsoDate(required=True)


class MeasureCompletionSchema(_Strict):
    """POST /units/{unit}/rectification-measures/{measure}/completion."""
    completed_on = IsoDate(load_default=None, allow_none=True)  # defaults to today
    note = fields.String(load_default="", validate=validate.Length(max=10_000))
