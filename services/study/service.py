"""The study service's nameko entrypoints: thin translations of RPC input into commands.

Commands carry the unit's roster (``study_rosters``, fed by the units log) and
today's date; queries answer from the projections in ``projections.py``."""
from __future__ import annotations

import base64
import datetime as dt
import uuid

import eventlet
from nameko.events import event_handler
from nameko.rpc import rpc

from services.study.domain import (GrantExemption, RecordAttendance,
                                   RecordStudySession, RevokeExemption, SetStudyPlan, UnitRoster,
                                   county_table, decide, fold, readiness as readiness_of,
                                   unit_stream)
from services.study.ledger import XLSX_MEDIA_TYPE, ledger_bytes
from services.study.projections import PROJECTIONS, county_view, member_view, sheet_view
from services.study.domain.config import config_from_environment
from services.study.schemas import (AttendanceSchema, ExemptionRevocationSchema,
                                    ExemptionSchema, StudyPlanSchema, StudySessionSchema)
from shared.config import settings
from shared.domain import DomainError, Forbidden, NotFound, events_of
from shared.nameko_support import (DomainService, OutboxRelay, ServiceStorage, Wiring, actor_from,
                                   command_rpc)
from shared.unit_directory import unit_directory

# DUDAO_CAMPAIGN_START moves the campaign calendar (shared/clock.py)
CONFIG = config_from_environment()
WIRING = Wiring(service="study", projections=(unit_directory(), *PROJECTIONS))


def _fold(envelopes):
    return fold(events_of(envelopes))


def _decide(state, command):
    return decide(state, command, CONFIG)


def _today() -> str:
    return dt.date.today().isoformat()


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


def _check_unit_scope(actor: dict | None, unit_id: str | None) -> None:
    """A unit acts and reads only on itself."""
    if actor and actor.get("role") == "unit" and actor.get("scope") != unit_id:
        raise Forbidden("a unit may act only on itself", unit=unit_id,
                        your_unit=actor.get("scope"))


class StudyService(DomainService):
    name = "study"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()

    @event_handler("units", "#", requeue_on_error=True)
    def on_units_event(self, envelope):
        self._receive("units", envelope)

    # ------------------------------------------------------------ helpers

    def _roster(self, unit_id: str) -> UnitRoster | None:
        doc = self.storage.get("study_rosters", unit_id)
        return UnitRoster.from_doc(doc) if doc else None

    def _execute(self, unit_id: str, command, actor) -> list[dict]:
        return self.storage.execute(unit_stream(unit_id), _decide, _fold, command, actor=actor)

    def _check_reader(self, actor: dict | None, unit_id: str) -> None:
        """Office and auditor read everything, a unit itself, a supervisor the units
        assigned to its group (the unit -> group mapping is supervision's: asked by RPC,
        and refused rather than guessed when supervision does not answer)."""
        _check_unit_scope(actor, unit_id)
        if not actor or actor.get("role") != "supervisor":
            return
        timeout = settings().rpc_timeout
        try:
            with eventlet.Timeout(timeout):
                group_id = self.cluster["supervision"].group_of_unit(unit_id)
        except (eventlet.Timeout, Exception):  # not answering, or not running
            raise Unavailable("the supervision service did not say which group supervises "
                              "this unit; try again shortly", unit=unit_id) from None
        if group_id is None or group_id != actor.get("scope"):
            raise Forbidden("a supervisor reads only the units assigned to their group",
                            unit=unit_id, your_group=actor.get("scope"))

    def _sessions(self, unit_id: str) -> list[dict]:
        return self.storage.find("study_sessions", {"unit_id": unit_id},
                                 sort=[("date", 1), ("_id", 1)])

    def _sheet(self, unit_id: str, sessions: list[dict]) -> dict:
        doc = self.storage.get("study_units", unit_id)
        if doc is None:
            raise NotFound(f"unit {unit_id} is not known to the study service", unit_id=unit_id)
        return sheet_view(doc, sessions, CONFIG)

    # ------------------------------------------------------------ commands

    @rpc
    @command_rpc
    def set_study_plan(self, body=None, params=None, query=None, actor=None):
        """PUT /units/{unit}/study-plan (R9)."""
        unit_id = params["unit"]
        _check_unit_scope(actor, unit_id)
        data = StudyPlanSchema().load(body or {})
        command = SetStudyPlan(unit_id=unit_id, roster=self._roster(unit_id), today=_today(),
                               personnel=data.get("personnel"), time=data.get("time"),
                               content=data.get("content"), effect=data.get("effect"))
        events = self._execute(unit_id, command, actor)
        payload = events[0]["payload"]
        return {"unit_id": unit_id, "plan_version": payload["plan_version"],
                "warnings": payload["warnings"]}

    @rpc
    @command_rpc
    def record_session(self, body=None, params=None, query=None, actor=None):
        """POST /study-sessions (R10, R8 flags)."""
        data = StudySessionSchema().load(body or {})
        unit_id = data["unit_id"]
        _check_unit_scope(actor, unit_id)
        session_id = "ss-" + uuid.uuid4().hex[:12]
        command = RecordStudySession(
            unit_id=unit_id, session_id=session_id, roster=self._roster(unit_id),
            today=_today(), form=data["form"], date=data["date"], hours=data["hours"],
            content_keys=tuple(data["content_keys"]), local_document=data["local_document"],
            study_group_id=data["study_group_id"], title=data["title"])
        events = self._execute(unit_id, command, actor)
        payload = events[0]["payload"]
        return {"session_id": session_id, "unit_id": unit_id,
                "calendar_flags": payload["calendar_flags"]}

    @rpc
    @command_rpc
    def record_attendance(self, body=None, params=None, query=None, actor=None):
        """POST /study-sessions/{id}/attendance: the unit is found through the session."""
        session_id = params["id"]
        session = self.storage.get("study_sessions", session_id)
        if session is None:
            raise NotFound("no such study session", session_id=session_id)
        unit_id = session["unit_id"]
        _check_unit_scope(actor, unit_id)
        data = AttendanceSchema().load(body or {})
        command = RecordAttendance(unit_id=unit_id, session_id=session_id,
                                   member_ids=tuple(data["member_ids"]),
                                   roster=self._roster(unit_id), today=_today())
        self._execute(unit_id, command, actor)
        return {"session_id": session_id, "unit_id": unit_id,
                "member_ids": list(data["member_ids"])}

    @rpc
    @command_rpc
    def grant_exemption(self, body=None, params=None, query=None, actor=None):
        """POST /units/{unit}/study-exemptions (R7: "一般" allows a recorded exemption)."""
        unit_id = params["unit"]
        _check_unit_scope(actor, unit_id)
        data = ExemptionSchema().load(body or {})
        command = GrantExemption(unit_id=unit_id, member_id=data["member_id"],
                                 reason=data["reason"], actor=actor_from(actor),
                                 roster=self._roster(unit_id), today=_today())
        self._execute(unit_id, command, actor)
        return {"unit_id": unit_id, "member_id": data["member_id"]}

    @rpc
    @command_rpc
    def revoke_exemption(self, body=None, params=None, query=None, actor=None):
        """DELETE /units/{unit}/study-exemptions/{member}; the reason comes in the body
        or, since DELETE bodies are not parsed by every client, as ?reason=…"""
        unit_id, member_id = params["unit"], params["member"]
        _check_unit_scope(actor, unit_id)
        data = ExemptionRevocationSchema().load(body or dict(query or {}))
        command = RevokeExemption(unit_id=unit_id, member_id=member_id, reason=data["reason"],
                                  actor=actor_from(actor), today=_today())
        self._execute(unit_id, command, actor)
        return {"unit_id": unit_id, "member_id": member_id, "revoked": True}

    # ------------------------------------------------------------ queries

    @rpc
    @command_rpc
    def unit_study(self, body=None, params=None, query=None, actor=None):
        """GET /units/{unit}/study: the compliance sheet, members below the floor first."""
        unit_id = params["unit"]
        self._check_reader(actor, unit_id)
        return self._sheet(unit_id, self._sessions(unit_id))

    @rpc
    @command_rpc
    def member_study(self, body=None, params=None, query=None, actor=None):
        """GET /members/{member}/study: one member's hours, coverage, exemption."""
        member_id = params["member"]
        doc = self.storage.get("study_members", member_id)
        if doc is None or not doc.get("unit_id"):
            raise NotFound(f"no study record for member {member_id}", member_id=member_id)
        try:
            self._check_reader(actor, doc["unit_id"])
        except Forbidden:
            # do not tell an outsider whose member this is
            raise NotFound(f"no study record for member {member_id}",
                           member_id=member_id) from None
        return member_view(doc, CONFIG)

    @rpc
    @command_rpc
    def county(self, body=None, params=None, query=None, actor=None):
        """GET /study/county: units by compliance, least compliant first."""
        rows = [county_view(d, CONFIG) for d in self.storage.find("study_units")]
        batch = (query or {}).get("batch")
        if batch:
            rows = [r for r in rows if str(r.get("batch")) == str(batch)]
        return {"floor": CONFIG.floor_hours, "units": county_table(rows)}

    @rpc
    @command_rpc
    def ledger(self, body=None, params=None, query=None, actor=None):
        """GET /units/{unit}/study/ledger.xlsx: the 学习台账 as an Excel workbook,
        returned as a file result the gateway serves as bytes."""
        unit_id = params["unit"]
        self._check_reader(actor, unit_id)
        sessions = self._sessions(unit_id)
        content = ledger_bytes(self._sheet(unit_id, sessions), sessions)
        return {"__file__": {"filename": f"study-ledger-{unit_id}.xlsx",
                             "media_type": XLSX_MEDIA_TYPE,
                             "content_base64": base64.b64encode(content).decode("ascii")}}

    @rpc
    def readiness(self, unit_id):
        """For supervision and units before a phase-1 transition: do the unit's members
        meet the floor (exemptions counted), who does not, and how far short."""
        roster = self._roster(unit_id) or UnitRoster(unit_id=unit_id)
        state = _fold(self.storage.load(unit_stream(unit_id)))
        return readiness_of(state, roster, CONFIG)

    @rpc
    @command_rpc
    def known_unit(self, unit_id):
        return self.storage.get("unit_directory", unit_id)
