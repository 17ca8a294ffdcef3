"""The units service as nameko sees it: its storage and relay, the events it follows,
and its typed RPC API (named fields + ``actor`` in, ``shared.edge``'s one answer shape
out). Each RPC is a schema (services/units/schemas.py) and a handler
(services/units/handlers.py); nothing here knows a URL.

    units.enrol_member(unit_id="u-1", name="张三", section="综合科", actor={...})
"""
from __future__ import annotations

from nameko.events import event_handler
from nameko.timer import timer

from services.units import handlers as H
from services.units import schemas as S
from services.units.projections import PROJECTIONS
from services.units.upcasting import upcasters
from shared.config import settings
from shared.service_kit import DomainService, LeaseHolder, OutboxRelay, ServiceStorage, Wiring, endpoint
from shared.service_kit import attachments as files

__all__ = ["UnitsService", "WIRING"]


WIRING = Wiring(service="units", projections=tuple(PROJECTIONS), reactions=H.REACTIONS,
                upcasters=upcasters())


class UnitsService(DomainService):
    name = "units"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()
    retention = LeaseHolder("retention_lease")

    # --- the retention of the people notified: their names erased once it has passed ------
    @timer(interval=settings().scheduler_seconds)
    def observe_retention(self):
        self._tick("the retention", H.observe_retention)

    # --- events of other services (H.REACTIONS) -------------------------------------------
    @event_handler("supervision", "#", requeue_on_error=True)
    def on_supervision_event(self, envelope):
        self._receive("supervision", envelope)

    @event_handler("evaluation", "#", requeue_on_error=True)
    def on_evaluation_event(self, envelope):
        self._receive("evaluation", envelope)

    # --- the office -----------------------------------------------------------------------
    register_unit = endpoint(S.RegisterUnitSchema, H.register_unit)

    # --- membership (R20, R21) ------------------------------------------------------------
    add_section = endpoint(S.AddSectionSchema, H.add_section)
    enrol_member = endpoint(S.EnrolMemberSchema, H.enrol_member)
    preview_roster = endpoint(S.RosterUploadSchema, H.preview_roster)
    import_roster = endpoint(S.RosterUploadSchema, H.import_roster)
    roster_template = endpoint(S.UnitQuerySchema, H.roster_template)
    preview_unit_list = endpoint(S.UnitListUploadSchema, H.preview_unit_list)
    import_unit_list = endpoint(S.UnitListUploadSchema, H.import_unit_list)
    unit_list_template = endpoint(None, H.unit_list_template)
    erase_member_data = endpoint(S.ErasureSchema, H.erase_member_data)
    form_study_group = endpoint(S.StudyGroupSchema, H.form_study_group)
    place_member = endpoint(S.PlaceMemberSchema, H.place_member)
    assign_contact_points = endpoint(S.ContactPointsSchema, H.assign_contact_points)

    # --- the work plan (R4) and requirements (R11) -------------------------------------------
    submit_work_plan = endpoint(S.WorkPlanSchema, H.submit_work_plan)
    set_requirements = endpoint(S.RequirementsSchema, H.set_requirements)

    # --- the mobilisation meeting and the phase gate (R5; study readiness R7) ----------------
    schedule_meeting = endpoint(S.MeetingScheduleSchema, H.schedule_meeting)
    hold_meeting = endpoint(S.MeetingHeldSchema, H.hold_meeting)
    apply_for_transition = endpoint(S.TransitionApplicationSchema, H.apply_for_transition)

    # --- rectification (R22) and public notification (R12, R23) -----------------------------
    add_rectification_measure = endpoint(S.RectificationMeasureSchema, H.add_rectification_measure)
    complete_rectification_measure = endpoint(S.MeasureCompletionSchema, H.complete_rectification_measure)
    notify_public = endpoint(S.NotificationSchema, H.notify_public)

    # --- the rectification ledger (整改台账) ----------------------------------------------------
    record_problem = endpoint(S.ProblemSchema, H.record_problem)
    add_ledger_measure = endpoint(S.LedgerMeasureSchema, H.add_ledger_measure)
    complete_ledger_measure = endpoint(S.LedgerCompletionSchema, H.complete_ledger_measure)
    review_measure = endpoint(S.MeasureReviewSchema, H.review_measure)
    reopen_measure = endpoint(S.MeasureReopeningSchema, H.reopen_measure)
    accept_problem = endpoint(S.ProblemAcceptanceSchema, H.accept_problem)
    answer_problem = endpoint(S.ProblemAnswerSchema, H.answer_problem)
    propose_carry_forward = endpoint(S.CarryForwardSchema, H.propose_carry_forward)
    review_carry_forward = endpoint(S.CarryForwardReviewSchema, H.review_carry_forward)
    rectification_ledger = endpoint(S.UnitQuerySchema, H.rectification_ledger)
    rectification_workbook = endpoint(S.UnitQuerySchema, H.rectification_workbook)
    county_rectification_workbook = endpoint(None, H.county_rectification_workbook)
    rectification_county = endpoint(None, H.rectification_county)

    # --- evidence files: measure evidence, the work plan, the speech draft (issue 16) -----------
    store_attachment = endpoint(files.store_schema("units"), files.store_handler(H.unit_known))
    read_attachment = endpoint(files.AttachmentQuerySchema, files.read_handler(H.group_of))

    # --- queries (read scope: shared.access) ---------------------------------------------------
    get_unit = endpoint(S.UnitQuerySchema, H.get_unit)
    list_units = endpoint(S.ListUnitsSchema, H.list_units)
    list_members = endpoint(S.UnitQuerySchema, H.list_members)
    overview = endpoint(None, H.overview)
