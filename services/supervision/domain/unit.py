"""decide for the supervised-unit aggregate: one handler per command."""
from __future__ import annotations

from services.supervision.domain import arrival, field_work, phase_gate, plan_review, reports
from services.supervision.domain import commands as c
from services.supervision.domain.config import DEFAULT_CONFIG, SupervisionConfig
from services.supervision.domain.unit_state import SupervisedUnitState

_HANDLERS = {
    c.AssignUnit: arrival.assign,
    c.RecordArrival: arrival.arrive,
    c.ReadSpeechDraft: arrival.read_speech_draft,
    c.CompleteArrivalTask: arrival.complete_task,
    c.ReviewWorkPlan: plan_review.review_plan,
    c.ReviewTransition: phase_gate.review_transition,
    c.DecideTransition: phase_gate.decide_transition,
    c.ExtendDeadline: phase_gate.extend_deadline,
    c.RecordInspection: field_work.inspect,
    c.RecordCommitteeMeeting: field_work.attend_committee,
    c.RecordWorkingOffice: field_work.check_working_office,
    c.RecordAcceptanceInspection: field_work.acceptance_inspection,
    c.FileReport: reports.file_report,
    c.ReportTypicalCase: reports.report_case,
    c.RecommendTypicalCase: reports.recommend_case,
    c.PubliciseTypicalCase: reports.publicise_case,
}

UNIT_COMMANDS = tuple(_HANDLERS)


def decide_unit(state: SupervisedUnitState, command,
                config: SupervisionConfig = DEFAULT_CONFIG) -> list:
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"the supervised-unit aggregate does not handle {type(command).__name__}")
    return handler(state, command, config)
