"""What the study service does with each request, one function per entrypoint:
``handler(service, request, actor)`` where ``request`` is what the entrypoint's schema
loaded (a command for commands, a dict for queries) and ``actor`` an ``Actor``.

Commands: check who acts (shared/access.py), add the unit's roster (the
``study_rosters`` projection of the units log), then run the command the one way every
command runs: ``execute(stream_of(c), decide, fold_for(c), c)``. One reaction, to the units
service's ``MemberEnrolled``, runs a command the same way (``REACTIONS``). Queries answer from the
projections in ``projections.py``. Who may read a unit is the shared policy; the one fact
it needs that study does not keep — which group supervises the unit — is asked of the
supervision service through ``ask_peer`` (a 503 refusal when it cannot say)."""
from __future__ import annotations

import base64
import dataclasses

from services.study import domain as D
from services.study.domain.config import config_from_environment
from services.study.ledger import XLSX_MEDIA_TYPE, ledger_bytes
from services.study.projections import county_view, member_view, sheet_view
from shared.access import check_read_unit, check_unit_acts_on_itself
from shared.domain import Actor, Forbidden, NotFound
from shared.service_kit import ask_peer

# DUDAO_CAMPAIGN_START moves the campaign calendar (shared/clock.py)
CONFIG = config_from_environment()


def _decide(state, command):
    return D.decide(state, command, CONFIG)


def _execute(service, command, actor: Actor) -> list[dict]:
    return service.storage.execute(D.stream_of(command), _decide, D.fold_for(command), command,
                                   actor=actor)


def _roster(service, unit_id: str) -> D.UnitRoster | None:
    doc = service.storage.get("study_rosters", unit_id)
    return D.UnitRoster.from_doc(doc) if doc else None


def _with_roster(service, command):
    return dataclasses.replace(command, roster=_roster(service, command.unit_id))


def _group_of(service, unit_id: str) -> str | None:
    return ask_peer(service.cluster, "supervision", "group_of_unit",
                    "a supervisor reads only the units assigned to their group", unit_id=unit_id)


def _check_reader(service, actor: Actor, unit_id: str) -> None:
    """The shared read policy; only a supervisor's read needs the unit's group."""
    group_id = _group_of(service, unit_id) if actor.role == "supervisor" else None
    check_read_unit(actor, unit_id, group_id)


def unit_known(service, unit_id: str) -> bool:
    """A unit the units log has registered (evidence files: shared.service_kit.attachments)."""
    return (service.storage.get("unit_directory", unit_id) or {}).get("name") is not None


group_of = _group_of  # the unit's group, for a supervisor's download of an evidence file


def _sessions(service, unit_id: str) -> list[dict]:
    return service.storage.find("study_sessions", {"unit_id": unit_id},
                                sort=[("date", 1), ("_id", 1)])


def _sheet(service, unit_id: str, sessions: list[dict]) -> dict:
    doc = service.storage.get("study_units", unit_id)
    if doc is None:
        raise NotFound(f"unit {unit_id} is not known to the study service", unit_id=unit_id)
    return sheet_view(doc, sessions, CONFIG)


# ------------------------------------------------------------ commands

def set_study_plan(service, command: D.SetStudyPlan, actor: Actor) -> dict:
    """R9: personnel, time, content and effect all fixed (四落实)."""
    check_unit_acts_on_itself(actor, command.unit_id)
    payload = _execute(service, _with_roster(service, command), actor)[0]["payload"]
    return {"unit_id": command.unit_id, "plan_version": payload["plan_version"],
            "warnings": payload["warnings"]}


def record_session(service, command: D.RecordStudySession, actor: Actor) -> dict:
    """R10 forms and content; R8 calendar flags."""
    check_unit_acts_on_itself(actor, command.unit_id)
    payload = _execute(service, _with_roster(service, command), actor)[0]["payload"]
    return {"session_id": command.session_id, "unit_id": command.unit_id,
            "calendar_flags": payload["calendar_flags"]}


def record_attendance(service, command: D.RecordAttendance, actor: Actor) -> dict:
    """The unit is found through the session."""
    session = service.storage.get("study_sessions", command.session_id)
    if session is None:
        raise NotFound("no such study session", session_id=command.session_id)
    check_unit_acts_on_itself(actor, session["unit_id"])
    command = _with_roster(service, dataclasses.replace(command, unit_id=session["unit_id"]))
    _execute(service, command, actor)
    return {"session_id": command.session_id, "unit_id": command.unit_id,
            "member_ids": list(command.member_ids)}


def _with_group(service, command, actor: Actor):
    """A supervisor exempts only at a unit of its own group: the domain is told which."""
    if actor.role != "supervisor":
        return command
    return dataclasses.replace(command, unit_group_id=_group_of(service, command.unit_id))


def grant_exemption(service, command: D.GrantExemption, actor: Actor) -> dict:
    """R7: a recorded exemption, by the unit's supervision group or the office, never the unit.

    "一般" allows an exemption, never a silent one, and never the unit's judgement of itself."""
    _execute(service, _with_roster(service, _with_group(service, command, actor)), actor)
    return {"unit_id": command.unit_id, "member_id": command.member_id}


def revoke_exemption(service, command: D.RevokeExemption, actor: Actor) -> dict:
    """With the roster: the revocation may undo a floor reached (StudyFloorLapsed)."""
    _execute(service, _with_roster(service, _with_group(service, command, actor)), actor)
    return {"unit_id": command.unit_id, "member_id": command.member_id, "revoked": True}


# ------------------------------------------------------------ reactions

def on_member_enrolled(ctx, env: dict) -> list[dict]:
    """The units service's ``MemberEnrolled``, inside the inbox transaction that has just
    applied it to ``study_rosters``: the unit's study stream decides on the roster with the
    new member, so a floor reached before lapses in the same transaction (domain/floor.py).
    The enrolment's date is its envelope's, so a replay decides alike."""
    doc = ctx.get("study_rosters", env["payload"]["unit_id"])
    command = _enrolment(env, D.UnitRoster.from_doc(doc) if doc else None)
    return ctx.execute(D.stream_of(command), _decide, D.fold_for(command), command)


def _enrolment(env: dict, roster: D.UnitRoster | None) -> D.NoteMemberEnrolled:
    return D.NoteMemberEnrolled(unit_id=env["payload"]["unit_id"],
                                member_id=env["payload"]["member_id"], roster=roster,
                                today=env["occurred_at"][:10])


def on_members_enrolled(ctx, envs: list[dict]) -> list[dict]:
    """``on_member_enrolled`` over a run of enrolments at once (a roster import appends
    thousands; the inbox hands its runs over whole, shared.service_kit.storage): called before
    the run is applied to ``study_rosters``, it reads each unit's roster and study stream once,
    folds the enrolments into the roster one by one (``evolve_roster``, as the projection
    does) and decides each on the roster with that member, as if alone: what it appends, and
    with which cause and date, is what one reaction per event would have appended. Reading
    and rewriting the whole roster per member made an import of 5,000 quadratic."""
    appended: list[dict] = []
    by_unit: dict[str, list[dict]] = {}
    for env in envs:
        by_unit.setdefault(env["payload"]["unit_id"], []).append(env)
    for unit_id, enrolments in by_unit.items():  # one unit's stream is another's business
        doc = ctx.get("study_rosters", unit_id)
        roster = D.UnitRoster.from_doc(doc) if doc else None
        stream = D.unit_stream(unit_id)
        history = ctx.load(stream)
        state = D.fold_envelopes(history)
        version = history[-1]["version"] if history else 0
        for env in enrolments:
            roster = D.evolve_roster(roster, env)
            events = _decide(state, _enrolment(env, roster))
            if not events:
                continue
            written = ctx.caused_by(env).append(stream, version, events)
            for envelope in written:
                state = D.evolve_envelope(state, envelope)
            version = written[-1]["version"]
            appended += written
    return appended


on_member_enrolled.run = on_members_enrolled  # the inbox's runs, at once

REACTIONS = {"units": {"MemberEnrolled": on_member_enrolled}}


# ------------------------------------------------------------ queries

def unit_study(service, query: dict, actor: Actor) -> dict:
    """The compliance sheet, members below the floor first."""
    _check_reader(service, actor, query["unit_id"])
    return _sheet(service, query["unit_id"], _sessions(service, query["unit_id"]))


def member_study(service, query: dict, actor: Actor) -> dict:
    """One member's hours, coverage, exemption; an outsider is not told whose member
    this is (not found rather than forbidden)."""
    member_id = query["member_id"]
    doc = service.storage.get("study_members", member_id)
    if doc is None or not doc.get("unit_id"):
        raise NotFound(f"no study record for member {member_id}", member_id=member_id)
    try:
        _check_reader(service, actor, doc["unit_id"])
    except Forbidden:
        raise NotFound(f"no study record for member {member_id}", member_id=member_id) from None
    return member_view(doc, CONFIG)


def county(service, query: dict, actor: Actor) -> dict:
    """Units by compliance, least compliant first (?batch= narrows to one batch)."""
    rows = [county_view(d, CONFIG) for d in service.storage.find("study_units")]
    if query["batch"]:
        rows = [r for r in rows if str(r.get("batch")) == query["batch"]]
    return {"floor": CONFIG.floor_hours, "units": D.county_table(rows)}


def ledger(service, query: dict, actor: Actor) -> dict:
    """The 学习台账 as an Excel workbook: a file result the gateway serves as bytes."""
    unit_id = query["unit_id"]
    _check_reader(service, actor, unit_id)
    sessions = _sessions(service, unit_id)
    content = ledger_bytes(_sheet(service, unit_id, sessions), sessions)
    return {"__file__": {"filename": f"study-ledger-{unit_id}.xlsx",
                         "media_type": XLSX_MEDIA_TYPE,
                         "content_base64": base64.b64encode(content).decode("ascii")}}


def readiness(service, query: dict, actor: Actor) -> dict:
    """For units and supervision before a phase-1 transition (R7): do the unit's members
    meet the floor (exemptions counted), who does not, and how far short. A unit the
    study service does not know is simply not ready."""
    unit_id = query["unit_id"]
    roster = _roster(service, unit_id) or D.UnitRoster(unit_id=unit_id)
    state = D.fold_envelopes(service.storage.load(D.unit_stream(unit_id)))
    return D.readiness(state, roster, CONFIG)
