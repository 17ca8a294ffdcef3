"""The evaluation service (R12 survey, R13 acceptance inspection, R22/R23 phase-2 records):
its typed RPC API, declared. Each entrypoint is ``endpoint(Schema, handler)``: called with
the schema's named fields plus ``actor``, it answers ``{"ok": True, "result": ...}`` or a
refusal (``shared.edge``). The rules are in ``domain/``, the work in ``handlers.py``.

It follows the units log (unit facts: phase, members, notified scope) and the
supervision log (each unit's group) into its own projections."""
from __future__ import annotations

from nameko.events import event_handler

from services.evaluation import handlers as H
from services.evaluation import schemas as S
from services.evaluation.projections import PROJECTIONS
from services.evaluation.storage import EvaluationStorage
from shared.service_kit import DomainService, OutboxRelay, Wiring, endpoint
from shared.service_kit import attachments as files
from shared.unit_directory import unit_directory

WIRING = Wiring(service="evaluation", projections=(unit_directory(), *PROJECTIONS))


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

    # the satisfaction survey (R12)
    open_survey = endpoint(S.OpenSurveySchema, H.open_survey)
    draw_sample = endpoint(S.DrawSurveySchema, H.draw_sample)
    cast_ballot = endpoint(S.CastBallotSchema, H.cast_ballot)
    slip_status = endpoint(S.SlipQuery, H.slip_status)
    close_survey = endpoint(S.CloseSurveySchema, H.close_survey)
    get_survey = endpoint(S.SurveyQuery, H.get_survey)
    verify_survey = endpoint(S.SurveyQuery, H.verify_survey)

    # acceptance inspection (检查验收, R13): evaluation is its one owner
    record_acceptance_inspection = endpoint(S.RecordAcceptanceInspectionSchema,
                                            H.record_acceptance_inspection)

    # phase 2, 分析评议 (R22, R23)
    record_opinions = endpoint(S.RecordOpinionsSchema, H.record_opinions)
    record_talk = endpoint(S.RecordTalkSchema, H.record_talk)
    submit_party_spirit_analysis = endpoint(S.SubmitPartySpiritAnalysisSchema,
                                            H.submit_party_spirit_analysis)
    record_democratic_life_meeting = endpoint(S.RecordDemocraticLifeMeetingSchema,
                                              H.record_democratic_life_meeting)
    readiness = endpoint(S.UnitQuery, H.readiness)

    # evidence files: the 民主生活会 minutes (issue 16)
    store_attachment = endpoint(files.store_schema("evaluation"), files.store_handler(H.unit_known))
    read_attachment = endpoint(files.AttachmentQuerySchema, files.read_handler(H.group_of))

    # the read models
    unit_history = endpoint(S.UnitQuery, H.unit_history)
    county = endpoint(None, H.county)
