"""The evaluation service's nameko entrypoints: thin translations of RPC input into commands.

Secrets kept out of the log:

* a survey's seed lives only in the private ``sealed_seeds`` collection until the draw
  reveals it; the document is written inside the same transaction as ``SurveyOpened``
  (see ``EvaluationStorage``), so a seed exists iff its commitment does;
* ballot tokens are generated at the draw and returned once, paired with the sampled
  people, in the draw's HTTP response; the log keeps only their sorted hashes;
* a ballot is recorded under an anonymous actor, never the respondent's identity.
"""
from __future__ import annotations

import datetime
import random
import secrets
import threading
import uuid

import eventlet
from nameko.events import event_handler
from nameko.rpc import rpc

from services.evaluation import domain as D
from services.evaluation import schemas as S
from services.evaluation.domain.hashing import sha256_hex
from services.evaluation.projections import (BALLOT_TOKENS, COUNTY_RESULTS, HISTORY, PROJECTIONS,
                                             SURVEY_RESULTS, UNIT_FACTS, UNIT_GROUPS, county_table,
                                             history_base)
from shared.domain import Forbidden, NotFound, events_of
from shared.eventstore import ConcurrencyError
from shared.nameko_support import (DomainService, OutboxRelay, ServiceStorage, StorageAccess,
                                   Wiring, actor_from, command_rpc)
from shared.unit_directory import unit_directory

SEALED_SEEDS = "sealed_seeds"  # private: never projected, never published, never served
BALLOT_ATTEMPTS = 8

WIRING = Wiring(service="evaluation", projections=(unit_directory(), *PROJECTIONS))


def _fold_for(initial):
    return lambda envelopes: D.fold(events_of(envelopes), initial)


def _today() -> str:
    return datetime.date.today().isoformat()


def _execute(storage: StorageAccess, command, actor: dict) -> list[dict]:
    return storage.execute(D.stream_for(command), D.decide, _fold_for(D.initial_state_for(command)),
                           command, actor=actor)


# ---------------------------------------------------------------- storage with sealed seeds

class EvaluationAccess(StorageAccess):
    def __init__(self, storage, pending: dict, lock: threading.Lock):
        super().__init__(storage)
        self._pending, self._lock = pending, lock

    def open_with_sealed_seed(self, command: D.OpenSurvey, actor: dict) -> list[dict]:
        """Append ``SurveyOpened``; its sealed seed is inserted by the append's own
        transaction (``on_append``), so a failed append leaves no seed behind."""
        key = sha256_hex(command.seed)
        with self._lock:
            self._pending[key] = D.sealed_seed(command)
        try:
            return _execute(self, command, actor)
        finally:
            with self._lock:
                self._pending.pop(key, None)


class EvaluationStorage(ServiceStorage):
    def setup(self):
        super().setup()
        self.pending_seeds: dict[str, dict] = {}
        self.lock = threading.Lock()
        storage = self.storage
        project = storage.store.on_append

        def on_append(session, envelopes):
            project(session, envelopes)
            for env in envelopes:
                if env["type"] != "SurveyOpened":
                    continue
                with self.lock:
                    sealed = self.pending_seeds.get(env["payload"]["seed_hash"])
                if sealed is not None:
                    storage.db[SEALED_SEEDS].insert_one(dict(sealed), session=session)

        storage.store.on_append = on_append

    def get_dependency(self, worker_ctx):
        return EvaluationAccess(self.storage, self.pending_seeds, self.lock)


# ---------------------------------------------------------------- the service

class EvaluationService(DomainService):
    name = "evaluation"
    storage = EvaluationStorage(WIRING)
    relay = OutboxRelay()

    @event_handler("units", "#", requeue_on_error=True)
    def on_units_event(self, envelope):
        self._receive("units", envelope)

    @event_handler("supervision", "#", requeue_on_error=True)
    def on_supervision_event(self, envelope):
        self._receive("supervision", envelope)

    @rpc
    @command_rpc
    def known_unit(self, unit_id):
        return self.storage.get("unit_directory", unit_id)

    # -- facts -----------------------------------------------------------------------------
    def _facts(self, unit_id: str) -> D.UnitFacts:
        doc = self.storage.get(UNIT_FACTS, unit_id)
        if doc is None:
            raise NotFound(f"no unit {unit_id} is known to the evaluation service", unit_id=unit_id)
        return D.unit_facts_from_docs(doc, self.storage.get(UNIT_GROUPS, unit_id))

    def _sealed(self, survey_id: str) -> dict:
        doc = self.storage.get(SEALED_SEEDS, survey_id)
        if doc is None:
            raise NotFound(f"no survey {survey_id} has been opened (no seed is committed)",
                           survey_id=survey_id)
        return doc

    @staticmethod
    def _group_of(actor: dict | None) -> str:
        actor = actor or {}
        if actor.get("role") != "supervisor" or not actor.get("scope"):
            raise Forbidden("only a supervision group member (a supervisor token scoped to a group) "
                            "may do this", actor_role=actor.get("role"))
        return actor["scope"]

    def _require_reader_of(self, unit_id: str, actor: dict | None) -> None:
        actor = actor or {}
        role, scope = actor.get("role"), actor.get("scope")
        if role == "unit" and scope != unit_id:
            raise Forbidden("a unit may read only its own records", unit_id=unit_id)
        if role == "supervisor":
            group = self.storage.get(UNIT_GROUPS, unit_id)
            if group is None or group.get("group_id") != scope:
                raise Forbidden(f"unit {unit_id} is not in your supervision group",
                                unit_id=unit_id, group_id=scope)

    # -- the survey (R12) ------------------------------------------------------------------
    @rpc
    @command_rpc
    def open_survey(self, body=None, params=None, query=None, actor=None):
        data = S.OpenSurveySchema().load(body or {})
        group_id = self._group_of(actor)
        command = D.OpenSurvey(survey_id="s-" + uuid.uuid4().hex[:12], unit_id=data["unit_id"],
                               group_id=group_id, sample_size=data["sample_size"],
                               seed=secrets.token_hex(32), unit=self._facts(data["unit_id"]),
                               today=_today(), actor=actor_from(actor))
        [opened] = self.storage.open_with_sealed_seed(command, actor)
        p = opened["payload"]
        return {"survey_id": p["survey_id"], "unit_id": p["unit_id"], "seed_hash": p["seed_hash"],
                "frame_size": len(p["frame"]), "sample_size": p["sample_size"],
                "algorithm": p["algorithm"]}

    @rpc
    @command_rpc
    def draw_sample(self, body=None, params=None, query=None, actor=None):
        data = S.DrawSurveySchema().load(body or {})
        group_id = self._group_of(actor)
        sealed = self._sealed(params["survey"])
        size = self._sample_size(sealed)
        tokens = tuple(secrets.token_urlsafe(16) for _ in range(size))
        command = D.DrawSample(survey_id=sealed["survey_id"], unit_id=sealed["unit_id"],
                               group_id=group_id, seed=sealed["seed"], tokens=tokens,
                               today=_today(), public_entropy=data["public_entropy"],
                               actor=actor_from(actor))
        [drawn] = _execute(self.storage, command, actor)
        p = drawn["payload"]
        # the only place the token <-> person pairing ever exists
        return {"survey_id": p["survey_id"], "unit_id": p["unit_id"], "seed": p["seed"],
                "public_entropy": p["public_entropy"], "algorithm": p["algorithm"],
                "sample": list(p["sample"]),
                "ballots": [{"person": person, "token": token}
                            for person, token in zip(p["sample"], tokens)]}

    def _sample_size(self, sealed: dict) -> int:
        state = _fold_for(D.survey.INITIAL)(self.storage.load(D.survey_stream(sealed["unit_id"])))
        survey = state.surveys.get(sealed["survey_id"])
        return survey.sample_size if survey else 0

    @rpc
    @command_rpc
    def cast_ballot(self, body=None, params=None, query=None, actor=None):
        data = S.CastBallotSchema().load(body or {})
        actor = actor or {}
        if actor.get("role") not in ("respondent", "system"):
            raise Forbidden("only a respondent casts a ballot", actor_role=actor.get("role"))
        token_doc = self.storage.get(BALLOT_TOKENS, sha256_hex(data["token"]))
        survey_id = actor.get("scope") or (token_doc or {}).get("survey_id")
        if not survey_id:
            raise Forbidden("this ballot token was not issued for any survey")
        sealed = self._sealed(survey_id)
        if token_doc is not None and token_doc["survey_id"] != survey_id:
            raise Forbidden(f"this ballot token was issued for survey {token_doc['survey_id']}, "
                            f"not survey {survey_id}", survey_id=survey_id,
                            token_survey_id=token_doc["survey_id"])
        command = D.CastBallot(survey_id=survey_id, unit_id=sealed["unit_id"], token=data["token"],
                               ratings=dict(data["ratings"]))
        anonymous = {"id": "anonymous", "name": "anonymous", "role": "respondent",
                     "scope": survey_id}
        for attempt in range(BALLOT_ATTEMPTS):
            try:
                _execute(self.storage, command, anonymous)
                break
            except ConcurrencyError:
                if attempt == BALLOT_ATTEMPTS - 1:
                    raise
                eventlet.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        return {"survey_id": survey_id, "recorded": True}

    @rpc
    @command_rpc
    def close_survey(self, body=None, params=None, query=None, actor=None):
        S.CloseSurveySchema().load(body or {})
        group_id = self._group_of(actor)
        sealed = self._sealed(params["survey"])
        command = D.CloseSurvey(survey_id=sealed["survey_id"], unit_id=sealed["unit_id"],
                                group_id=group_id, today=_today(), actor=actor_from(actor))
        envelopes = _execute(self.storage, command, actor)
        closed = envelopes[0]["payload"]
        return {"survey_id": closed["survey_id"], "unit_id": closed["unit_id"],
                "passed": closed["passed"], "outcome": envelopes[-1]["type"],
                "result": {k: closed[k] for k in ("eligible", "ballots_cast", "frame_size", "turnout",
                                                  "threshold", "leadership", "campaign")}}

    @rpc
    @command_rpc
    def get_survey(self, body=None, params=None, query=None, actor=None):
        doc = self.storage.get(SURVEY_RESULTS, params["survey"])
        if doc is None:
            raise NotFound(f"no survey {params['survey']}", survey_id=params["survey"])
        doc.pop("_id", None)
        return doc

    @rpc
    @command_rpc
    def verify_survey(self, body=None, params=None, query=None, actor=None):
        """Re-run the draw from the stored events alone (not the projection)."""
        survey_id = params["survey"]
        doc = self.storage.get(SURVEY_RESULTS, survey_id)
        if doc is None:
            raise NotFound(f"no survey {survey_id}", survey_id=survey_id)
        return D.verify_survey_log(self.storage.load(D.survey_stream(doc["unit_id"])), survey_id)

    # -- acceptance inspection (R13) -------------------------------------------------------
    @rpc
    @command_rpc
    def record_acceptance_inspection(self, body=None, params=None, query=None, actor=None):
        data = S.RecordAcceptanceInspectionSchema().load(body or {})
        unit_id = params["unit"]
        facts = self._facts(unit_id)
        actor = actor or {}
        group_id = actor.get("scope") if actor.get("role") == "supervisor" else facts.group_id
        if group_id is None:
            raise Forbidden(f"unit {unit_id} has no supervision group assigned", unit_id=unit_id)
        command = D.RecordAcceptanceInspection(
            inspection_id="ai-" + uuid.uuid4().hex[:12], unit_id=unit_id, group_id=group_id,
            result=data["result"], notes=data["notes"], date=data["date"], unit=facts,
            actor=actor_from(actor))
        [recorded] = _execute(self.storage, command, actor)
        return {"inspection_id": recorded["payload"]["inspection_id"],
                "survey_id": recorded["payload"]["survey_id"]}

    # -- phase 2 records (R22, R23) --------------------------------------------------------
    def _record(self, make, data: dict, params: dict, actor, id_field: str | None = None,
                prefix: str = ""):
        unit_id = params["unit"]
        created = {id_field: f"{prefix}-{uuid.uuid4().hex[:12]}"} if id_field else {}
        command = make(unit_id=unit_id, unit=self._facts(unit_id), actor=actor_from(actor),
                       **created, **data)
        _execute(self.storage, command, actor)
        return created or {"member_id": data["member_id"]}

    @rpc
    @command_rpc
    def record_opinions(self, body=None, params=None, query=None, actor=None):
        data = S.RecordOpinionsSchema().load(body or {})
        return self._record(D.RecordOpinionsSolicited, data, params, actor, "record_id", "op")

    @rpc
    @command_rpc
    def record_talk(self, body=None, params=None, query=None, actor=None):
        data = S.RecordTalkSchema().load(body or {})
        return self._record(D.RecordHeartToHeartTalk, data, params, actor, "talk_id", "talk")

    @rpc
    @command_rpc
    def submit_party_spirit_analysis(self, body=None, params=None, query=None, actor=None):
        data = S.SubmitPartySpiritAnalysisSchema().load(body or {})
        return self._record(D.SubmitPartySpiritAnalysis, data, params, actor)

    @rpc
    @command_rpc
    def record_democratic_life_meeting(self, body=None, params=None, query=None, actor=None):
        data = S.RecordDemocraticLifeMeetingSchema().load(body or {})
        data["participant_member_ids"] = tuple(data["participant_member_ids"])
        return self._record(D.RecordDemocraticLifeMeeting, data, params, actor, "meeting_id", "dlm")

    @rpc
    def readiness(self, unit_id):
        """Phase-2 (分析评议) readiness for the transition review: {unit_id, ready, missing}."""
        facts = self._facts(unit_id)
        state = _fold_for(D.analysis.INITIAL)(self.storage.load(D.analysis_stream(unit_id)))
        return D.readiness(state, facts)

    @rpc
    @command_rpc
    def get_readiness(self, body=None, params=None, query=None, actor=None):
        self._require_reader_of(params["unit"], actor)
        return self.readiness(params["unit"])

    # -- queries -----------------------------------------------------------------------------
    @rpc
    @command_rpc
    def unit_history(self, body=None, params=None, query=None, actor=None):
        unit_id = params["unit"]
        self._require_reader_of(unit_id, actor)
        doc = self.storage.get(HISTORY, unit_id)
        if doc is None:
            if self.storage.get(UNIT_FACTS, unit_id) is None:
                raise NotFound(f"no unit {unit_id} is known to the evaluation service",
                               unit_id=unit_id)
            doc = history_base(unit_id)
        doc.pop("_id", None)
        return doc

    @rpc
    @command_rpc
    def county(self, body=None, params=None, query=None, actor=None):
        return county_table(self.storage.find(COUNTY_RESULTS), self.storage.find(UNIT_FACTS))
