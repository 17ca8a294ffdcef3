"""The supervised-unit aggregate's commands and the rule deciding each (``HANDLERS``)."""
from __future__ import annotations

from services.supervision.domain import arrival, field_work, phase_gate, plan_review, reports
from services.supervision.domain import commands as c

HANDLERS = {
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
    c.FileReport: reports.file_report,
    c.ReportTypicalCase: reports.report_case,
    c.RecommendTypicalCase: reports.recommend_case,
    c.PubliciseTypicalCase: reports.publicise_case,
}
