"""The units service's RPC API as marshmallow schemas: the named fields of each command
and query. The gateway fills them from DESIGN.md's HTTP routes (path variables such as
``<unit>`` arrive as ``unit_id``; plus the few routes users need beyond the contract:
sections, study-group placement, contact points, rectification measures). Unknown
fields are refused; within an RPC each command schema's ``@post_load`` (``CommandSchema``)
builds the command dataclass with the actor, new ids and today's date.

Dates load as ISO strings ("2024-02-18"), the form the domain and the log use.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Callable

from marshmallow import ValidationError, fields, validate, validates_schema

from shared.domain import NotFound
from shared.edge import CommandSchema
from shared.roster_limits import ROSTER_FILE_LIMIT
from shared.schema_fields import IsoDate, StrictSchema, unique

from .domain import commands as C
from .domain.ledger import CARRY_DECISIONS, PROBLEM_SOURCES, REVIEW_DECISIONS
from .domain.membership import ORG_TYPES
from .domain.rectification import MEASURE_KINDS
from .domain.work_plan import GUARANTEE_SYSTEMS, LEADER_MEASURES, PROBLEM_CATEGORIES

NAME = validate.Length(min=1, max=200)
ID = validate.Length(min=1, max=100)
TEXT = validate.Length(min=1, max=10_000)


def path_id():
    """An id the HTTP path gives (``<unit>``, ``<group>``...): required, any length, as a
    URL variable always was; a wrong one is the domain's 404/422, not a schema error."""
    return fields.String(required=True, validate=validate.Length(min=1))


class UnitCommandSchema(CommandSchema):
    """A command on one unit: ``unit_id`` plus the command's own fields."""
    unit_id = path_id()


# --- the office -------------------------------------------------------------------

class RegisterUnitSchema(CommandSchema):
    """POST /units (office) -> the new unit's id."""
    name = fields.String(required=True, validate=NAME)
    org_type = fields.String(required=True, validate=validate.OneOf(ORG_TYPES))
    batch = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3))
    sections = fields.List(fields.String(validate=ID), load_default=list, validate=unique)

    def make(self, data, edge):
        return C.RegisterUnit(actor=edge.actor, unit_id=edge.new_id("u"), name=data["name"],
                              org_type=data["org_type"], batch=data["batch"],
                              sections=tuple(data["sections"]))


# --- membership (R20, R21) --------------------------------------------------------

class AddSectionSchema(UnitCommandSchema):
    """POST /units/{unit}/sections."""
    command = C.AddSection
    section = fields.String(required=True, validate=ID)


class EnrolMemberSchema(UnitCommandSchema):
    """POST /units/{unit}/members -> the new member's id."""
    name = fields.String(required=True, validate=NAME)
    section = fields.String(required=True, allow_none=True, validate=ID)
    is_leader = fields.Boolean(load_default=False)
    is_retired = fields.Boolean(load_default=False)

    @validates_schema
    def _serving_members_have_a_section(self, data, **kwargs):
        if data.get("section") is None and not data.get("is_retired"):
            raise ValidationError("a serving member belongs to a section", "section")

    def make(self, data, edge):
        return C.EnrolMember(actor=edge.actor, member_id=edge.new_id("m"), **data)


ROSTER_MAX_BYTES = ROSTER_FILE_LIMIT  # an .xlsx roster file (the gateway holds the upload to it too)


@dataclasses.dataclass(frozen=True)
class Upload:
    """An uploaded list (a roster, the office's unit list), for the handler to read and
    check row by row with the single command's schema; ``new_id`` mints the rows' ids (the
    same on a retry). ``unit_id``: the roster's unit (None for the unit list)."""
    actor: object
    unit_id: str | None
    data: bytes
    new_id: Callable[[str], str]


RosterUpload = Upload


class UploadSchema(CommandSchema):
    """An .xlsx list, base64 (at most the roster's file limit)."""
    content_base64 = fields.String(required=True, validate=validate.Length(max=4 * (ROSTER_MAX_BYTES // 3 + 1)))
    filename = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))

    def make(self, data, edge):
        try:
            raw = base64.b64decode(data["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("Not valid base64.", "content_base64") from None
        return Upload(actor=edge.actor, unit_id=data.get("unit_id"), data=raw, new_id=edge.new_id)


class RosterUploadSchema(UploadSchema):
    """POST /units/{unit}/roster (and …/roster/preview): an .xlsx roster, base64."""
    unit_id = path_id()


class UnitListUploadSchema(UploadSchema):
    """POST /unit-list (and …/preview): the office's .xlsx list of units, base64."""


def row_problems(schema, row: int, raw: dict, given: dict) -> tuple[dict | None, list[dict]]:
    """One row's fields loaded by the single command's schema (``given`` its fields the row
    does not carry): (the loaded fields, or None, and each of its messages as a problem
    naming the row and the column)."""
    try:
        loaded = schema().load({**given, **raw})
    except ValidationError as err:
        return None, [{"row": row, "column": column, "code": _code(message), "message": message,
                       "value": raw.get(column)}
                      for column, messages in err.messages.items() for message in _flat(messages)]
    return loaded, []


def roster_row_problems(row: int, raw: dict, unit_id: str) -> tuple[dict | None, list[dict]]:
    """A roster row, by the schema of single enrolment (a blank section is None)."""
    return row_problems(EnrolMemberSchema, row, raw, {"unit_id": unit_id, "section": None})


def unit_row_problems(row: int, raw: dict) -> tuple[dict | None, list[dict]]:
    """A unit list's row, by the schema of single registration (loaded outside the edge's
    context: the fields, no command)."""
    return row_problems(RegisterUnitSchema, row, raw, {})


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):  # a list field's item: {index: [message]}
        return [m for v in messages.values() for m in _flat(v)]
    return [m for m in messages] if isinstance(messages, list) else [str(messages)]


def _code(message: str) -> str:
    if message.startswith(("Missing data", "Field may not be null", "a serving member")):
        return "missing"
    if message.startswith("Not a valid boolean"):
        return "not_yes_no"
    if message.startswith(("Length must be", "Longer than")):
        return "too_long"
    if message.startswith("Must be one of"):
        return "not_a_choice"
    if message.startswith(("Not a valid integer", "Must be greater")):
        return "not_a_batch"
    if "unique" in message or "repeat" in message or "duplicate" in message.lower():
        return "repeated"
    return "invalid"


class ErasureSchema(CommandSchema):
    """POST /members/{member}/erasure {reason} (office): the member's unit is found by the
    handler, which builds the command (shared.personal_data: crypto-shredding)."""
    member_id = path_id()
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class StudyGroupSchema(UnitCommandSchema):
    """POST /units/{unit}/study-groups -> the new study group's id."""
    section = fields.String(required=True, validate=ID)
    leader_member_id = fields.String(required=True, validate=ID)
    member_ids = fields.List(fields.String(validate=ID), load_default=list, validate=unique)

    def make(self, data, edge):
        return C.FormStudyGroup(actor=edge.actor, study_group_id=edge.new_id("sg"),
                                **{**data, "member_ids": tuple(data["member_ids"])})


class PlaceMemberSchema(UnitCommandSchema):
    """POST /units/{unit}/study-groups/{group}/members: ``study_group_id`` is the path's group."""
    command = C.PlaceMemberInStudyGroup
    study_group_id = path_id()
    member_id = fields.String(required=True, validate=ID)


class ContactPointsSchema(UnitCommandSchema):
    """PUT /units/{unit}/members/{member}/contact-points (R21): ``member_id`` is the path's member."""
    member_id = path_id()
    sections = fields.List(fields.String(validate=ID), required=True,
                           validate=[validate.Length(min=1), unique])

    def make(self, data, edge):
        return C.AssignContactPoints(actor=edge.actor, **{**data, "sections": tuple(data["sections"])})


# --- the work plan (R4) and requirements (R11) -------------------------------------


class ProblemSchema(StrictSchema):
    category = fields.String(required=True, validate=validate.OneOf(list(PROBLEM_CATEGORIES)))
    description = fields.String(required=True, validate=TEXT)
    measures = fields.List(fields.String(validate=TEXT), load_default=list)


class WorkPlanSchema(UnitCommandSchema):
    """PUT /units/{unit}/work-plan: 一看 leader measures, 二看 problems, 三看 guarantee systems."""
    leader_measures = fields.List(fields.String(validate=validate.OneOf(list(LEADER_MEASURES))),
                                  required=True, validate=unique)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)
    guarantee_systems = fields.List(fields.String(validate=validate.OneOf(list(GUARANTEE_SYSTEMS))),
                                    required=True, validate=unique)
    speech_draft = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100_000))

    def make(self, data, edge):
        plan = {k: v for k, v in data.items() if k != "unit_id" and v is not None}
        return C.SubmitWorkPlan(actor=edge.actor, unit_id=data["unit_id"], plan=plan)


class RequirementsSchema(UnitCommandSchema):
    """PUT /units/{unit}/requirements (R11)."""
    text = fields.String(required=True, validate=TEXT)
    items = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), load_default=list)

    def make(self, data, edge):
        return C.SetRequirements(actor=edge.actor, **{**data, "items": tuple(data["items"])})


# --- the mobilisation meeting and the phase gate (R5) ------------------------------

class MeetingScheduleSchema(UnitCommandSchema):
    """POST /units/{unit}/mobilization-meeting."""
    date = IsoDate(required=True)

    def make(self, data, edge):
        return C.ScheduleMobilizationMeeting(actor=edge.actor, today=edge.today(), **data)


class MeetingHeldSchema(UnitCommandSchema):
    """POST /units/{unit}/mobilization-meeting/held (the date defaults to the scheduled one)."""
    date = IsoDate(load_default=None, allow_none=True)

    def make(self, data, edge):
        return C.HoldMobilizationMeeting(actor=edge.actor, today=edge.today(), **data)


class TransitionApplicationSchema(UnitCommandSchema):
    """POST /units/{unit}/transitions -> the new application's id (the handler adds the
    study service's readiness answer when it decides, R7)."""
    summary = fields.String(required=True, validate=TEXT)
    # R19, the 分析评议 summary's review period: work since the 16th Party Congress (the
    # default), thinking optionally from earlier
    work_since = IsoDate()
    thinking_since = IsoDate()

    def make(self, data, edge):
        return C.ApplyForTransition(actor=edge.actor, transition_id=edge.new_id("t"), **data)


# --- rectification (R22) and public notification (R12, R23) -----------------------

class NotificationSchema(UnitCommandSchema):
    """POST /units/{unit}/notifications (R12/R23): the scope is the survey's sampling frame."""
    scope = fields.List(fields.String(validate=NAME), required=True,
                        validate=[validate.Length(min=1, max=10_000), unique])
    date = IsoDate(load_default=None, allow_none=True)  # defaults to today
    subject = fields.String(load_default="", validate=validate.Length(max=200))
    content = fields.String(load_default="", validate=validate.Length(max=10_000))
    # 整改情况和解决问题的情况 (A): required when the unit is in phase survey (it frames the survey)
    rectification_status = fields.String(load_default="", validate=validate.Length(max=10_000))

    def make(self, data, edge):
        # each person notified gets a pseudonymous id: the frame a survey draws from holds
        # the ids, the log each name sealed with its person's key (shared.personal_data)
        return C.NotifyPublic(actor=edge.actor, notification_id=edge.new_id("n"),
                              **{**data, "scope": tuple(data["scope"]), "date": data["date"] or edge.today()},
                              person_ids=tuple(edge.new_id("r") for _ in data["scope"]))


class RectificationMeasureSchema(UnitCommandSchema):
    """POST /units/{unit}/rectification-measures (R22 phase 3) -> the new measure's id."""
    kind = fields.String(load_default="measure", validate=validate.OneOf(MEASURE_KINDS))
    description = fields.String(required=True, validate=TEXT)
    owner_member_id = fields.String(required=True, validate=ID)
    due = IsoDate(required=True)

    def make(self, data, edge):
        # named with its unit like the ledger's own, so /measures/{id}/… reaches it too
        return C.AddRectificationMeasure(actor=edge.actor, measure_id=ledger_id(data["unit_id"], edge.new_id("r")),
                                         today=edge.today(), **data)


class MeasureCompletionSchema(UnitCommandSchema):
    """POST /units/{unit}/rectification-measures/{measure}/completion: ``measure_id`` is the path's."""
    measure_id = path_id()
    completed_on = IsoDate(load_default=None, allow_none=True)  # defaults to today
    note = fields.String(load_default="", validate=validate.Length(max=10_000))
    # the ledger's rule holds on this older route too: done only with evidence
    attachment_ids = fields.List(fields.String(validate=ID), load_default=list,
                                 validate=[validate.Length(max=50), unique])

    def make(self, data, edge):
        today = edge.today()
        return C.CompleteRectificationMeasure(actor=edge.actor, today=today,
                                              **{**data, "completed_on": data["completed_on"] or today,
                                                 "attachment_ids": tuple(data["attachment_ids"])})


# --- the rectification ledger (整改台账) -------------------------------------------------
# A problem's or measure's id names its unit ("<unit>.p-…", "<unit>.m-…"): the routes under
# /problems/{id} and /measures/{id} name no unit, and the command must know the unit's
# stream at once, without waiting for a projection to learn where the id lives.

def ledger_id(unit_id: str, local: str) -> str:
    return f"{unit_id}.{local}"


def unit_of(ledger_item_id: str, what: str) -> str:
    unit_id, dot, local = ledger_item_id.rpartition(".")
    if not dot or not unit_id or not local:
        raise NotFound(f"no {what} {ledger_item_id}", **{f"{what}_id": ledger_item_id})
    return unit_id


class ProblemSchema(UnitCommandSchema):
    """POST /units/{unit}/problems (the unit; a supervisor of its group may propose)."""
    category = fields.String(required=True, validate=validate.OneOf(tuple(PROBLEM_CATEGORIES)))
    description = fields.String(required=True, validate=TEXT)
    source = fields.String(required=True, validate=validate.OneOf(PROBLEM_SOURCES))
    source_ref = fields.String(load_default=None, allow_none=True, validate=ID)  # the opinion, inspection…

    def make(self, data, edge):
        return C.RecordProblem(actor=edge.actor, problem_id=ledger_id(data["unit_id"], edge.new_id("p")),
                               today=edge.today(), **data)


class LedgerMeasureSchema(CommandSchema):
    """POST /problems/{id}/measures (the unit) -> the new measure's id."""
    problem_id = path_id()
    owner_member_id = fields.String(required=True, validate=ID)
    due = IsoDate(required=True)
    commitment = fields.String(required=True, validate=TEXT)
    kind = fields.String(load_default="measure", validate=validate.OneOf(MEASURE_KINDS))

    def make(self, data, edge):
        unit_id = unit_of(data["problem_id"], "problem")
        return C.AddRectificationMeasure(actor=edge.actor, unit_id=unit_id,
                                         measure_id=ledger_id(unit_id, edge.new_id("m")), kind=data["kind"],
                                         description=data["commitment"], owner_member_id=data["owner_member_id"],
                                         due=data["due"], today=edge.today(), problem_id=data["problem_id"])


class LedgerCompletionSchema(CommandSchema):
    """POST /measures/{id}/completion (the unit): done, with its evidence."""
    measure_id = path_id()
    summary = fields.String(required=True, validate=TEXT)
    attachment_ids = fields.List(fields.String(validate=ID), required=True,
                                 validate=[validate.Length(min=1, max=50), unique])
    completed_on = IsoDate(load_default=None, allow_none=True)  # defaults to today

    def make(self, data, edge):
        today = edge.today()
        return C.CompleteRectificationMeasure(actor=edge.actor, unit_id=unit_of(data["measure_id"], "measure"),
                                              measure_id=data["measure_id"],
                                              completed_on=data["completed_on"] or today, today=today,
                                              note=data["summary"], attachment_ids=tuple(data["attachment_ids"]))


class MeasureReviewSchema(CommandSchema):
    """POST /measures/{id}/review (a supervisor of the unit's group): 复查. A measure from
    before the ledger has an id without its unit: /units/{unit}/rectification-measures/{id}/review
    names the unit (``unit_id``)."""
    measure_id = path_id()
    unit_id = fields.String(load_default=None, validate=validate.Length(min=1))
    decision = fields.String(required=True, validate=validate.OneOf(REVIEW_DECISIONS))
    comments = fields.String(load_default="", validate=validate.Length(max=10_000))

    def make(self, data, edge):
        unit_id = data.pop("unit_id") or unit_of(data["measure_id"], "measure")
        return C.ReviewMeasure(actor=edge.actor, unit_id=unit_id, today=edge.today(), **data)


class MeasureReopeningSchema(CommandSchema):
    """POST /measures/{id}/reopening (the office): a signed-off measure, reopened with a reason."""
    measure_id = path_id()
    reason = fields.String(required=True, validate=TEXT)

    def make(self, data, edge):
        return C.ReopenMeasure(actor=edge.actor, unit_id=unit_of(data["measure_id"], "measure"),
                               today=edge.today(), **data)


class ProblemAcceptanceSchema(CommandSchema):
    """POST /problems/{id}/acceptance (the unit): accept a problem the group proposed."""
    problem_id = path_id()
    category = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(tuple(PROBLEM_CATEGORIES)))

    def make(self, data, edge):
        return C.AcceptProblem(actor=edge.actor, unit_id=unit_of(data["problem_id"], "problem"),
                               today=edge.today(), **data)


class ProblemAnswerSchema(CommandSchema):
    """POST /problems/{id}/answer (the unit): answer a proposed problem with a reasoned reply."""
    problem_id = path_id()
    reply = fields.String(required=True, validate=validate.Length(max=10_000))

    def make(self, data, edge):
        return C.AnswerProblem(actor=edge.actor, unit_id=unit_of(data["problem_id"], "problem"),
                               today=edge.today(), **data)


class CarryForwardSchema(CommandSchema):
    """POST /problems/{id}/carry-forward (the unit): ask to carry the problem forward (结转)."""
    problem_id = path_id()
    reason = fields.String(required=True, validate=TEXT)

    def make(self, data, edge):
        return C.ProposeCarryForward(actor=edge.actor, unit_id=unit_of(data["problem_id"], "problem"),
                                     today=edge.today(), **data)


class CarryForwardReviewSchema(CommandSchema):
    """POST /problems/{id}/carry-forward/review (a supervisor of the unit's group)."""
    problem_id = path_id()
    decision = fields.String(required=True, validate=validate.OneOf(CARRY_DECISIONS))
    comments = fields.String(load_default="", validate=validate.Length(max=10_000))

    def make(self, data, edge):
        return C.ReviewCarryForward(actor=edge.actor, unit_id=unit_of(data["problem_id"], "problem"),
                                    today=edge.today(), **data)


# --- queries ----------------------------------------------------------------------

class UnitQuerySchema(StrictSchema):
    """GET /units/{unit}, GET /units/{unit}/members."""
    unit_id = path_id()


class ListUnitsSchema(StrictSchema):
    """GET /units?batch=&phase= (query-string values arrive as strings)."""
    batch = fields.Integer(load_default=None, allow_none=True, strict=False,
                           validate=validate.Range(min=0, max=1000))
    phase = fields.String(load_default=None, allow_none=True)

    def handle_error(self, error, data, **kwargs):
        if isinstance(data, dict) and "batch" in error.messages:
            # as before the typed edge: a batch that is not a number is a batch there is not
            raise NotFound(f"no batch {data.get('batch')!r}")
