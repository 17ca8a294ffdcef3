"""Other services' events (as envelope dicts) -> units commands, applied by the system.

Pure: the command's ``today`` is the event's own ``occurred_at`` date, so replaying
the log reproduces the same deadlines. Returns None for an event the units
aggregate has no use for (the inbox still advances its checkpoint over it).
"""
from __future__ import annotations

from shared.domain import SYSTEM, Actor

from .domain import commands as C

# source service -> event types the units aggregate consumes
CONSUMED = {
    "supervision": ("WorkPlanReviewed", "GroupArrived", "TransitionApproved", "TransitionReturned",
                    "TransitionRejected", "DeadlineExtended", "InspectionRecorded"),
    "evaluation": ("SurveyPassed", "SurveyFailed", "AcceptanceInspectionRecorded"),
}


def command_for(env: dict, actor: Actor = SYSTEM):
    p = env["payload"]
    today = (env.get("occurred_at") or "")[:10]
    kind = env["type"]
    if kind == "WorkPlanReviewed":
        return C.NoteWorkPlanReview(actor=actor, unit_id=p["unit_id"], plan_version=int(p["plan_version"]),
                                    decision=p["decision"], comments=p.get("comments") or "",
                                    missing=tuple(p.get("missing") or ()), group_id=p.get("group_id"))
    if kind == "InspectionRecorded":
        scores = p.get("scores") or {}
        max_total = p.get("max_total")
        max_score = max_total // len(scores) if isinstance(max_total, int) and scores else None
        return C.NoteInspectionScores(actor=actor, unit_id=p["unit_id"], inspection_id=p["inspection_id"],
                                      group_id=p.get("group_id"), date=p.get("date") or today,
                                      scores=dict(scores), notes=dict(p.get("notes") or {}),
                                      max_score=max_score)
    if kind == "GroupArrived":
        return C.NoteGroupArrival(actor=actor, unit_id=p["unit_id"], group_id=p["group_id"],
                                  date=p["date"])
    if kind == "TransitionApproved":
        return C.ApplyApprovedTransition(actor=actor, unit_id=p["unit_id"], transition_id=p["transition_id"],
                                         from_phase=p["from_phase"], to_phase=p["to_phase"], today=today,
                                         comments=p.get("comments") or "")
    if kind in ("TransitionReturned", "TransitionRejected"):
        outcome = "returned" if kind == "TransitionReturned" else "rejected"
        return C.CloseTransition(actor=actor, unit_id=p["unit_id"], transition_id=p["transition_id"],
                                 outcome=outcome, comments=p.get("comments") or "")
    if kind == "DeadlineExtended":
        return C.ApplyDeadlineExtension(actor=actor, unit_id=p["unit_id"], phase=p["phase"],
                                        until=p["until"], reason=p.get("reason") or "extended by the office")
    if kind in ("SurveyPassed", "SurveyFailed"):
        return C.ApplySurveyResult(actor=actor, unit_id=p["unit_id"], survey_id=p["survey_id"],
                                   passed=kind == "SurveyPassed", today=today,
                                   share_leadership=p.get("share_leadership"),
                                   share_campaign=p.get("share_campaign"))
    if kind == "AcceptanceInspectionRecorded":
        return C.ApplyInspectionResult(actor=actor, unit_id=p["unit_id"], inspection_id=p["inspection_id"],
                                       survey_id=p["survey_id"], passed=p["result"] == "pass",
                                       notes=p.get("notes") or "", today=today)
    return None
