"""What each supervision RPC does, ``handler(service, request, actor)``: a command gets the
facts this service keeps about other services' records, is decided and appended (``run``);
a query reads the projections, after the shared access policy says the reader may.

Facts owned by other services (a unit's meeting date, its submitted plan, a transition
application) come from this service's fact projections, fed by the units log; study
readiness is asked of the study service with the one peer failure rule (``ask_peer``:
no answer is a 503 ``unavailable`` refusal, never a silent block).

Leader recognition (R18 leave decisions): a token's person id ("p-…") is made by the
gateway and is not a group member id, so the handler recognises a supervisor of the
group as the group member whose name equals the token's name (when exactly one member has
that name) and passes that member id to the rule. The office may always decide leave.
"""
from __future__ import annotations

import base64
import dataclasses

from services.supervision import domain as D
from services.supervision.documents import DOCX_MEDIA_TYPE, briefing_docx
from services.supervision.domain.checklist import check_work_plan
from services.supervision.domain.config import config_from_environment
from services.supervision.obligations_workbook import XLSX_MEDIA_TYPE
from services.supervision.obligations_workbook import workbook_bytes as obligations_workbook_bytes
from services.supervision.projections import (
    BRIEFINGS,
    CONSOLE_GROUPS,
    CONSOLE_UNITS,
    HISTORY,
    OBLIGATIONS,
    PORTFOLIOS,
    REPORTS,
    TRANSITION_FACTS,
    UNIT_FACTS,
    UNIT_GROUPS,
    speech_draft,
    transition_application,
)
from shared.access import check_read_group, check_read_unit, readable_scope
from shared.clock import today
from shared.config import settings
from shared.domain import Actor, Forbidden, NotFound
from shared.service_kit import ask_peer

CONFIG = config_from_environment(soft_unit_limit=settings().soft_group_limit,
                                 retention_days=settings().retention_days)
DECIDE = D.decider(CONFIG)
STUDY_WHY = "a group agrees to a unit leaving 学习动员 only with its study readiness"
ANALYSIS_WHY = "a group agrees to a unit leaving 分析评议 only with its phase-2 readiness"


def run(service, command, actor: Actor) -> list[dict]:
    """Decide ``command`` on its stream and append what it decided (every command alike)."""
    return service.storage.execute(D.stream_of(command), DECIDE, D.fold_for(command), command,
                                   actor=actor)


# --------------------------------------------------------------- what we know
def _public(doc: dict | None) -> dict | None:
    return None if doc is None else {k: v for k, v in doc.items() if k != "_id"}


def _facts(service, unit_id: str) -> dict:
    return service.storage.get(UNIT_FACTS, unit_id) or {}


def group_of(service, unit_id: str) -> str | None:
    doc = service.storage.get(UNIT_GROUPS, unit_id)
    return doc["group_id"] if doc else None


def _application(service, transition_id: str):
    app = transition_application(service.storage.get(TRANSITION_FACTS, transition_id))
    if app is None:
        raise NotFound(f"transition application {transition_id} does not exist",
                       transition_id=transition_id)
    return app


def _unit_of_transition(service, transition_id: str) -> str:
    doc = service.storage.get(TRANSITION_FACTS, transition_id)
    entry = doc or service.storage.db[HISTORY].find_one(
        {"entries.payload.transition_id": transition_id}, {"unit_id": 1})
    if entry is None:
        raise NotFound(f"transition application {transition_id} does not exist",
                       transition_id=transition_id)
    return entry["unit_id"]


def _unit_of_case(service, case_id: str) -> str:
    entry = service.storage.db[HISTORY].find_one({"entries.payload.case_id": case_id},
                                                 {"unit_id": 1})
    if entry is None:
        raise NotFound(f"typical case {case_id} does not exist", case_id=case_id)
    return entry["unit_id"]


def _member_acting(service, actor: Actor, group_id: str) -> str | None:
    """The group member a supervisor's token stands for: matched by name, if unique."""
    if actor.role != "supervisor" or actor.scope != group_id:
        return None
    doc = service.storage.get(PORTFOLIOS, group_id) or {}
    matches = [mid for mid, person in (doc.get("people") or {}).items()
               if person.get("name") == actor.name]
    return matches[0] if len(matches) == 1 else None


def _readiness(service, unit_id: str, from_phase: str | None) -> D.Readiness:
    facts = _facts(service, unit_id)
    study = None
    if from_phase == "mobilization":
        study = ask_peer(service.cluster, "study", "readiness", STUDY_WHY, unit_id=unit_id)
    analysis = None
    if from_phase == "analysis":
        analysis = ask_peer(service.cluster, "evaluation", "readiness", ANALYSIS_WHY, unit_id=unit_id)
    return D.Readiness(study=study, requirements_present=bool(facts.get("requirements_present")),
                       open_rectifications=len(facts.get("open_rectifications") or []),
                       analysis=analysis, open_problems=tuple(facts.get("open_problems") or ()))


def _reading_everything(actor: Actor, what: str) -> None:
    if readable_scope(actor) != {}:
        raise Forbidden(f"only the office and auditors may read {what}")


def _listing_scope(actor: Actor, **fields) -> dict:
    scope = readable_scope(actor, **fields)
    if scope is None:
        raise Forbidden("your role may not list these", role=actor.role)
    return scope


# ------------------------------------------------------------------- groups
def form_group(service, command, actor):
    run(service, command, actor)
    return {"group_id": command.group_id, "leader_member_id": command.leader["member_id"],
            "member_ids": [p["member_id"] for p in command.members]}


def list_groups(service, request, actor):
    scope = _listing_scope(actor, unit_field="unit_ids", group_field="_id")
    return [_public(d) for d in service.storage.find(CONSOLE_GROUPS, scope, sort=[("name", 1)])]


def get_group(service, request, actor):
    group_id = request["group_id"]
    check_read_group(actor, group_id)
    doc = service.storage.get(PORTFOLIOS, group_id)
    if doc is None:
        raise NotFound(f"group {group_id} does not exist", group_id=group_id)
    return _public(doc)


def assign_unit(service, command, actor):
    group_id, unit_id = command.group_id, command.unit_id
    group_doc = service.storage.get(CONSOLE_GROUPS, group_id) or {}
    facts = _facts(service, unit_id)
    registered = (bool(facts.get("name"))
                  or service.storage.get("unit_directory", unit_id) is not None)
    group = D.fold_group(service.storage.load(D.group_stream(group_id)))
    command = dataclasses.replace(
        command, group_exists=group.formed, group_formed_on=group.formed_on,
        group_unit_count=int(group_doc.get("unit_count") or 0), unit_registered=registered,
        meeting_date=facts.get("meeting_date"))
    [event] = run(service, command, actor)
    p = event["payload"]
    warning = None
    if p["over_soft_limit"]:
        # R1 "一个督导组负责10个左右单位": warn the office, never refuse
        warning = (f"group {group_id} now has {p['unit_count']} units, above the soft limit "
                   f"of {p['soft_limit']} (一个督导组负责10个左右单位)")
    return {"group_id": group_id, "unit_id": unit_id, "unit_count": p["unit_count"],
            "soft_limit": p["soft_limit"], "over_soft_limit": p["over_soft_limit"],
            "warning": warning, "arrival_deadline": p["arrival_deadline"]}


def record_arrival(service, command, actor):
    command = dataclasses.replace(
        command, meeting_date=_facts(service, command.unit_id).get("meeting_date"))
    [event] = run(service, command, actor)
    p = event["payload"]
    return {"unit_id": command.unit_id, "group_id": p["group_id"], "date": p["date"],
            "deadline": p["deadline"], "late": p["late"], "tasks": p["tasks"]}


def establish_branch(service, command, actor):
    run(service, command, actor)
    return {"group_id": command.group_id}


def request_leave(service, command, actor):
    run(service, command, actor)
    return {"leave_id": command.leave_id}


def decide_leave(service, command, actor):
    command = dataclasses.replace(
        command, actor_member_id=_member_acting(service, actor, command.group_id))
    run(service, command, actor)
    return {"leave_id": command.leave_id, "decision": command.decision}


def record_batch(service, command, actor):
    run(service, command, actor)
    return {"group_id": command.group_id, "member_id": command.member_id,
            "batch": command.batch}


def erase_group_member_data(service, command, actor):
    """The office forgets a group member's personal data: the group's stream records
    GroupMemberDataErased and the event store destroys the member's key with it."""
    run(service, command, actor)
    return {"group_id": command.group_id, "member_id": command.member_id, "erased": True}


# ------------------------------------------------------- R3 arrival tasks
def read_speech_draft(service, command, actor):
    command = dataclasses.replace(
        command, speech_draft=speech_draft(_facts(service, command.unit_id)))
    run(service, command, actor)
    return {"unit_id": command.unit_id}


def complete_task(service, command, actor):
    command = dataclasses.replace(
        command, meeting_held=bool(_facts(service, command.unit_id).get("meeting_held_on")))
    run(service, command, actor)
    return {"unit_id": command.unit_id, "task": command.task, "status": "done"}


# ----------------------------------------------------------- R4 plan review
def review_work_plan(service, command, actor):
    facts = _facts(service, command.unit_id)
    command = dataclasses.replace(command, plan_version=facts.get("plan_version"),
                                  plan=facts.get("plan"))
    [event] = run(service, command, actor)
    p = event["payload"]
    return {"unit_id": command.unit_id, "plan_version": p["plan_version"],
            "decision": p["decision"], "missing": p["missing"], "checklist": p["checklist"]}


def work_plan_checklist(service, request, actor):
    """The 一看/二看/三看 checklist on the latest submitted plan, before the verdict."""
    unit_id = request["unit_id"]
    check_read_unit(actor, unit_id, group_of(service, unit_id))
    facts = _facts(service, unit_id)
    if facts.get("plan") is None:
        raise NotFound(f"unit {unit_id} has not submitted a work plan", unit_id=unit_id)
    return {"unit_id": unit_id, "plan_version": facts["plan_version"],
            **check_work_plan(facts["plan"]).to_dict()}


# ------------------------------------------------------ R5/R6 phase gate
def transition_readiness(service, request, actor):
    """What the reviewer is shown before agreeing."""
    transition_id = request["transition_id"]
    app = _application(service, transition_id)
    check_read_unit(actor, app.unit_id, group_of(service, app.unit_id))
    readiness = _readiness(service, app.unit_id, app.from_phase)
    return {"transition_id": transition_id, "unit_id": app.unit_id,
            "from_phase": app.from_phase, "to_phase": app.to_phase, **readiness.to_dict(),
            "blockers": D.readiness_blockers(app.from_phase, readiness)}


def group_review(service, command, actor):
    app = _application(service, command.transition_id)
    command = dataclasses.replace(command, unit_id=app.unit_id, application=app,
                                  readiness=_readiness(service, app.unit_id, app.from_phase))
    [event] = run(service, command, actor)
    return {"transition_id": command.transition_id, "unit_id": app.unit_id,
            "status": "agreed" if event["type"] == "TransitionAgreed" else "returned",
            "readiness": event["payload"]["readiness"]}


def office_decision(service, command, actor):
    unit_id = _unit_of_transition(service, command.transition_id)
    app = transition_application(service.storage.get(TRANSITION_FACTS, command.transition_id))
    command = dataclasses.replace(command, unit_id=unit_id, application=app)
    [event] = run(service, command, actor)
    return {"transition_id": command.transition_id, "unit_id": unit_id,
            "status": "approved" if event["type"] == "TransitionApproved" else "rejected",
            "to_phase": event["payload"]["to_phase"]}


def extend_deadline(service, command, actor):
    facts = _facts(service, command.unit_id)
    command = dataclasses.replace(command, current_phase=facts.get("phase"),
                                  current_deadline=facts.get("phase_deadline"))
    [event] = run(service, command, actor)
    p = event["payload"]
    return {"unit_id": command.unit_id, "phase": p["phase"], "until": p["until"],
            "previous_deadline": p["previous_deadline"]}


# ------------------------------------------------------- R14/R15 field work
def record_inspection(service, command, actor):
    [event] = run(service, command, actor)
    return {"inspection_id": command.inspection_id, "total": event["payload"]["total"],
            "max_total": event["payload"]["max_total"]}


def record_committee_meeting(service, command, actor):
    run(service, command, actor)
    return {"meeting_id": command.meeting_id}


def record_working_office(service, command, actor):
    run(service, command, actor)
    return {"unit_id": command.unit_id}


# -------------------------------------------------------- R16/R17 reports
def file_report(service, command, actor):
    [event] = run(service, command, actor)
    return {"report_id": command.report_id, "urgent": event["payload"]["urgent"]}


def list_reports(service, request, actor):
    flt = _listing_scope(actor)
    for field in ("unit_id", "group_id", "kind"):
        if request.get(field) and field not in flt:
            flt[field] = request[field]
    if request.get("urgent") in ("1", "true"):
        flt["urgent"] = True
    return [_public(d) for d in service.storage.find(REPORTS, flt,
                                                     sort=[("date", 1), ("_id", 1)])]


def report_typical_case(service, command, actor):
    run(service, command, actor)
    return {"case_id": command.case_id}


def recommend_typical_case(service, command, actor):
    command = dataclasses.replace(command, unit_id=_unit_of_case(service, command.case_id))
    run(service, command, actor)
    return {"case_id": command.case_id, "recommended_to": command.recipient}


def publicise_typical_case(service, command, actor):
    command = dataclasses.replace(command, unit_id=_unit_of_case(service, command.case_id))
    run(service, command, actor)
    return {"case_id": command.case_id, "publicised": True}


# ---------------------------------------------------------------- briefings
def compile_briefing(service, command, actor):
    reports = service.storage.find(REPORTS, {"date": {"$gte": command.period_from,
                                                      "$lte": command.period_to}})
    command = dataclasses.replace(command, reports=[_public(r) for r in reports])
    [event] = run(service, command, actor)
    return {"briefing_id": command.briefing_id, "report_ids": event["payload"]["report_ids"]}


def _briefing(service, briefing_id: str) -> dict:
    doc = service.storage.get(BRIEFINGS, briefing_id)
    if doc is None:
        raise NotFound(f"briefing {briefing_id} does not exist", briefing_id=briefing_id)
    return doc


BRIEFING_LISTED = ("briefing_id", "title", "period_from", "period_to", "compiled_on", "report_ids")


def list_briefings(service, request, actor):
    """The compiled briefings, the newest first (what the office's list shows of each)."""
    _reading_everything(actor, "briefings")
    found = service.storage.find(BRIEFINGS, {})
    found.sort(key=lambda d: (d.get("compiled_on") or "", d.get("position") or 0), reverse=True)
    return [{k: d.get(k) for k in BRIEFING_LISTED} for d in found]


def get_briefing(service, request, actor):
    _reading_everything(actor, "briefings")
    return _public(_briefing(service, request["briefing_id"]))


def briefing_document(service, request, actor):
    _reading_everything(actor, "briefings")
    doc = _briefing(service, request["briefing_id"])
    items = [i for s in doc["sections"] for i in s["items"]]
    names = {}
    for collection, field in (("unit_directory", "unit_id"), (CONSOLE_GROUPS, "group_id")):
        ids = sorted({i[field] for i in items})
        names[field] = {d["_id"]: d.get("name") for d in
                        service.storage.find(collection, {"_id": {"$in": ids}})}
    content = briefing_docx(doc, names["unit_id"], names["group_id"])
    return {"__file__": {"filename": f"briefing-{doc['briefing_id']}.docx",
                         "media_type": DOCX_MEDIA_TYPE,
                         "content_base64": base64.b64encode(content).decode("ascii")}}


# ------------------------------------------------------------------ queries
def console(service, request, actor):
    """The office console: every group with its units, deadlines, late arrivals, pending
    reviews and approvals, urgent reports."""
    _reading_everything(actor, "the console")
    groups = [_public(g) for g in service.storage.find(CONSOLE_GROUPS, {}, sort=[("name", 1)])]
    units = [_public(u) for u in service.storage.find(
        CONSOLE_UNITS, {"group_id": {"$ne": None}}, sort=[("unit_id", 1)])]
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
        # 督办: what is overdue across the county, unanswered directives included
        "overdue": _overdue(service),
    }


def _overdue(service) -> list[dict]:
    return list_obligations(service, {"status": "overdue"}, SCHEDULER)


def unit_history(service, request, actor):
    unit_id = request["unit_id"]
    check_read_unit(actor, unit_id, group_of(service, unit_id))
    doc = service.storage.get(HISTORY, unit_id)
    if doc is None:
        raise NotFound(f"unit {unit_id} has no supervision history", unit_id=unit_id)
    summary = service.storage.get(CONSOLE_UNITS, unit_id) or {}
    return {**_public(doc), "summary": _public(summary)}


# ------------------------------------------------------------------ obligations (督促检查)
SCHEDULER = Actor(id="system:scheduler", name="scheduler", role="system")
LISTED = ("obligation_id", "type", "unit_id", "group_id", "owed_by", "subject", "due", "met_on",
          "status")


def list_obligations(service, request, actor):
    """Every obligation within the reader's scope, by due date; ``days_overdue`` on today's
    clock (statuses themselves come from the record: overdue once the scheduler said so)."""
    flt = _listing_scope(actor)
    for field in ("unit_id", "group_id"):
        if request.get(field) and field not in flt:
            flt[field] = request[field]
    now = today()
    found = [_listed(o, now) for doc in service.storage.find(OBLIGATIONS, flt)
             for o in doc.get("obligations", [])
             if request.get("status") in (None, o["status"]) and request.get("type") in (None, o["type"])]
    return sorted(found, key=lambda o: (o["due"], o["obligation_id"]))


def _listed(obligation: dict, now: str) -> dict:
    return {**{k: obligation[k] for k in LISTED},
            "days_overdue": D.obligations.days_overdue(obligation, now)}


def obligations_workbook(service, request, actor):
    """The obligations ``list_obligations`` answers, as an Excel workbook (a file result)."""
    listed = list_obligations(service, request, actor)
    units = _names(service, UNIT_FACTS, {o["unit_id"] for o in listed})
    groups = _names(service, PORTFOLIOS, {o["group_id"] for o in listed})
    content = obligations_workbook_bytes(listed, units, groups)
    return {"__file__": {"filename": f"obligations-{today()}.xlsx", "media_type": XLSX_MEDIA_TYPE,
                         "content_base64": base64.b64encode(content).decode("ascii")}}


def _names(service, collection: str, ids: set) -> dict:
    """The names of just the units or groups listed (not every one in the county)."""
    wanted = sorted(i for i in ids if i)
    return {d["_id"]: d["name"] for d in service.storage.find(collection, {"_id": {"$in": wanted}})
            if d.get("name")} if wanted else {}


def waive_obligation(service, command, actor):
    doc = service.storage.get(OBLIGATIONS, command.party) or {}
    obligation = next((o for o in doc.get("obligations", [])
                       if o["obligation_id"] == command.obligation_id), None)
    run(service, dataclasses.replace(command, obligation=obligation), actor)
    return {"obligation_id": command.obligation_id, "status": "waived"}


def observe_due_obligations(service) -> int:
    """The scheduler's tick (one instance at a time, by lease): for each unit with open
    obligations whose due date lies before today, record them falling overdue, and those
    recorded overdue that are met now (or moved) no longer so. Returns how many events it
    recorded."""
    held, _ = service.scheduler.hold()
    if not held:
        return 0
    now, recorded = today(), 0
    for doc in service.storage.find(OBLIGATIONS):
        listed = doc.get("obligations", [])
        due = D.obligations.fallen_due(listed, now)
        settled = D.obligations.no_longer_overdue(listed, doc)
        if due or settled:
            command = D.RecordOverdue(
                party=doc["party"], today=now, actor=SCHEDULER,
                obligations=tuple({"obligation_id": o["obligation_id"], "type": o["type"], "due": o["due"]}
                                  for o in due),
                settled=tuple({"obligation_id": o["obligation_id"], "type": o["type"], "status": o["status"]}
                              for o in settled))
            recorded += len(run(service, command, SCHEDULER))
    return recorded


# ------------------------------------------------------------------ directives (督办)
def _obligation_of(service, party: str, obligation_id: str | None) -> dict | None:
    if obligation_id is None:
        return None
    doc = service.storage.get(OBLIGATIONS, party) or {}
    return next((o for o in doc.get("obligations", []) if o["obligation_id"] == obligation_id), None)


def send_directive(service, command, actor):
    """The facts the rule needs: the unit's group (a supervisor directs only its own
    units), whether the recipient exists, and the obligation named, if any."""
    unit_id, group_id = command.unit_id, command.recipient_group_id
    command = dataclasses.replace(
        command, unit_group_id=group_of(service, unit_id) if unit_id else None,
        unit_known=bool(unit_id and service.storage.get(UNIT_FACTS, unit_id)),
        group_known=bool(group_id and service.storage.get(PORTFOLIOS, group_id)),
        obligation=_obligation_of(service, unit_id or group_id, command.obligation_id))
    run(service, command, actor)
    return {"directive_id": command.directive_id}


def acknowledge_directive(service, command, actor):
    [event] = run(service, command, actor)
    return {"directive_id": command.directive_id, "acknowledged_on": event["payload"]["acknowledged_on"]}


def reply_to_directive(service, command, actor):
    replied = run(service, command, actor)[-1]["payload"]
    return {"directive_id": command.directive_id, "replied_on": replied["replied_on"]}
