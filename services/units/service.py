"""The units service's nameko entrypoints: validate → decide → append, nothing more.

Every RPC the gateway calls takes keyword arguments (body, params, query, actor).
Who may act on which unit is decided by the domain (a unit only on itself, the
office registers); reads are filtered by the caller's scope here.

The unit's phase changes only by its own mobilisation meeting and by the
reactions below to supervision's and evaluation's events (R5, R6, R12).
"""
from __future__ import annotations

import datetime
import uuid

import eventlet
from nameko.events import event_handler
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import rpc

from services.units import schemas as S
from services.units.domain import COMMANDS, decide, fold, unit_stream
from services.units.domain.config import config_from_environment
from services.units.domain import commands as C
from services.units.domain import phases as P
from services.units.projections import CARDS, MEMBERS, PROJECTIONS, county_overview
from services.units.translate import CONSUMED, command_for
from shared.config import settings
from shared.domain import DomainError, Forbidden, NotFound, events_of
from shared.nameko_support import (DomainService, OutboxRelay, ServiceStorage, Wiring, actor_from,
                                   command_rpc)

__all__ = ["UnitsService", "WIRING", "CARDS", "unit_stream", "COMMANDS"]


# the county's configuration (batch calendars, R7 readiness, R22 leader measures);
# DUDAO_CAMPAIGN_START moves the calendar (shared/clock.py)
CONFIG = config_from_environment()


def _decide(state, command):
    return decide(state, command, CONFIG)


def _fold(envelopes):
    return fold(events_of(envelopes))


class StudyUnavailable(DomainError):
    status = 503
    code = "unavailable"


# --- reactions: other services' decisions become system commands on the unit ----------

def _react(ctx, env):
    command = command_for(env, actor_from(ctx.actor))
    if command is None:
        return []
    return ctx.execute(unit_stream(command.unit_id), _decide, _fold, command)


REACTIONS = {source: {kind: _react for kind in kinds} for source, kinds in CONSUMED.items()}

WIRING = Wiring(service="units", projections=tuple(PROJECTIONS), reactions=REACTIONS)


# --- small helpers ---------------------------------------------------------------------

def _today() -> str:
    return datetime.date.today().isoformat()


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _payload(appended: list[dict], kind: str) -> dict:
    return next((env["payload"] for env in appended if env["type"] == kind), {})


def _may_read(actor: dict | None, card: dict) -> bool:
    """Office and auditor read every unit; a unit only itself; a supervisor its group's."""
    role = (actor or {}).get("role")
    if role in ("office", "auditor", "system"):
        return True
    if role == "unit":
        return actor.get("scope") == card["unit_id"]
    if role == "supervisor":
        return card.get("group_id") is not None and actor.get("scope") == card.get("group_id")
    return False


def _public(doc: dict) -> dict:
    doc = dict(doc)
    doc.pop("_id", None)
    return doc


class UnitsService(DomainService):
    name = "units"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()

    # --- events of other services ------------------------------------------------------
    @event_handler("supervision", "#", requeue_on_error=True)
    def on_supervision_event(self, envelope):
        self._receive("supervision", envelope)

    @event_handler("evaluation", "#", requeue_on_error=True)
    def on_evaluation_event(self, envelope):
        self._receive("evaluation", envelope)

    # --- plumbing ------------------------------------------------------------------------
    def _run(self, unit_id: str, command, actor) -> list[dict]:
        return self.storage.execute(unit_stream(unit_id), _decide, _fold, command, actor=actor)

    def _state(self, unit_id: str):
        return _fold(self.storage.load(unit_stream(unit_id)))

    def _card(self, unit_id: str, actor) -> dict:
        card = self.storage.get(CARDS, unit_id)
        if card is None or card.get("stub"):
            raise NotFound(f"no unit {unit_id}", unit_id=unit_id)
        if not _may_read(actor, card):
            raise Forbidden("you may not read this unit", unit_id=unit_id)
        return card

    def _readiness(self, unit_id: str) -> dict:
        """The study service's readiness(unit_id) answer (R7), or a 503 refusal."""
        timeout = settings().rpc_timeout
        try:
            with eventlet.Timeout(timeout):
                answer = self.cluster["study"].readiness(unit_id=unit_id)
        except eventlet.Timeout:
            raise StudyUnavailable(f"the study service did not answer readiness within {timeout:.0f}s; "
                                   "a unit leaves 学习动员 only with its study readiness, try again shortly",
                                   service="study") from None
        except UnknownService:
            raise StudyUnavailable("the study service is not running; a unit leaves 学习动员 only "
                                   "with its study readiness, try again shortly", service="study") from None
        except RemoteError as err:
            raise StudyUnavailable("the study service cannot answer readiness yet "
                                   f"({err.exc_type}); a unit leaves 学习动员 only with its study readiness",
                                   service="study") from None
        if isinstance(answer, dict) and "ok" in answer and "ready" not in answer:
            if not answer["ok"]:
                raise StudyUnavailable(f"the study service refused readiness: {answer.get('message')}",
                                       service="study", study=answer)
            answer = answer.get("result")
        if not isinstance(answer, dict) or "ready" not in answer:
            raise StudyUnavailable("the study service's readiness answer is malformed", service="study")
        return answer

    # --- the office ---------------------------------------------------------------------
    @rpc
    @command_rpc
    def register_unit(self, body=None, params=None, query=None, actor=None):
        data = S.RegisterUnitSchema().load(body or {})
        unit_id = _new_id("u")
        command = C.RegisterUnit(actor=actor_from(actor), unit_id=unit_id, name=data["name"],
                                 org_type=data["org_type"], batch=data["batch"],
                                 sections=tuple(data.get("sections", ())))
        self._run(unit_id, command, actor)
        return {"unit_id": unit_id}

    # --- membership (R20, R21) -----------------------------------------------------------
    @rpc
    @command_rpc
    def add_section(self, body=None, params=None, query=None, actor=None):
        data = S.AddSectionSchema().load(body or {})
        unit_id = params["unit"]
        self._run(unit_id, C.AddSection(actor=actor_from(actor), unit_id=unit_id,
                                        section=data["section"]), actor)
        return {"unit_id": unit_id, "section": data["section"].strip()}

    @rpc
    @command_rpc
    def enrol_member(self, body=None, params=None, query=None, actor=None):
        data = S.EnrolMemberSchema().load(body or {})
        unit_id = params["unit"]
        member_id = _new_id("m")
        self._run(unit_id, C.EnrolMember(actor=actor_from(actor), unit_id=unit_id, member_id=member_id,
                                         name=data["name"], section=data["section"],
                                         is_leader=data["is_leader"], is_retired=data["is_retired"]), actor)
        return {"member_id": member_id}

    @rpc
    @command_rpc
    def form_study_group(self, body=None, params=None, query=None, actor=None):
        data = S.StudyGroupSchema().load(body or {})
        unit_id = params["unit"]
        group_id = _new_id("sg")
        self._run(unit_id, C.FormStudyGroup(actor=actor_from(actor), unit_id=unit_id, study_group_id=group_id,
                                            section=data["section"], leader_member_id=data["leader_member_id"],
                                            member_ids=tuple(data["member_ids"])), actor)
        return {"study_group_id": group_id}

    @rpc
    @command_rpc
    def place_member(self, body=None, params=None, query=None, actor=None):
        data = S.PlaceMemberSchema().load(body or {})
        unit_id = params["unit"]
        self._run(unit_id, C.PlaceMemberInStudyGroup(actor=actor_from(actor), unit_id=unit_id,
                                                     study_group_id=params["group"],
                                                     member_id=data["member_id"]), actor)
        return {"study_group_id": params["group"], "member_id": data["member_id"]}

    @rpc
    @command_rpc
    def assign_contact_points(self, body=None, params=None, query=None, actor=None):
        data = S.ContactPointsSchema().load(body or {})
        unit_id = params["unit"]
        self._run(unit_id, C.AssignContactPoints(actor=actor_from(actor), unit_id=unit_id,
                                                 member_id=params["member"],
                                                 sections=tuple(data["sections"])), actor)
        return {"member_id": params["member"], "sections": list(data["sections"])}

    # --- the work plan (R4) and requirements (R11) ----------------------------------------
    @rpc
    @command_rpc
    def submit_work_plan(self, body=None, params=None, query=None, actor=None):
        data = S.WorkPlanSchema().load(body or {})
        plan = {k: v for k, v in data.items() if v is not None}
        unit_id = params["unit"]
        appended = self._run(unit_id, C.SubmitWorkPlan(actor=actor_from(actor), unit_id=unit_id, plan=plan),
                             actor)
        return {"unit_id": unit_id, "plan_version": _payload(appended, "WorkPlanSubmitted").get("plan_version")}

    @rpc
    @command_rpc
    def set_requirements(self, body=None, params=None, query=None, actor=None):
        data = S.RequirementsSchema().load(body or {})
        unit_id = params["unit"]
        self._run(unit_id, C.SetRequirements(actor=actor_from(actor), unit_id=unit_id, text=data["text"],
                                             items=tuple(data["items"])), actor)
        return {"unit_id": unit_id}

    # --- the mobilisation meeting ----------------------------------------------------------
    @rpc
    @command_rpc
    def schedule_meeting(self, body=None, params=None, query=None, actor=None):
        data = S.MeetingScheduleSchema().load(body or {})
        unit_id = params["unit"]
        self._run(unit_id, C.ScheduleMobilizationMeeting(actor=actor_from(actor), unit_id=unit_id,
                                                         date=data["date"], today=_today()), actor)
        return {"unit_id": unit_id, "date": data["date"]}

    @rpc
    @command_rpc
    def hold_meeting(self, body=None, params=None, query=None, actor=None):
        data = S.MeetingHeldSchema().load(body or {})
        unit_id = params["unit"]
        appended = self._run(unit_id, C.HoldMobilizationMeeting(actor=actor_from(actor), unit_id=unit_id,
                                                               today=_today(), date=data["date"]), actor)
        entered = _payload(appended, "PhaseEntered")
        return {"unit_id": unit_id, "date": _payload(appended, "MobilizationMeetingHeld").get("date"),
                "phase": entered.get("phase"), "deadline": entered.get("deadline")}

    # --- the phase gate (R5): the unit applies; supervision decides ------------------------
    @rpc
    @command_rpc
    def apply_for_transition(self, body=None, params=None, query=None, actor=None):
        data = S.TransitionApplicationSchema().load(body or {})
        unit_id = params["unit"]
        readiness = None
        state = self._state(unit_id)
        # ask the study service only when its answer decides (the domain refuses the rest first)
        if (state is not None and state.phase == P.MOBILIZATION and state.open_application is None
                and state.requirements is not None and CONFIG.require_study_readiness
                and actor_from(actor).role == "unit" and actor_from(actor).scope == unit_id):
            readiness = self._readiness(unit_id)
        transition_id = _new_id("t")
        appended = self._run(unit_id, C.ApplyForTransition(actor=actor_from(actor), unit_id=unit_id,
                                                          transition_id=transition_id, summary=data["summary"],
                                                          study_readiness=readiness), actor)
        applied = _payload(appended, "TransitionApplied")
        return {"transition_id": transition_id, "from_phase": applied.get("from_phase"),
                "to_phase": applied.get("to_phase")}

    # --- rectification (R22) and notification (R12, R23) ------------------------------------
    @rpc
    @command_rpc
    def add_rectification_measure(self, body=None, params=None, query=None, actor=None):
        data = S.RectificationMeasureSchema().load(body or {})
        unit_id = params["unit"]
        measure_id = _new_id("r")
        self._run(unit_id, C.AddRectificationMeasure(actor=actor_from(actor), unit_id=unit_id,
                                                     measure_id=measure_id, kind=data["kind"],
                                                     description=data["description"],
                                                     owner_member_id=data["owner_member_id"], due=data["due"],
                                                     today=_today()), actor)
        return {"measure_id": measure_id}

    @rpc
    @command_rpc
    def complete_rectification_measure(self, body=None, params=None, query=None, actor=None):
        data = S.MeasureCompletionSchema().load(body or {})
        unit_id = params["unit"]
        today = _today()
        completed_on = data["completed_on"] or today
        self._run(unit_id, C.CompleteRectificationMeasure(actor=actor_from(actor), unit_id=unit_id,
                                                          measure_id=params["measure"],
                                                          completed_on=completed_on, today=today,
                                                          note=data["note"]), actor)
        return {"measure_id": params["measure"], "completed_on": completed_on}

    @rpc
    @command_rpc
    def notify_public(self, body=None, params=None, query=None, actor=None):
        data = S.NotificationSchema().load(body or {})
        unit_id = params["unit"]
        notification_id = _new_id("n")
        date = data["date"] or _today()
        self._run(unit_id, C.NotifyPublic(actor=actor_from(actor), unit_id=unit_id,
                                          notification_id=notification_id, scope=tuple(data["scope"]),
                                          date=date, subject=data["subject"], content=data["content"]), actor)
        return {"notification_id": notification_id, "scope_size": len(data["scope"]), "date": date}

    # --- queries ------------------------------------------------------------------------
    @rpc
    @command_rpc
    def get_unit(self, body=None, params=None, query=None, actor=None):
        return _public(self._card(params["unit"], actor))

    @rpc
    @command_rpc
    def list_units(self, body=None, params=None, query=None, actor=None):
        query = query or {}
        role = (actor or {}).get("role")
        found = {"stub": {"$ne": True}}
        if role == "unit":
            found["_id"] = actor.get("scope")
        elif role == "supervisor":
            found["group_id"] = actor.get("scope")
        elif role not in ("office", "auditor", "system"):
            raise Forbidden("you may not list units", role=role)
        if query.get("batch"):
            try:
                found["batch"] = int(query["batch"])
            except ValueError:
                raise NotFound(f"no batch {query['batch']!r}") from None
        if query.get("phase"):
            found["phase"] = query["phase"]
        cards = self.storage.find(CARDS, found, sort=[("batch", 1), ("name", 1)])
        return [_public(card) for card in cards]

    @rpc
    @command_rpc
    def list_members(self, body=None, params=None, query=None, actor=None):
        card = self._card(params["unit"], actor)
        members = [_public(m) for m in self.storage.find(MEMBERS, {"unit_id": card["unit_id"]},
                                                         sort=[("section", 1), ("name", 1)])]
        by_section: dict = {section: [] for section in card["sections"]}
        by_group: dict = {group: [] for group in card["study_groups"]}
        for m in members:
            by_section.setdefault(m["section"] or "", []).append(m["member_id"])
            if m["study_group_id"]:
                by_group.setdefault(m["study_group_id"], []).append(m["member_id"])
        groups = [{"study_group_id": g, "section": card["study_groups"].get(g),
                   "leader_member_id": next((m["member_id"] for m in members
                                             if m["study_group_id"] == g and m["leads_study_group"]), None),
                   "member_ids": ids} for g, ids in by_group.items()]
        return {"unit_id": card["unit_id"], "members": members, "by_section": by_section,
                "study_groups": groups, "retired_without_group": list(card["retired_without_group"])}

    @rpc
    @command_rpc
    def overview(self, body=None, params=None, query=None, actor=None):
        role = (actor or {}).get("role")
        if role not in ("office", "auditor", "system"):
            raise Forbidden("only the office and auditors see the county overview", role=role)
        return county_overview(self.storage.find(CARDS, {"stub": {"$ne": True}}))
