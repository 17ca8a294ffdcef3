"""The evaluation service's handlers: command -> decide -> append, and the queries.

Each handler is ``handler(service, request, actor)``: ``request`` is what the entrypoint's
schema loaded (a command dataclass, or a dict where the command needs the survey's sealed
record first), ``actor`` an ``Actor``. Facts other services own (the unit's phase,
members, notified scope, group) come from evaluation's own projections of their logs and
are handed to ``decide`` inside the command. Who may read or act on a unit is
``shared.access``; who may cast a ballot is the token's business (below and in the domain).

Secrets kept out of the log:

* a survey's seed lives only in the private ``sealed_seeds`` collection until the draw
  reveals it (``storage.EvaluationAccess.sealing``);
* ballot tokens are generated at the draw and returned once, paired with the sampled
  people, in the draw's answer (the printed slips); the log keeps only their sorted
  hashes, in ``SlipsIssued``, apart from the sample; nothing stored pairs a token or its
  hash with a person (storage.EvaluationAccess.ballot_tokens);
* a ballot is recorded under an anonymous actor, never the respondent's identity.
"""
from __future__ import annotations

import dataclasses
import random
import secrets

import eventlet

from services.evaluation import domain as D
from services.evaluation.domain.config import config_from_environment
from services.evaluation.domain.hashing import sha256_hex
from services.evaluation.projections import (
    BALLOT_TOKENS,
    COUNTY_RESULTS,
    HISTORY,
    SURVEY_RESULTS,
    UNIT_FACTS,
    UNIT_GROUPS,
    county_table,
    history_base,
)
from services.evaluation.storage import SEALED_SEEDS
from shared import access
from shared.domain import Actor, Forbidden, NotFound
from shared.edge import today
from shared.eventstore import ConcurrencyError

BALLOT_ATTEMPTS = 8
CONFIG = config_from_environment()


def _decide(state, command):
    return D.decide(state, command, CONFIG)


def execute(service, command, actor) -> list[dict]:
    """Every command the same way: fold its stream, decide, append."""
    return service.storage.execute(D.stream_of(command), _decide, D.fold_for(command), command,
                                   actor=actor)


# ---------------------------------------------------------------- what the service knows

def _facts(service, unit_id: str) -> D.UnitFacts:
    doc = service.storage.get(UNIT_FACTS, unit_id)
    if doc is None:
        raise NotFound(f"no unit {unit_id} is known to the evaluation service", unit_id=unit_id)
    return D.unit_facts_from_docs(doc, service.storage.get(UNIT_GROUPS, unit_id))


def _group_of(service, unit_id: str) -> str | None:
    return (service.storage.get(UNIT_GROUPS, unit_id) or {}).get("group_id")


def unit_known(service, unit_id: str) -> bool:
    """A unit the units log has registered (evidence files: shared.service_kit.attachments)."""
    return (service.storage.get("unit_directory", unit_id) or {}).get("name") is not None


group_of = _group_of  # the unit's group, for a supervisor's download of an evidence file


def _sealed(service, survey_id: str) -> dict:
    doc = service.storage.get(SEALED_SEEDS, survey_id)
    if doc is None:
        raise NotFound(f"no survey {survey_id} has been opened (no seed is committed)",
                       survey_id=survey_id)
    return doc


def _sample_size(service, sealed: dict) -> int:
    state = D.surveys_state(service.storage.load(D.survey_stream(sealed["unit_id"])))
    survey = state.surveys.get(sealed["survey_id"])
    return survey.sample_size if survey else 0


# ---------------------------------------------------------------- the survey (R12)

def open_survey(service, command: D.OpenSurvey, actor: Actor) -> dict:
    facts = _facts(service, command.unit_id)
    access.check_supervisor_of(actor, command.unit_id, facts.group_id)
    command = dataclasses.replace(command, seed=secrets.token_hex(32), unit=facts)
    with service.storage.sealing(command):  # the seed is stored by the append's transaction
        [opened] = execute(service, command, actor)
    p = opened["payload"]
    return {"survey_id": p["survey_id"], "unit_id": p["unit_id"], "seed_hash": p["seed_hash"],
            "frame_size": len(p["frame"]), "sample_size": p["sample_size"],
            "algorithm": p["algorithm"]}


# The draw and the close are the survey's group's alone: the domain checks the actor
# against the group that opened the survey (its state, not the unit's current group).

def draw_sample(service, request: dict, actor: Actor) -> dict:
    sealed = _sealed(service, request["survey_id"])
    tokens = service.storage.ballot_tokens(sealed, _sample_size(service, sealed))
    command = D.DrawSample(survey_id=sealed["survey_id"], unit_id=sealed["unit_id"],
                           group_id=actor.scope, seed=sealed["seed"], tokens=tokens,
                           today=today(), public_entropy=request["public_entropy"], actor=actor)
    drawn = execute(service, command, actor)[0]  # SampleDrawn, then SlipsIssued
    p = drawn["payload"]
    # the only place the token <-> person pairing ever exists. A frame of pseudonymous ids
    # (issue 19) is printed with the names they stand for, as the units log told them
    names = respondent_names(service, p["unit_id"])
    return {"survey_id": p["survey_id"], "unit_id": p["unit_id"], "seed": p["seed"],
            "public_entropy": p["public_entropy"], "algorithm": p["algorithm"],
            "sample": list(p["sample"]),
            "ballots": [{"person": person, "name": names.get(person, person), "token": token}
                        for person, token in zip(p["sample"], tokens)]}


def respondent_names(service, unit_id: str) -> dict[str, str]:
    """pseudonymous id -> the name of the person it stands for (已删除 once erased)."""
    doc = service.storage.get(UNIT_FACTS, unit_id) or {}
    return {r["person_id"]: r.get("name", "") for r in doc.get("respondents", [])}


def _ballot_survey(service, token: str, actor: Actor) -> dict:
    """The sealed record of the survey this ballot is for: a respondent token names it
    (its scope); the ballot token must have been issued for that survey."""
    if actor.role not in ("respondent", "system"):
        raise Forbidden("only a respondent casts a ballot", actor_role=actor.role)
    token_doc = service.storage.get(BALLOT_TOKENS, sha256_hex(token))
    survey_id = actor.scope or (token_doc or {}).get("survey_id")
    if not survey_id:
        raise Forbidden("this ballot token was not issued for any survey")
    sealed = _sealed(service, survey_id)
    if token_doc is not None and token_doc["survey_id"] != survey_id:
        raise Forbidden(f"this ballot token was issued for survey {token_doc['survey_id']}, "
                        f"not survey {survey_id}", survey_id=survey_id,
                        token_survey_id=token_doc["survey_id"])
    return sealed


def cast_ballot(service, request: dict, actor: Actor) -> dict:
    sealed = _ballot_survey(service, request["token"], actor)
    survey_id = sealed["survey_id"]
    command = D.CastBallot(survey_id=survey_id, unit_id=sealed["unit_id"],
                           token=request["token"], ratings=dict(request["ratings"]))
    anonymous = {"id": "anonymous", "name": "anonymous", "role": "respondent",
                 "scope": survey_id}
    # many respondents vote at once on one stream: retry on top of execute's own retries
    for attempt in range(BALLOT_ATTEMPTS):
        try:
            execute(service, command, anonymous)
            break
        except ConcurrencyError:
            if attempt == BALLOT_ATTEMPTS - 1:
                raise
            eventlet.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    return {"survey_id": survey_id, "recorded": True}


def slip_status(service, request: dict, actor: Actor) -> dict:
    """What a ballot slip can still do, for the respondent's page before it shows the
    questions: ``unused`` (vote), ``used`` or ``closed``; an unknown token is a 404. It
    tells the token's holder only what voting with it would tell them."""
    if actor.role not in ("respondent", "system"):
        raise Forbidden("only a respondent asks about a ballot slip", actor_role=actor.role)
    token_doc = service.storage.get(BALLOT_TOKENS, sha256_hex(request["token"]))
    if token_doc is None:
        raise NotFound("this ballot token was not issued for any survey")
    survey = service.storage.get(SURVEY_RESULTS, token_doc["survey_id"]) or {}
    status = ("closed" if survey.get("status") == "closed"
              else "used" if token_doc.get("spent") else "unused")
    return {"survey_id": token_doc["survey_id"], "unit_id": token_doc["unit_id"], "status": status}


def close_survey(service, request: dict, actor: Actor) -> dict:
    sealed = _sealed(service, request["survey_id"])
    command = D.CloseSurvey(survey_id=sealed["survey_id"], unit_id=sealed["unit_id"],
                            group_id=actor.scope, today=today(), actor=actor)
    envelopes = execute(service, command, actor)
    closed = envelopes[0]["payload"]
    return {"survey_id": closed["survey_id"], "unit_id": closed["unit_id"],
            "passed": closed["passed"], "valid": closed["valid"], "outcome": envelopes[-1]["type"],
            "invalid_reasons": closed["invalid_reasons"],
            "result": {k: closed[k] for k in ("eligible", "ballots_cast", "frame_size", "turnout",
                                              "threshold", "leadership", "campaign")}}


def get_survey(service, request: dict, actor: Actor) -> dict:
    doc = service.storage.get(SURVEY_RESULTS, request["survey_id"])
    if doc is None:
        raise NotFound(f"no survey {request['survey_id']}", survey_id=request["survey_id"])
    doc.pop("_id", None)
    return doc


def verify_survey(service, request: dict, actor: Actor) -> dict:
    """Re-run the draw from the stored events alone (not the projection)."""
    doc = get_survey(service, request, actor)
    log = service.storage.load(D.survey_stream(doc["unit_id"]))
    draw = D.verify_survey_log(log, request["survey_id"])
    slips = D.verify_slips(log, request["survey_id"])  # used <= issued, each slip once
    return {**draw, "ok": draw["ok"] and slips["ok"], "slips": slips}


# ---------------------------------------------------------------- acceptance inspection (R13)

def record_acceptance_inspection(service, command: D.RecordAcceptanceInspection,
                                 actor: Actor) -> dict:
    """检查验收: a supervisor of the unit's group, or the office, after a passed survey."""
    facts = _facts(service, command.unit_id)
    if actor.role == "supervisor":
        access.check_supervisor_of(actor, command.unit_id, facts.group_id)
    command = dataclasses.replace(command, group_id=facts.group_id, unit=facts)
    [recorded] = execute(service, command, actor)
    return {"inspection_id": recorded["payload"]["inspection_id"],
            "survey_id": recorded["payload"]["survey_id"]}


# ---------------------------------------------------------------- phase 2 records (R22, R23)

def _record(service, command, actor: Actor, created: str | None) -> dict:
    execute(service, dataclasses.replace(command, unit=_facts(service, command.unit_id)), actor)
    return {created: getattr(command, created)} if created else {"member_id": command.member_id}


def record_opinions(service, command: D.RecordOpinionsSolicited, actor: Actor) -> dict:
    return _record(service, command, actor, "record_id")


def record_talk(service, command: D.RecordHeartToHeartTalk, actor: Actor) -> dict:
    return _record(service, command, actor, "talk_id")


def submit_party_spirit_analysis(service, command: D.SubmitPartySpiritAnalysis,
                                 actor: Actor) -> dict:
    return _record(service, command, actor, None)


def record_democratic_life_meeting(service, command: D.RecordDemocraticLifeMeeting,
                                   actor: Actor) -> dict:
    return _record(service, command, actor, "meeting_id")


# ---------------------------------------------------------------- queries

def readiness(service, request: dict, actor: Actor) -> dict:
    """Phase-2 (分析评议) readiness for the transition review: {unit_id, ready, missing}."""
    unit_id = request["unit_id"]
    access.check_read_unit(actor, unit_id, _group_of(service, unit_id))
    facts = _facts(service, unit_id)
    return D.readiness(D.analysis_state(service.storage.load(D.analysis_stream(unit_id))), facts)


def unit_history(service, request: dict, actor: Actor) -> dict:
    unit_id = request["unit_id"]
    access.check_read_unit(actor, unit_id, _group_of(service, unit_id))
    doc = service.storage.get(HISTORY, unit_id)
    if doc is None:
        if service.storage.get(UNIT_FACTS, unit_id) is None:
            raise NotFound(f"no unit {unit_id} is known to the evaluation service",
                           unit_id=unit_id)
        doc = history_base(unit_id)
    doc.pop("_id", None)
    return doc


def county(service, request: dict, actor: Actor) -> list[dict]:
    return county_table(service.storage.find(COUNTY_RESULTS), service.storage.find(UNIT_FACTS))
