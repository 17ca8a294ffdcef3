"""The study service's RPC API: one marshmallow schema per entrypoint, named fields in.

Command schemas build their command in ``make`` (``@post_load`` of ``CommandSchema``,
with the actor, a new id and today's date from the edge); the unit's roster is added by
the handler, which keeps the projection it comes from. Query schemas load to a dict.
The gateway fills the path-given fields (``unit_id``, ``session_id``, ``member_id``) from
the URL; the OpenAPI body schemas leave them out.

The study-plan schema checks types and sizes only: whether all four of
人员/时间/内容/效果 are fixed is the domain's rule (R9), so that a client gets the
missing items named the same way however the plan reached the service."""
from __future__ import annotations

from marshmallow import fields, validate

from shared.edge import CommandSchema
from shared.schema_fields import IsoDate, StrictFloat, StrictSchema, unique

from .domain.catalog import FORMS, REQUIRED_CONTENT
from .domain.commands import GrantExemption, RecordAttendance, RecordStudySession, RevokeExemption, SetStudyPlan

ID = validate.Length(min=1, max=100)
# ids the URL gives were never bounded: a long one stays "not found", not "invalid"
PATH_ID = validate.Length(min=1)
TEXT = validate.Length(max=2000)
REASON = validate.Length(min=1, max=1000)
# The domain enforces the configurable per-session bound; this is only a sanity cap.
HOURS = validate.Range(min=0, max=24, min_inclusive=False)
DATE_MESSAGES = {"invalid": "must be an ISO date YYYY-MM-DD"}


def iso_date(**kwargs) -> IsoDate:
    return IsoDate(error_messages=DATE_MESSAGES, **kwargs)


class BatchText(fields.Str):
    """``?batch=`` as the query string gives it; an RPC caller may pass the number."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


# ------------------------------------------------------------ parts of a study plan

class LocalDocumentSchema(StrictSchema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=300))
    reference = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class PlanPersonnelSchema(StrictSchema):
    scope = fields.Str(validate=TEXT)
    study_group_ids = fields.List(fields.Str(validate=ID), validate=validate.Length(max=200))


class PlanTimeSchema(StrictSchema):
    self_study_from = iso_date(allow_none=True)
    self_study_until = iso_date(allow_none=True)
    centralised_from = iso_date()
    centralised_until = iso_date()
    planned_hours = StrictFloat(validate=validate.Range(min=0, max=1000, min_inclusive=False))


class PlanContentSchema(StrictSchema):
    required = fields.List(fields.Str(validate=validate.OneOf(list(REQUIRED_CONTENT))))
    local_documents = fields.List(fields.Nested(LocalDocumentSchema),
                                  validate=validate.Length(max=100))


class PlanEffectSchema(StrictSchema):
    goals = fields.List(fields.Str(validate=TEXT), validate=validate.Length(max=50))
    assessment = fields.Str(validate=TEXT, allow_none=True)


# ------------------------------------------------------------ commands

class StudyPlanSchema(CommandSchema):
    """PUT /units/{unit}/study-plan → SetStudyPlan"""
    unit_id = fields.Str(required=True, validate=PATH_ID)
    personnel = fields.Nested(PlanPersonnelSchema, allow_none=True)
    time = fields.Nested(PlanTimeSchema, allow_none=True)
    content = fields.Nested(PlanContentSchema, allow_none=True)
    effect = fields.Nested(PlanEffectSchema, allow_none=True)

    def make(self, data, edge):
        return SetStudyPlan(unit_id=data["unit_id"], roster=None, today=edge.today(),
                            personnel=data.get("personnel"), time=data.get("time"),
                            content=data.get("content"), effect=data.get("effect"))


class StudySessionSchema(CommandSchema):
    """POST /study-sessions → RecordStudySession (with a new session id)"""
    unit_id = fields.Str(required=True, validate=ID)
    form = fields.Str(required=True, validate=validate.OneOf(list(FORMS)))
    date = iso_date(required=True)
    hours = StrictFloat(required=True, validate=HOURS)
    content_keys = fields.List(fields.Str(validate=validate.OneOf(list(REQUIRED_CONTENT))),
                               load_default=list)
    local_document = fields.Nested(LocalDocumentSchema, allow_none=True, load_default=None)
    study_group_id = fields.Str(validate=ID, allow_none=True, load_default=None)
    title = fields.Str(validate=validate.Length(max=300), allow_none=True, load_default=None)

    def make(self, data, edge):
        return RecordStudySession(**{**data, "content_keys": tuple(data["content_keys"])},
                                  session_id=edge.new_id("ss"), roster=None, today=edge.today())


class AttendanceSchema(CommandSchema):
    """POST /study-sessions/{id}/attendance → RecordAttendance; the handler finds the
    unit through the session (``unit_id`` is filled in there)."""
    session_id = fields.Str(required=True, validate=PATH_ID)
    member_ids = fields.List(fields.Str(validate=ID), required=True,
                             validate=[validate.Length(min=1, max=1000), unique])

    def make(self, data, edge):
        return RecordAttendance(unit_id=None, session_id=data["session_id"],
                                member_ids=tuple(data["member_ids"]), roster=None,
                                today=edge.today())


class ExemptionSchema(CommandSchema):
    """POST /units/{unit}/study-exemptions → GrantExemption (beyond the contract table:
    R7's recorded exemption needs a route)."""
    unit_id = fields.Str(required=True, validate=PATH_ID)
    member_id = fields.Str(required=True, validate=ID)
    reason = fields.Str(required=True, validate=REASON)

    def make(self, data, edge):
        return GrantExemption(**data, actor=edge.actor, roster=None, today=edge.today())


class ExemptionRevocationSchema(CommandSchema):
    """DELETE /units/{unit}/study-exemptions/{member}?reason=… → RevokeExemption"""
    unit_id = fields.Str(required=True, validate=PATH_ID)
    member_id = fields.Str(required=True, validate=PATH_ID)
    reason = fields.Str(required=True, validate=REASON)

    def make(self, data, edge):
        return RevokeExemption(**data, actor=edge.actor, today=edge.today())


# ------------------------------------------------------------ queries

class UnitQuerySchema(StrictSchema):
    """GET /units/{unit}/study, GET /units/{unit}/study/ledger.xlsx, and readiness"""
    unit_id = fields.Str(required=True, validate=PATH_ID)


class MemberQuerySchema(StrictSchema):
    """GET /members/{member}/study"""
    member_id = fields.Str(required=True, validate=PATH_ID)


class CountyQuerySchema(StrictSchema):
    """GET /study/county?batch="""
    batch = BatchText(load_default=None)
