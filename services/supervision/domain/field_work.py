"""What the group does at the unit after arrival: inspections on the seven points (R14),
attending the committee and pushing for a working office (R15).

The acceptance inspection after a passed survey (检查验收, R13) is the evaluation
service's (RecordAcceptanceInspection -> AcceptanceInspectionRecorded), not this one's."""
from __future__ import annotations

from services.supervision.domain import events as ev
from services.supervision.domain.arrival import require_arrived
from services.supervision.domain.commands import RecordCommitteeMeeting, RecordInspection, RecordWorkingOffice
from services.supervision.domain.config import SupervisionConfig
from services.supervision.domain.guards import parse_date, require_text
from services.supervision.domain.unit_state import SupervisedUnitState
from services.supervision.domain.vocabulary import INSPECTION_POINTS
from shared.access import check_supervisor_of
from shared.domain import Conflict, Rejected


def _text_or_empty(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def validate_scores(scores, config: SupervisionConfig) -> dict:
    """Exactly the seven points of "督导组要重点督查……", each an integer on the scale."""
    if not isinstance(scores, dict):
        raise Rejected("scores must map each of the seven points to a score", field="scores")
    missing = [k for k in INSPECTION_POINTS if k not in scores]
    unexpected = sorted(k for k in scores if k not in INSPECTION_POINTS)
    if missing or unexpected:
        raise Rejected("an inspection scores exactly the seven points", missing=missing,
                       unexpected=unexpected, points=INSPECTION_POINTS)
    out_of_range = {k: v for k, v in scores.items()
                    if isinstance(v, bool) or not isinstance(v, int)
                    or not config.min_score <= v <= config.max_score}
    if out_of_range:
        raise Rejected(f"each point is scored as a whole number from {config.min_score} to "
                       f"{config.max_score}", out_of_range=out_of_range)
    return {k: scores[k] for k in INSPECTION_POINTS}


def inspect(state: SupervisedUnitState, cmd: RecordInspection, config: SupervisionConfig) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    require_arrived(state, cmd.unit_id, "inspect the unit")
    if cmd.inspection_id in state.inspections:
        raise Conflict(f"inspection {cmd.inspection_id} is already recorded",
                       inspection_id=cmd.inspection_id)
    parse_date(cmd.date, "date")
    scores = validate_scores(cmd.scores, config)
    notes = cmd.notes if isinstance(cmd.notes, dict) else {}
    stray = sorted(k for k in notes if k not in INSPECTION_POINTS)
    if stray:
        raise Rejected("notes may only be given for the seven points", unexpected=stray)
    return [ev.InspectionRecorded(
        inspection_id=cmd.inspection_id, unit_id=cmd.unit_id, group_id=state.group_id,
        date=cmd.date, scores=scores, total=sum(scores.values()),
        max_total=config.max_score * len(INSPECTION_POINTS),
        notes={k: _text_or_empty(v) for k, v in notes.items()},
        findings=_text_or_empty(cmd.findings))]


def attend_committee(state: SupervisedUnitState, cmd: RecordCommitteeMeeting, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    require_arrived(state, cmd.unit_id, "attend the unit's committee meetings")
    if cmd.meeting_id in state.committee_meetings:
        raise Conflict(f"meeting {cmd.meeting_id} is already recorded", meeting_id=cmd.meeting_id)
    parse_date(cmd.date, "date")
    return [ev.CommitteeMeetingAttended(
        meeting_id=cmd.meeting_id, unit_id=cmd.unit_id, group_id=state.group_id, date=cmd.date,
        topic=require_text(cmd.topic, "topic"), notes=_text_or_empty(cmd.notes))]


def check_working_office(state: SupervisedUnitState, cmd: RecordWorkingOffice, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    require_arrived(state, cmd.unit_id, "check the unit's campaign office")
    parse_date(cmd.date, "date")
    if not isinstance(cmd.office_established, bool) or not isinstance(cmd.staff_trained, bool):
        raise Rejected("office_established and staff_trained are yes/no answers")
    if cmd.staff_trained and not cmd.office_established:
        raise Rejected("staff are trained for a working office: establish the office first")
    return [ev.WorkingOfficeChecked(
        unit_id=cmd.unit_id, group_id=state.group_id, date=cmd.date,
        office_established=cmd.office_established, staff_trained=cmd.staff_trained,
        notes=_text_or_empty(cmd.notes))]

