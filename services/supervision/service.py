"""The supervision service's nameko entrypoints: thin translations of RPC input into commands.

Every command's facts owned by other services (a unit's meeting date, its submitted plan,
a transition application, ...) are read from this service's fact projections, fed by the
units log; study readiness is asked of the study service. Queries answer from projections.

Leader recognition (R18 leave decisions): a token's person id ("p-…") is made by the
gateway and is not a group member id, so the entrypoint recognises a supervisor of the
group as the group member whose name equals the token's name (when exactly one member has
that name) and passes that member id to the rule. The office may always decide leave.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import uuid

import eventlet
from nameko.events import event_handler
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import rpc

from services.supervision import schemas as S
from services.supervision.domain import commands as C
from services.supervision.domain import (SupervisionConfig, decider, fold_for, group_stream,
                                         readiness_blockers)
from services.supervision.domain.checklist import check_work_plan
from services.supervision.projections import (BRIEFINGS, CONSOLE_GROUPS, CONSOLE_UNITS, HISTORY,
                                              PORTFOLIOS, REPORTS, TRANSITION_FACTS, UNIT_FACTS,
                                              UNIT_GROUPS, build_projections, speech_draft,
                                              transition_application)
from shared.config import settings
from shared.domain import Forbidden, NotFound
from shared.nameko_support import (DomainService, OutboxRelay, ServiceStorage, Wiring, actor_from,
                                   command_rpc)
from shared.unit_directory import unit_directory

CONFIG = SupervisionConfig(soft_unit_limit=settings().soft_group_limit)
DECIDE = decider(CONFIG)
WIRING = Wiring(service="supervision",
                projections=(unit_directory(), *build_projections(CONFIG)))
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _today() -> str:
    return dt.date.today().isoformat()


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _public(doc: dict | None) -> dict | None:
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k != "_id"}


def _params(params: dict | None) -> dict:
    return params or {}


class SupervisionService(DomainService):
    name = "supervision"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()

    @event_handler("units", "#", requeue_on_error=True)
    def on_units_event(self, envelope):
        self._receive("units", envelope)

    # ------------------------------------------------------------------ helpers
    def _execute(self, command, actor: dict) -> list[dict]:
        return self.storage.execute(command.stream_id, DECIDE, fold_for(command), command,
                                    actor=actor)

    def _facts(self, unit_id: str) -> dict:
        return self.storage.get(UNIT_FACTS, unit_id) or {}

    def _group_of(self, unit_id: str) -> str | None:
        doc = self.storage.get(UNIT_GROUPS, unit_id)
        return doc["group_id"] if doc else None

    def _check_reader_of_unit(self, actor: dict, unit_id: str) -> None:
        role = (actor or {}).get("role")
        if role in ("office", "auditor", "system"):
            return
        if role == "unit" and actor.get("scope") == unit_id:
            return
        if role == "supervisor" and actor.get("scope") == self._group_of(unit_id):
            return
        raise Forbidden(f"unit {unit_id} is not yours to read", unit_id=unit_id)

    def _check_reader_of_group(self, actor: dict, group_id: str) -> None:
        role = (actor or {}).get("role")
        if role in ("office", "auditor", "system"):
            return
        if role == "supervisor" and actor.get("scope") == group_id:
            return
        raise Forbidden(f"only the office, auditors and group {group_id}'s supervisors may "
                        f"read its portfolio", group_id=group_id)

    def _study_readiness(self, unit_id: str) -> dict | None:
        """The study service's answer, or None (which blocks agreeing) if it cannot be had."""
        try:
            with eventlet.Timeout(settings().rpc_timeout):
                answer = self.cluster["study"].readiness(unit_id=unit_id)
        except (UnknownService, RemoteError, eventlet.Timeout):
            return None
        if isinstance(answer, dict) and "ok" in answer and "result" in answer:
            answer = answer["result"] if answer["ok"] else None
        return answer if isinstance(answer, dict) else None

    def _unit_of_transition(self, transition_id: str) -> str | None:
        doc = self.storage.get(TRANSITION_FACTS, transition_id)
        if doc:
            return doc["unit_id"]
        entry = self.storage.db[HISTORY].find_one({"entries.payload.transition_id": transition_id},
                                                  {"unit_id": 1})
        return entry["unit_id"] if entry else None

    def _unit_of_case(self, case_id: str) -> str:
        entry = self.storage.db[HISTORY].find_one({"entries.payload.case_id": case_id},
                                                  {"unit_id": 1})
        if entry is None:
            raise NotFound(f"typical case {case_id} does not exist", case_id=case_id)
        return entry["unit_id"]

    # ------------------------------------------------------------------- groups
    @rpc
    @command_rpc
    def form_group(self, body=None, params=None, query=None, actor=None):
        data = S.FormGroupSchema().load(body or {})
        group_id = _new_id("g")
        people = [data["leader"], *data["members"]]
        for person in people:
            person.setdefault("member_id", _new_id("m"))
        command = C.FormGroup(group_id=group_id, name=data["name"], leader=people[0],
                              members=people[1:], formed_on=data.get("formed_on") or _today(),
                              actor=actor_from(actor))
        self._execute(command, actor)
        return {"group_id": group_id, "leader_member_id": people[0]["member_id"],
                "member_ids": [p["member_id"] for p in people[1:]]}

    @rpc
    @command_rpc
    def list_groups(self, body=None, params=None, query=None, actor=None):
        flt = {}
        if (actor or {}).get("role") == "supervisor":
            flt["_id"] = actor.get("scope")
        return [_public(d) for d in self.storage.find(CONSOLE_GROUPS, flt, sort=[("name", 1)])]

    @rpc
    @command_rpc
    def get_group(self, body=None, params=None, query=None, actor=None):
        group_id = _params(params)["group"]
        self._check_reader_of_group(actor, group_id)
        doc = self.storage.get(PORTFOLIOS, group_id)
        if doc is None:
            raise NotFound(f"group {group_id} does not exist", group_id=group_id)
        return _public(doc)

    @rpc
    @command_rpc
    def assign_unit(self, body=None, params=None, query=None, actor=None):
        data = S.AssignUnitSchema().load(body or {})
        group_id, unit_id = _params(params)["group"], data["unit_id"]
        group_doc = self.storage.get(CONSOLE_GROUPS, group_id) or {}
        facts = self._facts(unit_id)
        registered = bool(facts.get("name")) or self.storage.get("unit_directory", unit_id) is not None
        command = C.AssignUnit(
            group_id=group_id, unit_id=unit_id, today=_today(), actor=actor_from(actor),
            group_exists=bool(self.storage.load(group_stream(group_id))),
            group_unit_count=int(group_doc.get("unit_count") or 0),
            unit_registered=registered, meeting_date=facts.get("meeting_date"))
        [event] = self._execute(command, actor)
        p = event["payload"]
        warning = None
        if p["over_soft_limit"]:
            # R1 "一个督导组负责10个左右单位": warn the office, never refuse
            warning = (f"group {group_id} now has {p['unit_count']} units, above the soft limit "
                       f"of {p['soft_limit']} (一个督导组负责10个左右单位)")
        return {"group_id": group_id, "unit_id": unit_id, "unit_count": p["unit_count"],
                "soft_limit": p["soft_limit"], "over_soft_limit": p["over_soft_limit"],
                "warning": warning, "arrival_deadline": p["arrival_deadline"]}

    @rpc
    @command_rpc
    def record_arrival(self, body=None, params=None, query=None, actor=None):
        data = S.ArrivalSchema().load(body or {})
        unit_id = data["unit_id"]
        command = C.RecordArrival(group_id=_params(params)["group"], unit_id=unit_id,
                                  date=data["date"], actor=actor_from(actor),
                                  meeting_date=self._facts(unit_id).get("meeting_date"))
        [event] = self._execute(command, actor)
        p = event["payload"]
        return {"unit_id": unit_id, "group_id": p["group_id"], "date": p["date"],
                "deadline": p["deadline"], "late": p["late"], "tasks": p["tasks"]}

    @rpc
    @command_rpc
    def establish_branch(self, body=None, params=None, query=None, actor=None):
        data = S.TemporaryBranchSchema().load(body or {})
        group_id = _params(params)["group"]
        self._execute(C.EstablishTemporaryBranch(
            group_id=group_id, secretary_member_id=data["secretary_member_id"],
            rules=data["rules"], date=data["date"], actor=actor_from(actor)), actor)
        return {"group_id": group_id}

    @rpc
    @command_rpc
    def request_leave(self, body=None, params=None, query=None, actor=None):
        data = S.LeaveRequestSchema().load(body or {})
        group_id, leave_id = _params(params)["group"], _new_id("leave")
        self._execute(C.RequestLeave(
            group_id=group_id, leave_id=leave_id, member_id=data["member_id"],
            from_date=data["from_date"], to_date=data["to_date"], reason=data["reason"],
            today=_today(), actor=actor_from(actor)), actor)
        return {"leave_id": leave_id}

    def _member_acting(self, actor: dict, group_id: str) -> str | None:
        """The group member a supervisor's token stands for: matched by name, if unique."""
        if (actor or {}).get("role") != "supervisor" or actor.get("scope") != group_id:
            return None
        doc = self.storage.get(PORTFOLIOS, group_id) or {}
        matches = [mid for mid, person in (doc.get("people") or {}).items()
                   if person.get("name") == actor.get("name")]
        return matches[0] if len(matches) == 1 else None

    @rpc
    @command_rpc
    def decide_leave(self, body=None, params=None, query=None, actor=None):
        data = S.LeaveDecisionSchema().load(body or {})
        group_id, leave_id = _params(params)["group"], _params(params)["leave"]
        self._execute(C.DecideLeave(
            group_id=group_id, leave_id=leave_id, decision=data["decision"],
            comments=data["comments"], today=_today(), actor=actor_from(actor),
            actor_member_id=self._member_acting(actor, group_id)), actor)
        return {"leave_id": leave_id, "decision": data["decision"]}

    @rpc
    @command_rpc
    def record_batch(self, body=None, params=None, query=None, actor=None):
        data = S.BatchParticipationSchema().load(body or {})
        group_id, member_id = _params(params)["group"], _params(params)["member"]
        self._execute(C.RecordBatchParticipation(group_id=group_id, member_id=member_id,
                                                 batch=data["batch"], actor=actor_from(actor)),
                      actor)
        return {"group_id": group_id, "member_id": member_id, "batch": data["batch"]}

    # ------------------------------------------------------- R3 arrival tasks
    @rpc
    @command_rpc
    def read_speech_draft(self, body=None, params=None, query=None, actor=None):
        data = S.SpeechDraftReadSchema().load(body or {})
        unit_id = _params(params)["unit"]
        self._execute(C.ReadSpeechDraft(
            unit_id=unit_id, date=data.get("date") or _today(), comments=data["comments"],
            actor=actor_from(actor), speech_draft=speech_draft(self._facts(unit_id))), actor)
        return {"unit_id": unit_id}

    @rpc
    @command_rpc
    def complete_task(self, body=None, params=None, query=None, actor=None):
        data = S.ArrivalTaskDoneSchema().load(body or {})
        unit_id, task = _params(params)["unit"], _params(params)["task"]
        self._execute(C.CompleteArrivalTask(
            unit_id=unit_id, task=task, date=data.get("date") or _today(), note=data["note"],
            actor=actor_from(actor),
            meeting_held=bool(self._facts(unit_id).get("meeting_held_on"))), actor)
        return {"unit_id": unit_id, "task": task, "status": "done"}

    # ----------------------------------------------------------- R4 plan review
    @rpc
    @command_rpc
    def review_work_plan(self, body=None, params=None, query=None, actor=None):
        data = S.WorkPlanReviewSchema().load(body or {})
        unit_id = _params(params)["unit"]
        facts = self._facts(unit_id)
        [event] = self._execute(C.ReviewWorkPlan(
            unit_id=unit_id, decision=data["decision"], comments=data["comments"],
            today=_today(), actor=actor_from(actor), plan_version=facts.get("plan_version"),
            plan=facts.get("plan")), actor)
        p = event["payload"]
        return {"unit_id": unit_id, "plan_version": p["plan_version"], "decision": p["decision"],
                "missing": p["missing"], "checklist": p["checklist"]}

    @rpc
    @command_rpc
    def work_plan_checklist(self, body=None, params=None, query=None, actor=None):
        """The 一看/二看/三看 checklist on the latest submitted plan, before the verdict."""
        unit_id = _params(params)["unit"]
        self._check_reader_of_unit(actor, unit_id)
        facts = self._facts(unit_id)
        if facts.get("plan") is None:
            raise NotFound(f"unit {unit_id} has not submitted a work plan", unit_id=unit_id)
        return {"unit_id": unit_id, "plan_version": facts["plan_version"],
                **check_work_plan(facts["plan"]).to_dict()}

    # ------------------------------------------------------ R5/R6 phase gate
    def _readiness(self, unit_id: str, from_phase: str | None) -> C.Readiness:
        facts = self._facts(unit_id)
        study = self._study_readiness(unit_id) if from_phase == "mobilization" else None
        return C.Readiness(study=study,
                           requirements_present=bool(facts.get("requirements_present")),
                           open_rectifications=len(facts.get("open_rectifications") or []))

    @rpc
    @command_rpc
    def transition_readiness(self, body=None, params=None, query=None, actor=None):
        """GET /transitions/{id}/readiness: what the reviewer is shown before agreeing."""
        transition_id = _params(params)["id"]
        app = transition_application(self.storage.get(TRANSITION_FACTS, transition_id))
        if app is None:
            raise NotFound(f"transition application {transition_id} does not exist",
                           transition_id=transition_id)
        self._check_reader_of_unit(actor, app.unit_id)
        readiness = self._readiness(app.unit_id, app.from_phase)
        return {"transition_id": transition_id, "unit_id": app.unit_id,
                "from_phase": app.from_phase, "to_phase": app.to_phase,
                **readiness.to_dict(), "blockers": readiness_blockers(app.from_phase, readiness)}

    @rpc
    @command_rpc
    def group_review(self, body=None, params=None, query=None, actor=None):
        data = S.GroupReviewSchema().load(body or {})
        transition_id = _params(params)["id"]
        app = transition_application(self.storage.get(TRANSITION_FACTS, transition_id))
        if app is None:
            raise NotFound(f"transition application {transition_id} does not exist",
                           transition_id=transition_id)
        readiness = self._readiness(app.unit_id, app.from_phase)
        [event] = self._execute(C.ReviewTransition(
            transition_id=transition_id, unit_id=app.unit_id, decision=data["decision"],
            comments=data["comments"], today=_today(), actor=actor_from(actor),
            application=app, readiness=readiness), actor)
        return {"transition_id": transition_id, "unit_id": app.unit_id,
                "status": "agreed" if event["type"] == "TransitionAgreed" else "returned",
                "readiness": event["payload"]["readiness"]}

    @rpc
    @command_rpc
    def office_decision(self, body=None, params=None, query=None, actor=None):
        data = S.OfficeDecisionSchema().load(body or {})
        transition_id = _params(params)["id"]
        unit_id = self._unit_of_transition(transition_id)
        if unit_id is None:
            raise NotFound(f"transition application {transition_id} does not exist",
                           transition_id=transition_id)
        app = transition_application(self.storage.get(TRANSITION_FACTS, transition_id))
        [event] = self._execute(C.DecideTransition(
            transition_id=transition_id, unit_id=unit_id, decision=data["decision"],
            comments=data["comments"], today=_today(), actor=actor_from(actor),
            application=app), actor)
        return {"transition_id": transition_id, "unit_id": unit_id,
                "status": "approved" if event["type"] == "TransitionApproved" else "rejected",
                "to_phase": event["payload"]["to_phase"]}

    @rpc
    @command_rpc
    def extend_deadline(self, body=None, params=None, query=None, actor=None):
        data = S.DeadlineExtensionSchema().load(body or {})
        unit_id = _params(params)["unit"]
        facts = self._facts(unit_id)
        [event] = self._execute(C.ExtendDeadline(
            unit_id=unit_id, phase=data["phase"], until=data["until"], reason=data["reason"],
            today=_today(), actor=actor_from(actor), current_phase=facts.get("phase"),
            current_deadline=facts.get("phase_deadline")), actor)
        p = event["payload"]
        return {"unit_id": unit_id, "phase": p["phase"], "until": p["until"],
                "previous_deadline": p["previous_deadline"]}

    # ------------------------------------------------------- R13-R15 field work
    @rpc
    @command_rpc
    def record_inspection(self, body=None, params=None, query=None, actor=None):
        data = S.InspectionSchema().load(body or {})
        inspection_id = _new_id("insp")
        [event] = self._execute(C.RecordInspection(
            inspection_id=inspection_id, unit_id=data["unit_id"], date=data["date"],
            scores=data["scores"], findings=data["findings"], notes=data["notes"],
            actor=actor_from(actor)), actor)
        return {"inspection_id": inspection_id, "total": event["payload"]["total"],
                "max_total": event["payload"]["max_total"]}

    @rpc
    @command_rpc
    def record_committee_meeting(self, body=None, params=None, query=None, actor=None):
        data = S.CommitteeMeetingSchema().load(body or {})
        meeting_id = _new_id("mtg")
        self._execute(C.RecordCommitteeMeeting(
            meeting_id=meeting_id, unit_id=_params(params)["unit"], date=data["date"],
            topic=data["topic"], notes=data["notes"], actor=actor_from(actor)), actor)
        return {"meeting_id": meeting_id}

    @rpc
    @command_rpc
    def record_working_office(self, body=None, params=None, query=None, actor=None):
        data = S.WorkingOfficeSchema().load(body or {})
        unit_id = _params(params)["unit"]
        self._execute(C.RecordWorkingOffice(
            unit_id=unit_id, date=data["date"], office_established=data["office_established"],
            staff_trained=data["staff_trained"], notes=data["notes"], actor=actor_from(actor)),
            actor)
        return {"unit_id": unit_id}

    @rpc
    @command_rpc
    def record_acceptance(self, body=None, params=None, query=None, actor=None):
        data = S.AcceptanceInspectionSchema().load(body or {})
        unit_id = _params(params)["unit"]
        facts = self._facts(unit_id)
        self._execute(C.RecordAcceptanceInspection(
            unit_id=unit_id, date=data["date"], result=data["result"],
            office_participants=data["office_participants"], notes=data["notes"],
            actor=actor_from(actor), survey_passed=facts.get("phase") == "accepted",
            survey_id=facts.get("survey_id")), actor)
        return {"unit_id": unit_id, "result": data["result"]}

    # -------------------------------------------------------- R16/R17 reports
    @rpc
    @command_rpc
    def file_report(self, body=None, params=None, query=None, actor=None):
        data = S.ReportSchema().load(body or {})
        report_id = _new_id("rep")
        [event] = self._execute(C.FileReport(
            report_id=report_id, unit_id=data["unit_id"], kind=data["kind"], title=data["title"],
            body=data["body"], date=data["date"], actor=actor_from(actor),
            contact=data["contact"]), actor)
        return {"report_id": report_id, "urgent": event["payload"]["urgent"]}

    @rpc
    @command_rpc
    def list_reports(self, body=None, params=None, query=None, actor=None):
        query = query or {}
        flt = {}
        if (actor or {}).get("role") == "supervisor":
            flt["group_id"] = actor.get("scope")
        for field in ("unit_id", "group_id", "kind"):
            if query.get(field) and field not in flt:
                flt[field] = query[field]
        if query.get("urgent") in ("1", "true"):
            flt["urgent"] = True
        return [_public(d) for d in self.storage.find(REPORTS, flt, sort=[("date", 1), ("_id", 1)])]

    @rpc
    @command_rpc
    def report_typical_case(self, body=None, params=None, query=None, actor=None):
        data = S.TypicalCaseSchema().load(body or {})
        case_id = _new_id("case")
        self._execute(C.ReportTypicalCase(
            case_id=case_id, unit_id=data["unit_id"], kind=data["kind"], title=data["title"],
            description=data["description"], date=data["date"], actor=actor_from(actor),
            person_name=data.get("person_name")), actor)
        return {"case_id": case_id}

    @rpc
    @command_rpc
    def recommend_typical_case(self, body=None, params=None, query=None, actor=None):
        data = S.RecommendationSchema().load(body or {})
        case_id = _params(params)["case"]
        self._execute(C.RecommendTypicalCase(
            case_id=case_id, unit_id=self._unit_of_case(case_id), recipient=data["recipient"],
            date=data.get("date") or _today(), actor=actor_from(actor)), actor)
        return {"case_id": case_id, "recommended_to": data["recipient"]}

    @rpc
    @command_rpc
    def publicise_typical_case(self, body=None, params=None, query=None, actor=None):
        data = S.PublicitySchema().load(body or {})
        case_id = _params(params)["case"]
        self._execute(C.PubliciseTypicalCase(
            case_id=case_id, unit_id=self._unit_of_case(case_id),
            date=data.get("date") or _today(), channel=data["channel"],
            actor=actor_from(actor)), actor)
        return {"case_id": case_id, "publicised": True}

    # ---------------------------------------------------------------- briefings
    @rpc
    @command_rpc
    def compile_briefing(self, body=None, params=None, query=None, actor=None):
        data = S.BriefingSchema().load(body or {})
        briefing_id = _new_id("brief")
        reports = self.storage.find(REPORTS, {"date": {"$gte": data["period_from"],
                                                        "$lte": data["period_to"]}})
        [event] = self._execute(C.CompileBriefing(
            briefing_id=briefing_id, title=data["title"], period_from=data["period_from"],
            period_to=data["period_to"], today=_today(), actor=actor_from(actor),
            reports=[{k: v for k, v in r.items() if k != "_id"} for r in reports]), actor)
        return {"briefing_id": briefing_id, "report_ids": event["payload"]["report_ids"]}

    def _briefing(self, briefing_id: str) -> dict:
        doc = self.storage.get(BRIEFINGS, briefing_id)
        if doc is None:
            raise NotFound(f"briefing {briefing_id} does not exist", briefing_id=briefing_id)
        return doc

    @rpc
    @command_rpc
    def get_briefing(self, body=None, params=None, query=None, actor=None):
        return _public(self._briefing(_params(params)["id"]))

    @rpc
    @command_rpc
    def briefing_document(self, body=None, params=None, query=None, actor=None):
        doc = self._briefing(_params(params)["id"])
        content = briefing_docx(doc, self._unit_names(doc), self._group_names(doc))
        return {"__file__": {"filename": f"briefing-{doc['briefing_id']}.docx",
                             "media_type": DOCX_MEDIA_TYPE,
                             "content_base64": base64.b64encode(content).decode("ascii")}}

    def _unit_names(self, briefing: dict) -> dict:
        ids = {i["unit_id"] for s in briefing["sections"] for i in s["items"]}
        return {d["_id"]: d.get("name") for d in
                self.storage.find("unit_directory", {"_id": {"$in": sorted(ids)}})}

    def _group_names(self, briefing: dict) -> dict:
        ids = {i["group_id"] for s in briefing["sections"] for i in s["items"]}
        return {d["_id"]: d.get("name") for d in
                self.storage.find(CONSOLE_GROUPS, {"_id": {"$in": sorted(ids)}})}

    # ------------------------------------------------------------------ queries
    @rpc
    @command_rpc
    def console(self, body=None, params=None, query=None, actor=None):
        """The office console: every group with its units, deadlines, late arrivals, pending
        reviews and approvals, urgent reports."""
        groups = [_public(g) for g in self.storage.find(CONSOLE_GROUPS, {}, sort=[("name", 1)])]
        units = [_public(u) for u in self.storage.find(CONSOLE_UNITS, {"group_id": {"$ne": None}},
                                                         sort=[("unit_id", 1)])]
        by_group: dict = {}
        for unit in units:
            by_group.setdefault(unit["group_id"], []).append(unit)
        for group in groups:
            group["units"] = by_group.get(group["group_id"], [])
        return {
            "groups": groups,
            "late_arrivals": [{**a, "group_id": g["group_id"]} for g in groups
                              for a in g["late_arrivals"]],
            "pending_plan_reviews": [u["unit_id"] for u in units if u["plan"]["pending_review"]],
            "pending_group_reviews": [{"unit_id": u["unit_id"], "transition_id": t}
                                      for u in units for t in u["pending_group_reviews"]],
            "pending_office_approvals": [{"unit_id": u["unit_id"], "transition_id": t}
                                         for u in units for t in u["pending_office_approvals"]],
            "urgent_reports": [{**r, "group_id": g["group_id"]} for g in groups
                               for r in g["urgent_reports"]],
            "over_soft_limit": [g["group_id"] for g in groups if g["over_soft_limit"]],
        }

    @rpc
    @command_rpc
    def unit_history(self, body=None, params=None, query=None, actor=None):
        unit_id = _params(params)["unit"]
        self._check_reader_of_unit(actor, unit_id)
        doc = self.storage.get(HISTORY, unit_id)
        if doc is None:
            raise NotFound(f"unit {unit_id} has no supervision history", unit_id=unit_id)
        console = self.storage.get(CONSOLE_UNITS, unit_id) or {}
        return {**_public(doc), "summary": _public(console)}

    @rpc
    def group_of_unit(self, unit_id):
        """The group a unit is assigned to, or None."""
        return self._group_of(unit_id)

    @rpc
    @command_rpc
    def known_unit(self, unit_id):
        return self.storage.get("unit_directory", unit_id)


# ------------------------------------------------------------- the Word export
def briefing_docx(briefing: dict, unit_names: dict, group_names: dict) -> bytes:
    """简报 as a Word document: title, period, sections in print order, each report with
    its unit, group and date."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = briefing["title"]
    document.add_heading(briefing["title"], level=0)
    document.add_paragraph(f"期间：{briefing['period_from']} 至 {briefing['period_to']}　"
                           f"编发日期：{briefing['compiled_on']}")
    for number, section in enumerate(briefing["sections"], start=1):
        document.add_heading(f"{_CHINESE_NUMBERS[number - 1]}、{section['label']}", level=1)
        for item in section["items"]:
            heading = document.add_heading(item["title"] + ("（急）" if item.get("urgent") else ""),
                                           level=2)
            heading.style.font.size = Pt(14)
            unit = unit_names.get(item["unit_id"]) or item["unit_id"]
            group = group_names.get(item["group_id"]) or item["group_id"]
            meta = document.add_paragraph(f"{unit}　{group}　{item['date']}")
            meta.runs[0].italic = True
            for paragraph in (item.get("body") or "").split("\n"):
                if paragraph.strip():
                    document.add_paragraph(paragraph.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_CHINESE_NUMBERS = "一二三四五六七八九十"
