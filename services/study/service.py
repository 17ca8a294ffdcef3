"""The study service (R7–R10): its storage, its sources and its typed RPC API.

Every public RPC takes the named fields of its schema (``schemas.py``) plus ``actor`` and
answers ``{"ok": True, "result": ...}`` or a refusal (``shared/edge.py``); what each one
does is in ``handlers.py``. The units log feeds the rosters and the unit directory."""
from __future__ import annotations

from nameko.events import event_handler

from services.study import handlers as H
from services.study import schemas as S
from services.study.projections import PROJECTIONS
from shared.service_kit import DomainService, OutboxRelay, ServiceStorage, Wiring, endpoint
from shared.service_kit import attachments as files
from shared.unit_directory import unit_directory

WIRING = Wiring(service="study", projections=(unit_directory(), *PROJECTIONS))


class StudyService(DomainService):
    name = "study"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()

    @event_handler("units", "#", requeue_on_error=True)
    def on_units_event(self, envelope):
        self._receive("units", envelope)

    # commands
    set_study_plan = endpoint(S.StudyPlanSchema, H.set_study_plan)
    record_session = endpoint(S.StudySessionSchema, H.record_session)
    record_attendance = endpoint(S.AttendanceSchema, H.record_attendance)
    grant_exemption = endpoint(S.ExemptionSchema, H.grant_exemption)
    revoke_exemption = endpoint(S.ExemptionRevocationSchema, H.revoke_exemption)

    # queries
    unit_study = endpoint(S.UnitQuerySchema, H.unit_study)
    member_study = endpoint(S.MemberQuerySchema, H.member_study)
    county = endpoint(S.CountyQuerySchema, H.county)
    ledger = endpoint(S.UnitQuerySchema, H.ledger)
    # evidence files: study sign-in sheets (issue 16)
    store_attachment = endpoint(files.store_schema("study"), files.store_handler(H.unit_known))
    read_attachment = endpoint(files.AttachmentQuerySchema, files.read_handler(H.group_of))
    # asked by units and supervision (through shared.service_kit.ask_peer)
    readiness = endpoint(S.UnitQuerySchema, H.readiness)
