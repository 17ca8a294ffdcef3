"""Assignment (R1), arrival (R2) and the three tasks arrival opens (R3)."""
from __future__ import annotations

from services.supervision.domain import events as ev
from services.supervision.domain.commands import AssignUnit, CompleteArrivalTask, ReadSpeechDraft, RecordArrival
from services.supervision.domain.config import SupervisionConfig
from services.supervision.domain.guards import days_before, parse_date, require_choice, require_office, require_text
from services.supervision.domain.unit_state import SupervisedUnitState
from services.supervision.domain.vocabulary import ARRIVAL_TASKS, PREPARE_SPEECH, REVIEW_WORK_PLAN, SUPERVISE_MEETING
from shared.access import check_supervisor_of
from shared.domain import Conflict, Forbidden, NotFound, Rejected


def arrival_deadline(meeting_date: str | None, config: SupervisionConfig) -> str | None:
    """"各督导组必须在派驻单位动员会前两天到位": the meeting date minus the lead days."""
    if meeting_date is None:
        return None
    parse_date(meeting_date, "meeting_date")
    return days_before(meeting_date, config.arrival_lead_days)


def assign(state: SupervisedUnitState, cmd: AssignUnit, config: SupervisionConfig) -> list:
    require_office(cmd.actor, "assign units to groups")
    parse_date(cmd.today, "today")
    if not cmd.group_exists:
        raise NotFound(f"group {cmd.group_id} does not exist", group_id=cmd.group_id)
    if not cmd.unit_registered:
        raise NotFound(f"unit {cmd.unit_id} is not registered", unit_id=cmd.unit_id)
    if state.group_id == cmd.group_id:
        raise Conflict(f"unit {cmd.unit_id} is already assigned to group {cmd.group_id}",
                       unit_id=cmd.unit_id, group_id=cmd.group_id)
    if state.group_id is not None:
        raise Conflict(f"unit {cmd.unit_id} is already assigned to group {state.group_id}",
                       unit_id=cmd.unit_id, assigned_group=state.group_id)
    assigned_on = _assignment_date(cmd)
    # "一个督导组负责10个左右单位": beyond the soft limit the assignment stands, with a warning.
    unit_count = cmd.group_unit_count + 1
    return [ev.UnitAssigned(
        group_id=cmd.group_id, unit_id=cmd.unit_id,
        over_soft_limit=unit_count > config.soft_unit_limit, unit_count=unit_count,
        soft_limit=config.soft_unit_limit, assigned_on=assigned_on, meeting_date=cmd.meeting_date,
        arrival_deadline=arrival_deadline(cmd.meeting_date, config))]


def _assignment_date(cmd: AssignUnit) -> str:
    """The day the office assigned the unit: today, or a day recorded later, never one
    ahead of today or before the group was formed (the arrival is held to it)."""
    if cmd.date is None:
        return cmd.today
    assigned_on = parse_date(cmd.date, "date")
    if assigned_on > parse_date(cmd.today, "today"):
        raise Conflict(f"an assignment cannot be dated {cmd.date}, after today ({cmd.today})",
                       date=cmd.date, today=cmd.today, missing=["assignment_not_after_today"])
    if cmd.group_formed_on is not None and assigned_on < parse_date(cmd.group_formed_on, "formed_on"):
        raise Conflict(f"group {cmd.group_id} was formed on {cmd.group_formed_on}; it cannot have "
                       f"been assigned a unit on {cmd.date}", date=cmd.date,
                       formed_on=cmd.group_formed_on, missing=["assignment_on_or_after_group_formation"])
    return cmd.date


def _check_arrival_date(state: SupervisedUnitState, cmd: RecordArrival):
    """An arrival happens after the group was assigned the unit, and has happened: dated
    neither before the assignment nor after today."""
    arrived_on = parse_date(cmd.date, "date")
    if arrived_on > parse_date(cmd.today, "today"):
        raise Conflict(f"an arrival cannot be recorded for {cmd.date}, after today ({cmd.today})",
                       unit_id=cmd.unit_id, date=cmd.date, today=cmd.today,
                       missing=["arrival_not_after_today"])
    if state.assigned_on is not None and arrived_on < parse_date(state.assigned_on, "assigned_on"):
        raise Conflict(f"the group was assigned unit {cmd.unit_id} on {state.assigned_on}; it cannot "
                       f"have arrived there on {cmd.date}", unit_id=cmd.unit_id, date=cmd.date,
                       assigned_on=state.assigned_on,
                       missing=["arrival_on_or_after_assignment"])
    return arrived_on


def arrive(state: SupervisedUnitState, cmd: RecordArrival, config: SupervisionConfig) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    if cmd.group_id != state.group_id:
        raise Forbidden(f"unit {cmd.unit_id} is not one of group {cmd.group_id}'s units",
                        unit_id=cmd.unit_id, group_id=cmd.group_id)
    if state.arrived:
        raise Conflict(f"the group already arrived at unit {cmd.unit_id} on "
                       f"{state.arrival['date']}", unit_id=cmd.unit_id)
    arrived_on = _check_arrival_date(state, cmd)
    deadline = arrival_deadline(cmd.meeting_date, config)
    late = deadline is not None and arrived_on > parse_date(deadline, "deadline")
    return [ev.GroupArrived(group_id=cmd.group_id, unit_id=cmd.unit_id, date=cmd.date,
                            deadline=deadline, late=late, meeting_date=cmd.meeting_date,
                            tasks=list(ARRIVAL_TASKS))]


def require_arrived(state: SupervisedUnitState, unit_id: str, doing: str) -> None:
    """The group works at a unit only once it is there (R3: 进驻 comes first): a 409 that
    names the missing arrival."""
    if not state.arrived:
        raise Conflict(f"the group must arrive at unit {unit_id} before it can {doing}",
                       unit_id=unit_id, missing=["group_arrival"])


def read_speech_draft(state: SupervisedUnitState, cmd: ReadSpeechDraft, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    require_arrived(state, cmd.unit_id, "read the secretary's speech draft")
    parse_date(cmd.date, "date")
    if not (isinstance(cmd.speech_draft, str) and cmd.speech_draft.strip()):
        raise Rejected("the unit has not submitted its secretary's speech draft",
                       unit_id=cmd.unit_id)
    comments = cmd.comments.strip() if isinstance(cmd.comments, str) else ""
    return [ev.SpeechDraftRead(group_id=state.group_id, unit_id=cmd.unit_id, date=cmd.date,
                               comments=comments)]


def complete_task(state: SupervisedUnitState, cmd: CompleteArrivalTask, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    require_arrived(state, cmd.unit_id, "work on its arrival tasks")
    require_choice(cmd.task, tuple(ARRIVAL_TASKS), "task")
    parse_date(cmd.date, "date")
    if cmd.task == REVIEW_WORK_PLAN:
        raise Rejected("the work-plan task is done by approving the unit's work plan",
                       task=cmd.task)
    if state.tasks.get(cmd.task, {}).get("status") == "done":
        raise Conflict(f"task {cmd.task} is already done", task=cmd.task)
    if cmd.task == SUPERVISE_MEETING:
        _require_meeting_supervised(state, cmd)
    note = cmd.note.strip() if isinstance(cmd.note, str) else ""
    if cmd.task == PREPARE_SPEECH:
        # "督导组长要结合联系单位实际作简要讲话": the speech (or its outline) is the note.
        note = require_text(cmd.note, "note")
    return [ev.ArrivalTaskCompleted(group_id=state.group_id, unit_id=cmd.unit_id,
                                    task=cmd.task, date=cmd.date, note=note)]


def _require_meeting_supervised(state: SupervisedUnitState, cmd: CompleteArrivalTask) -> None:
    """"督导好一个动员会": the speech draft was read and the meeting was held."""
    missing = []
    if state.speech_draft_read_on is None:
        missing.append("speech_draft_read")
    if not cmd.meeting_held:
        missing.append("meeting_held")
    if missing:
        raise Rejected("supervising the mobilisation meeting needs the secretary's speech draft "
                       "read and the meeting held", missing=missing)
