"""What the units service does with a request once its schema has built the command:
decide it against the unit's stream and append (``_run``), answer a query from the
projections, or react to another service's event.

Handlers are ``handler(service, request, actor)``: ``request`` is the command the
schema's ``@post_load`` built (or a query's loaded fields), ``actor`` an ``Actor``.
Who may act on a unit is the domain's rule (a unit only on itself, the office
registers); who may read which unit is ``shared.access``.

The unit's phase changes only by its own mobilisation meeting and by the reactions
below to supervision's and evaluation's events (R5, R6, R12).
"""
from __future__ import annotations

import base64
import dataclasses
import datetime

from services.units import domain as D
from services.units import roster_workbook, unit_list_workbook
from services.units.domain import phases as P
from services.units.domain.config import config_from_environment
from services.units.import_workbook import Sheet
from services.units.ledger_view import county_view, ledger_view
from services.units.ledger_workbook import XLSX_MEDIA_TYPE
from services.units.ledger_workbook import workbook_bytes as ledger_workbook_bytes
from services.units.projections import CARDS, MEMBERS, RETENTION, county_overview
from services.units.schemas import RosterUpload, Upload, roster_row_problems, unit_row_problems
from services.units.translate import CONSUMED, command_for
from shared import access
from shared.clock import today
from shared.config import settings
from shared.domain import Actor, Forbidden, NotFound, Rejected, events_of
from shared.edge import actor_from
from shared.service_kit import PeerUnavailable, ask_peer
from shared.service_kit import attachments as files

EVIDENCE_PURPOSE = "measure_evidence"

# the county's configuration (batch calendars, R7 readiness, R22 leader measures);
# DUDAO_CAMPAIGN_START moves the calendar (shared/clock.py)
CONFIG = config_from_environment()

WHY_READINESS = "a unit leaves 学习动员 only with its study readiness"
WHY_ANALYSIS = "a unit leaves 分析评议 only with the evaluation service's phase-2 readiness"


def decide(state, command):
    return D.decide(state, command, CONFIG)


def _run(service, command, actor: Actor) -> list[dict]:
    """Every command the same way: fold its stream, decide, append what it decided."""
    return service.storage.execute(D.stream_of(command), decide, D.fold_for(command), command, actor=actor)


def _payload(appended: list[dict], kind: str) -> dict:
    return next((env["payload"] for env in appended if env["type"] == kind), {})


def _public(doc: dict) -> dict:
    doc = dict(doc)
    doc.pop("_id", None)
    return doc


# --- reactions: other services' decisions become system commands on the unit ----------

def react(ctx, env):
    command = command_for(env, actor_from(ctx.actor))
    if command is None:
        return []
    return ctx.execute(D.stream_of(command), decide, D.fold_for(command), command)


REACTIONS = {source: {kind: react for kind in kinds} for source, kinds in CONSUMED.items()}


# --- the office ------------------------------------------------------------------------

def register_unit(service, command: D.RegisterUnit, actor):
    # the unit id was minted for this request (schemas.RegisterUnitSchema): a new stream
    service.storage.execute(D.stream_of(command), decide, D.fold_for(command), command, actor=actor,
                            fresh=True)
    return {"unit_id": command.unit_id}


# --- membership (R20, R21) ---------------------------------------------------------------

def add_section(service, command: D.AddSection, actor):
    _run(service, command, actor)
    return {"unit_id": command.unit_id, "section": command.section.strip()}


def enrol_member(service, command: D.EnrolMember, actor):
    _run(service, command, actor)
    return {"member_id": command.member_id}


def _roster(upload: RosterUpload) -> tuple[D.EnrolMembers, list[dict], list[str], int]:
    """The file's rows checked by the single-enrolment schema: the command of the rows that
    pass it, the problems of those that do not, the ignored headers, the row count."""
    rows, ignored = roster_workbook.read_rows(upload.data)
    entries, problems = [], []
    for number, raw in rows:
        loaded, found = roster_row_problems(number, raw, upload.unit_id)
        problems.extend(found)
        if loaded is not None:
            entries.append(D.RosterEntry(row=number, member_id=upload.new_id("m"), name=loaded["name"],
                                         section=loaded["section"], is_leader=loaded["is_leader"],
                                         is_retired=loaded["is_retired"]))
    return D.EnrolMembers(actor=upload.actor, unit_id=upload.unit_id, entries=tuple(entries)), \
        problems, ignored, len(rows)


def _labelled(problems: list[dict], sheet: Sheet = roster_workbook.ROSTER) -> list[dict]:
    """Sorted by row and column, each naming its column's header (the file's words)."""
    order, header_of = sheet.order, sheet.header_of
    return [{**p, "column_label": header_of.get(p["column"])}
            for p in sorted(problems, key=lambda p: (p["row"], order.get(p["column"], 99)))]


def _preview(problems: list[dict], rows: int, would: tuple[str, int], ignored: list[str], **ids) -> dict:
    """What a list's preview answers (the roster's and the unit list's alike): ``would`` is
    (the field, how many the import would make: none while any row has a problem)."""
    field, count = would
    return {**ids, "rows": rows, "problems": problems, "bad_rows": sorted({p["row"] for p in problems}),
            field: 0 if problems else count, "ignored_columns": ignored}


def preview_roster(service, upload: RosterUpload, actor):
    """Every row's problems, nothing stored: what the import would answer."""
    command, problems, ignored, rows = _roster(upload)
    state = D.fold_for(command)(service.storage.load(D.stream_of(command)))
    problems = _labelled(problems + D.roster_problems(state, command))
    return _preview(problems, rows, ("would_enrol", len(command.entries)), ignored, unit_id=upload.unit_id)


def import_roster(service, upload: RosterUpload, actor):
    """All or nothing: one MemberEnrolled per row in one append, or a 422 naming every bad
    row and column."""
    command, problems, _ignored, rows = _roster(upload)
    if problems:
        state = D.fold_for(command)(service.storage.load(D.stream_of(command)))
        raise D.refuse_roster(_labelled(problems + D.roster_problems(state, command)), rows)
    try:
        appended = _run(service, command, actor)
    except Rejected as err:
        if "problems" in err.details:
            err.details["problems"] = _labelled(err.details["problems"])
        raise
    ids = [env["payload"]["member_id"] for env in appended if env["type"] == "MemberEnrolled"]
    return {"unit_id": upload.unit_id, "rows": rows, "enrolled": len(ids), "member_ids": ids}


# --- the office's unit list (单位名单, issue 17): register every unit of a file, or none ----

def _unit_list(service, upload: Upload) -> tuple[list[D.RegisterUnit], list[dict], list[str], int]:
    """The file's rows checked by the schema of single registration and by its decision (on
    a new stream), names repeated in the file or already registered: the commands of the
    rows that pass, the problems of those that do not, the ignored headers, the row count."""
    rows, ignored = unit_list_workbook.read_rows(upload.data)
    known = {(c.get("name") or "").strip(): c["unit_id"]
             for c in service.storage.find(CARDS, {"stub": {"$ne": True}})}
    commands, problems, seen = [], [], {}
    for number, raw in rows:
        loaded, found = unit_row_problems(number, raw)
        if loaded is not None:
            command = D.RegisterUnit(actor=upload.actor, unit_id=upload.new_id("u"), name=loaded["name"],
                                     org_type=loaded["org_type"], batch=loaded["batch"],
                                     sections=tuple(loaded["sections"]))
            try:
                decide(None, command)
            except Rejected as err:
                column = next((f for f in ("batch", "org_type", "sections", "name") if f in err.details), None)
                found.append({"row": number, "column": column, "code": "invalid", "message": err.message,
                              "value": raw.get(column) if column else None})
            name = loaded["name"].strip()
            if name in seen:
                found.append({"row": number, "column": "name", "code": "duplicate_row", "other_row": seen[name],
                              "message": f"the same name as row {seen[name]}", "value": name})
            elif name in known and known[name] != command.unit_id:  # (the same id: this request's retry)
                found.append({"row": number, "column": "name", "code": "duplicate_unit",
                              "message": "a unit of this name is already registered", "value": name,
                              "unit_id": known[name]})
            seen.setdefault(name, number)
            if not found:
                commands.append(command)
        problems.extend(found)
    return commands, _labelled(problems, unit_list_workbook.UNIT_LIST), ignored, len(rows)


def preview_unit_list(service, upload: Upload, actor):
    """Every row's problems, nothing stored: what the import would answer."""
    commands, problems, ignored, rows = _unit_list(service, upload)
    return _preview(problems, rows, ("would_register", len(commands)), ignored)


def import_unit_list(service, upload: Upload, actor):
    """All or nothing: one UnitRegistered per row, every unit's new stream in one
    transaction, or a 422 naming every bad row and column (nothing registered). A retry with
    the same Idempotency-Key mints the same unit ids: its units are not "already registered",
    and the store answers what the first appended."""
    commands, problems, _ignored, rows = _unit_list(service, upload)
    if problems:
        raise Rejected(f"{len({p['row'] for p in problems})} of {rows} rows cannot be registered; "
                       "nothing was registered", problems=problems, rows=rows,
                       bad_rows=sorted({p["row"] for p in problems}))
    service.storage.execute_new(commands, D.stream_of, decide, actor=actor)
    ids = [c.unit_id for c in commands]
    return {"rows": rows, "registered": len(ids), "unit_ids": ids}


def unit_list_template(service, query: dict, actor):
    """The office's unit list template (.xlsx): 党组织类型 and 批次 offered as lists."""
    if actor.role != "office":
        raise Forbidden("only the leading-group office registers units", role=actor.role)
    return {"__file__": {"filename": "unit-list-template.xlsx", "media_type": XLSX_MEDIA_TYPE,
                         "content_base64": base64.b64encode(unit_list_workbook.template_bytes()).decode("ascii")}}


def roster_template(service, query: dict, actor):
    """The unit's roster template (.xlsx): its sections offered as a list."""
    card = _card(service, query["unit_id"], actor)
    content = roster_workbook.template_bytes(card["name"], list(card["sections"]))
    return {"__file__": {"filename": f"roster-template-{card['unit_id']}.xlsx", "media_type": XLSX_MEDIA_TYPE,
                         "content_base64": base64.b64encode(content).decode("ascii")}}


def erase_member_data(service, request: dict, actor):
    """The office forgets a member's personal data: their unit's stream records
    PersonalDataErased and the event store destroys the member's key with it
    (shared.personal_data). Refused before anything is looked up for anyone but the office."""
    if actor.role != "office":
        raise Forbidden("only the leading-group office erases a member's personal data", role=actor.role)
    member = service.storage.get(MEMBERS, request["member_id"])
    if member is None:
        raise NotFound(f"no member {request['member_id']!r}", member_id=request["member_id"])
    command = D.ErasePersonalData(actor=actor, unit_id=member["unit_id"], member_id=request["member_id"],
                                  reason=request["reason"])
    _run(service, command, actor)
    return {"member_id": command.member_id, "unit_id": command.unit_id, "erased": True}


def form_study_group(service, command: D.FormStudyGroup, actor):
    _run(service, command, actor)
    return {"study_group_id": command.study_group_id}


def place_member(service, command: D.PlaceMemberInStudyGroup, actor):
    _run(service, command, actor)
    return {"study_group_id": command.study_group_id, "member_id": command.member_id}


def assign_contact_points(service, command: D.AssignContactPoints, actor):
    _run(service, command, actor)
    return {"member_id": command.member_id, "sections": list(command.sections)}


# --- the work plan (R4) and requirements (R11) --------------------------------------------

def submit_work_plan(service, command: D.SubmitWorkPlan, actor):
    appended = _run(service, command, actor)
    return {"unit_id": command.unit_id,
            "plan_version": _payload(appended, "WorkPlanSubmitted").get("plan_version")}


def set_requirements(service, command: D.SetRequirements, actor):
    _run(service, command, actor)
    return {"unit_id": command.unit_id}


# --- the mobilisation meeting ----------------------------------------------------------------

def schedule_meeting(service, command: D.ScheduleMobilizationMeeting, actor):
    _run(service, command, actor)
    return {"unit_id": command.unit_id, "date": command.date}


def hold_meeting(service, command: D.HoldMobilizationMeeting, actor):
    appended = _run(service, command, actor)
    entered = _payload(appended, "PhaseEntered")
    return {"unit_id": command.unit_id, "date": _payload(appended, "MobilizationMeetingHeld").get("date"),
            "phase": entered.get("phase"), "deadline": entered.get("deadline")}


# --- the phase gate (R5): the unit applies; supervision decides ------------------------------

def _peer_readiness(service, peer: str, why: str, unit_id: str) -> dict:
    """A peer's readiness(unit_id) answer, or the 503 refusal of ``ask_peer`` (the one
    failure rule for questions to a peer)."""
    answer = ask_peer(service.cluster, peer, "readiness", why, unit_id=unit_id)
    if not isinstance(answer, dict) or "ready" not in answer:
        raise PeerUnavailable(f"the {peer} service's readiness answer is malformed; {why}", service=peer)
    return answer


def study_readiness(service, unit_id: str) -> dict:
    """The study service's readiness(unit_id) answer (R7)."""
    return _peer_readiness(service, "study", WHY_READINESS, unit_id)


def analysis_readiness(service, unit_id: str) -> dict:
    """The evaluation service's phase-2 readiness(unit_id) answer (R22, R23)."""
    return _peer_readiness(service, "evaluation", WHY_ANALYSIS, unit_id)


def _may_apply(state, command: D.ApplyForTransition, actor: Actor) -> bool:
    """Only when a peer's answer decides: the domain refuses every other application first."""
    return (state is not None and state.open_application is None
            and actor.role == "unit" and actor.scope == command.unit_id)


def _asks_study(state, command: D.ApplyForTransition, actor: Actor) -> bool:
    return (_may_apply(state, command, actor) and state.phase == P.MOBILIZATION
            and state.requirements is not None and CONFIG.require_study_readiness)


def _asks_evaluation(state, command: D.ApplyForTransition, actor: Actor) -> bool:
    return (_may_apply(state, command, actor) and state.phase == P.ANALYSIS
            and CONFIG.require_analysis_readiness)


def apply_for_transition(service, command: D.ApplyForTransition, actor):
    state = D.fold_for(command)(service.storage.load(D.stream_of(command)))
    if _asks_study(state, command, actor):
        command = dataclasses.replace(command, study_readiness=study_readiness(service, command.unit_id))
    if _asks_evaluation(state, command, actor):
        command = dataclasses.replace(command, analysis_readiness=analysis_readiness(service, command.unit_id))
    applied = _payload(_run(service, command, actor), "TransitionApplied")
    return {"transition_id": command.transition_id, "from_phase": applied.get("from_phase"),
            "to_phase": applied.get("to_phase")}


# --- rectification (R22) and notification (R12, R23) -----------------------------------------

def add_rectification_measure(service, command: D.AddRectificationMeasure, actor):
    _run(service, command, actor)
    return {"measure_id": command.measure_id}


def complete_rectification_measure(service, command: D.CompleteRectificationMeasure, actor):
    _run(service, _with_evidence(service, command), actor)
    return {"measure_id": command.measure_id, "completed_on": command.completed_on}


def notify_public(service, command: D.NotifyPublic, actor):
    _run(service, command, actor)
    return {"notification_id": command.notification_id, "scope_size": len(command.scope),
            "date": command.date}


# --- retention of the people notified (issue 19) ----------------------------------------------
RETENTION_ACTOR = Actor(id="system:retention", name="retention", role="system")


def observe_retention(service) -> int:
    """The retention's tick (one instance at a time, by lease): for each accepted unit
    whose retention (DUDAO_RETENTION_DAYS after acceptance) has passed and who still has
    names of people it notified, erase them. The rule decides nothing once they are gone,
    so a repeated tick, a restart or a second instance appends nothing more. Returns how
    many units' names it erased."""
    held, _ = service.retention.hold()
    if not held:
        return 0
    now, days, erased = today(), settings().retention_days, 0
    for doc in service.storage.find(RETENTION, {"accepted_on": {"$ne": None}}):
        if not set(doc.get("respondents", [])) - set(doc.get("erased", [])):
            continue
        if now < (datetime.date.fromisoformat(doc["accepted_on"]) + datetime.timedelta(days=days)).isoformat():
            continue  # not yet due by the read model: the stream is not even loaded
        state = D.fold(events_of(service.storage.load(D.unit_stream(doc["unit_id"]))))
        due = D.rectification.retention_due(state, days) if state else None
        if due is None or now < due:
            continue
        command = D.EraseRespondentNames(actor=RETENTION_ACTOR, unit_id=doc["unit_id"], today=now,
                                         retention_days=days)
        erased += bool(_run(service, command, RETENTION_ACTOR))
    return erased


# --- the rectification ledger (整改台账) ------------------------------------------------------

def _with_group(service, command):
    """The unit's group, as the card knows it (supervision's UnitAssigned): who may re-check."""
    return dataclasses.replace(command, group_id=group_of(service, command.unit_id))


def record_problem(service, command: D.RecordProblem, actor):
    _run(service, _with_group(service, command), actor)
    return {"problem_id": command.problem_id, "unit_id": command.unit_id}


def add_ledger_measure(service, command: D.AddRectificationMeasure, actor):
    _run(service, command, actor)
    return {"measure_id": command.measure_id, "problem_id": command.problem_id}


def _with_evidence(service, command: D.CompleteRectificationMeasure):
    """The named files, checked against this service's own files: each stored here, the
    unit's, measure evidence (Rejected naming each one that is not); the domain refuses a
    completion with none."""
    if not command.attachment_ids:
        return command
    facts = files.attachments_of_unit(service.storage, command.attachment_ids, command.unit_id,
                                      EVIDENCE_PURPOSE)
    evidence = tuple({"attachment_id": f["attachment_id"], "sha256": f["sha256"], "size": f["size"]}
                     for f in facts)
    return dataclasses.replace(command, evidence=evidence)


def complete_ledger_measure(service, command: D.CompleteRectificationMeasure, actor):
    _run(service, _with_evidence(service, command), actor)
    return {"measure_id": command.measure_id, "completed_on": command.completed_on,
            "attachment_ids": list(command.attachment_ids)}


def review_measure(service, command: D.ReviewMeasure, actor):
    appended = _run(service, _with_group(service, command), actor)
    returned = _payload(appended, "MeasureReturned")
    return {"measure_id": command.measure_id, "decision": command.decision,
            "returns": returned.get("returns"),
            "problem_signed_off": any(env["type"] == "ProblemSignedOff" for env in appended)}


def reopen_measure(service, command: D.ReopenMeasure, actor):
    _run(service, command, actor)
    return {"measure_id": command.measure_id, "status": "open"}


def accept_problem(service, command: D.AcceptProblem, actor):
    _run(service, command, actor)
    return {"problem_id": command.problem_id, "status": "open"}


def answer_problem(service, command: D.AnswerProblem, actor):
    _run(service, command, actor)
    return {"problem_id": command.problem_id, "status": "answered"}


def propose_carry_forward(service, command: D.ProposeCarryForward, actor):
    _run(service, command, actor)
    return {"problem_id": command.problem_id, "status": "carry_proposed"}


def review_carry_forward(service, command: D.ReviewCarryForward, actor):
    _run(service, _with_group(service, command), actor)
    return {"problem_id": command.problem_id,
            "status": "carried" if command.decision == "accept" else "open"}


def rectification_ledger(service, query: dict, actor):
    """The unit's ledger, folded from its own stream: the re-check follows the unit's report
    within seconds, and the ledger is the unit's state itself (no projection to lag it)."""
    card = _card(service, query["unit_id"], actor)
    state = D.fold(events_of(service.storage.load(D.unit_stream(card["unit_id"]))))
    return ledger_view(state, today())


def _file(filename: str, content: bytes) -> dict:
    return {"__file__": {"filename": filename, "media_type": XLSX_MEDIA_TYPE,
                         "content_base64": base64.b64encode(content).decode("ascii")}}


def rectification_workbook(service, query: dict, actor):
    """One unit's ledger as an Excel workbook (a file result)."""
    view = rectification_ledger(service, query, actor)
    return _file(f"rectification-{view['unit_id']}-{view['as_of']}.xlsx", ledger_workbook_bytes([view]))


def _scoped_ledgers(service, actor, now: str) -> list[tuple[dict, dict]]:
    """Every ledger the reader may see (the office and auditors: the county; a supervisor: its
    group's units; a unit: itself), each with its card."""
    scope = access.readable_scope(actor, unit_field="_id")
    if scope is None:
        raise Forbidden("you may not read rectification ledgers", role=actor.role)
    cards = service.storage.find(CARDS, {"stub": {"$ne": True}, **scope}, sort=[("batch", 1), ("name", 1)])
    return [(c, ledger_view(D.fold(events_of(service.storage.load(D.unit_stream(c["unit_id"])))), now))
            for c in cards]


def county_rectification_workbook(service, query: dict, actor):
    """Every ledger within the reader's scope, one workbook."""
    now = today()
    views = [view for _, view in _scoped_ledgers(service, actor, now)]
    return _file(f"rectification-county-{now}.xlsx", ledger_workbook_bytes(views))


def rectification_county(service, query: dict, actor):
    """The ledgers within the reader's scope at a glance (the county overview page)."""
    now = today()
    return county_view(_scoped_ledgers(service, actor, now), now)


# --- evidence files (shared.service_kit.attachments): what units knows of a unit -----------

def unit_known(service, unit_id: str) -> bool:
    card = service.storage.get(CARDS, unit_id)
    return card is not None and not card.get("stub")


def group_of(service, unit_id: str) -> str | None:
    return (service.storage.get(CARDS, unit_id) or {}).get("group_id")


# --- queries ---------------------------------------------------------------------------------

def _card(service, unit_id: str, actor: Actor) -> dict:
    card = service.storage.get(CARDS, unit_id)
    if card is None or card.get("stub"):
        raise NotFound(f"no unit {unit_id}", unit_id=unit_id)
    access.check_read_unit(actor, unit_id, card.get("group_id"))
    return card


def get_unit(service, query: dict, actor):
    return _public(_card(service, query["unit_id"], actor))


def list_units(service, query: dict, actor):
    scope = access.readable_scope(actor, unit_field="_id")
    if scope is None:
        raise Forbidden("you may not list units", role=actor.role)
    found = {"stub": {"$ne": True}, **scope}
    if query.get("batch") is not None:
        found["batch"] = query["batch"]
    if query.get("phase"):
        found["phase"] = query["phase"]
    cards = service.storage.find(CARDS, found, sort=[("batch", 1), ("name", 1)])
    return [_public(card) for card in cards]


def list_members(service, query: dict, actor):
    card = _card(service, query["unit_id"], actor)
    members = [_public(m) for m in service.storage.find(MEMBERS, {"unit_id": card["unit_id"]},
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


def overview(service, query: dict, actor):
    if access.readable_scope(actor) != {}:  # the county as a whole: for those who read every unit
        raise Forbidden("only the office and auditors see the county overview", role=actor.role)
    return county_overview(service.storage.find(CARDS, {"stub": {"$ne": True}}))
