"""The supervision service (督导组): its typed RPC API, declared.

Every public RPC takes the named fields of its command or query plus ``actor`` and
answers ``{"ok": True, "result": ...}`` or a refusal (``shared.edge``):

    supervision.record_arrival(group_id="g-1", unit_id="u-1", date="2005-02-16", actor={...})

The request schemas are in ``schemas.py``, what each RPC does in ``handlers.py``, the
rules in ``domain/``. The service reads the units log into its fact projections, and the
evaluation and study logs into its obligations.
"""
from __future__ import annotations

from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer

from services.supervision import handlers as H
from services.supervision import schemas as S
from services.supervision.projections import build_projections
from shared.config import settings
from shared.service_kit import DomainService, LeaseHolder, OutboxRelay, ServiceStorage, Wiring, endpoint
from shared.unit_directory import unit_directory

WIRING = Wiring(service="supervision",
                projections=(unit_directory(), *build_projections(H.CONFIG)))


class SupervisionService(DomainService):
    name = "supervision"
    storage = ServiceStorage(WIRING)
    relay = OutboxRelay()
    scheduler = LeaseHolder("scheduler_lease")

    @event_handler("units", "#", requeue_on_error=True)
    def on_units_event(self, envelope):
        self._receive("units", envelope)

    @event_handler("evaluation", "#", requeue_on_error=True)
    def on_evaluation_event(self, envelope):
        self._receive("evaluation", envelope)

    # the study floor reached or lapsed (R7): the study_floor obligation
    @event_handler("study", "#", requeue_on_error=True)
    def on_study_event(self, envelope):
        self._receive("study", envelope)

    # obligations (督促检查): time passing, recorded by one instance at a time
    @timer(interval=settings().scheduler_seconds)
    def observe_time(self):
        self._tick("the scheduler", H.observe_due_obligations)

    list_obligations = endpoint(S.ObligationsQuerySchema, H.list_obligations)
    obligations_workbook = endpoint(S.ObligationsQuerySchema, H.obligations_workbook)
    waive_obligation = endpoint(S.WaiveObligationSchema, H.waive_obligation)
    send_directive = endpoint(S.DirectiveSchema, H.send_directive)
    acknowledge_directive = endpoint(S.DirectiveAcknowledgementSchema, H.acknowledge_directive)
    reply_to_directive = endpoint(S.DirectiveReplySchema, H.reply_to_directive)

    # groups (R1, R2, R18)
    form_group = endpoint(S.FormGroupSchema, H.form_group)
    list_groups = endpoint(None, H.list_groups)
    get_group = endpoint(S.GroupQuerySchema, H.get_group)
    assign_unit = endpoint(S.AssignUnitSchema, H.assign_unit)
    record_arrival = endpoint(S.ArrivalSchema, H.record_arrival)
    establish_branch = endpoint(S.TemporaryBranchSchema, H.establish_branch)
    request_leave = endpoint(S.LeaveRequestSchema, H.request_leave)
    decide_leave = endpoint(S.LeaveDecisionSchema, H.decide_leave)
    record_batch = endpoint(S.BatchParticipationSchema, H.record_batch)
    erase_group_member_data = endpoint(S.GroupMemberErasureSchema, H.erase_group_member_data)

    # R3 arrival tasks, R4 work-plan review
    read_speech_draft = endpoint(S.SpeechDraftReadSchema, H.read_speech_draft)
    complete_task = endpoint(S.ArrivalTaskDoneSchema, H.complete_task)
    review_work_plan = endpoint(S.WorkPlanReviewSchema, H.review_work_plan)
    work_plan_checklist = endpoint(S.UnitQuerySchema, H.work_plan_checklist)

    # R5/R6 the phase gate
    transition_readiness = endpoint(S.TransitionQuerySchema, H.transition_readiness)
    group_review = endpoint(S.GroupReviewSchema, H.group_review)
    office_decision = endpoint(S.OfficeDecisionSchema, H.office_decision)
    extend_deadline = endpoint(S.DeadlineExtensionSchema, H.extend_deadline)

    # R14/R15 field work (检查验收, R13, is the evaluation service's)
    record_inspection = endpoint(S.InspectionSchema, H.record_inspection)
    record_committee_meeting = endpoint(S.CommitteeMeetingSchema, H.record_committee_meeting)
    record_working_office = endpoint(S.WorkingOfficeSchema, H.record_working_office)

    # R16/R17 reports, typical cases and briefings
    file_report = endpoint(S.ReportSchema, H.file_report)
    list_reports = endpoint(S.ReportsQuerySchema, H.list_reports)
    report_typical_case = endpoint(S.TypicalCaseSchema, H.report_typical_case)
    recommend_typical_case = endpoint(S.RecommendationSchema, H.recommend_typical_case)
    publicise_typical_case = endpoint(S.PublicitySchema, H.publicise_typical_case)
    compile_briefing = endpoint(S.BriefingSchema, H.compile_briefing)
    get_briefing = endpoint(S.BriefingQuerySchema, H.get_briefing)
    list_briefings = endpoint(None, H.list_briefings)
    briefing_document = endpoint(S.BriefingQuerySchema, H.briefing_document)

    # the office's console and a unit's history
    console = endpoint(None, H.console)
    unit_history = endpoint(S.UnitQuerySchema, H.unit_history)

    @rpc
    def group_of_unit(self, unit_id):
        """For peer services (study): the group a unit is assigned to, or None. A plain
        lookup answered as the bare value, not a command of the typed API."""
        return H.group_of(self, unit_id)
