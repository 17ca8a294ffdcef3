"""Obligations (督促检查): someone must do something by a date.

Speech A calls 督促检查 "确保先进性教育活动取得实效的关键环节", and everything it asks has a
date. An obligation is derived from the record, never typed in: who owes it (a unit or its
group), what, the due date (moved only by recorded extensions and reschedulings), and
whether it was met and when. ``unit_obligations(facts, config)`` derives every obligation of
one unit from the facts its projection collected (services.supervision.projections.obligations).

Time passing is recorded, not read: an obligation is ``overdue`` only once the scheduler has
appended ``ObligationBecameOverdue`` for it (``record_overdue`` below, on the unit's
``obligations-<unit>`` stream; a group's own directives on ``obligations-<group>``), so a
rebuild or an as-of view reproduces every status. The statuses:

- ``waived``: the office waived it, with a reason; or, for a measure, the group accepted
  carrying its problem forward (结转): the measure is no longer due;
- ``met_on_time`` / ``met_late``: done, on or before its due date, or after;
- ``overdue``: the scheduler recorded its due date passing (for the due date it has now: an
  extension makes it ``open`` again, until the new date passes too);
- ``open``: none of these yet.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Iterable

from services.supervision.domain import events as ev
from services.supervision.domain.commands import RecordOverdue, WaiveObligation
from services.supervision.domain.config import SupervisionConfig
from services.supervision.domain.folding import fold_with, put
from services.supervision.domain.guards import parse_date, require_office, require_text
from shared.domain import Conflict, Forbidden, NotFound

# type -> who owes it
OWED_BY = {
    "arrival": "group",            # R2: arrive two days before the mobilisation meeting
    "contact_details": "group",    # R16: report contact details after arriving
    "work_plan": "unit",           # R3, R4: the plan approved before the meeting
    "requirements": "unit",        # R11: specific requirements within phase 1
    "study_floor": "unit",         # R7: every member at the 40-学时 floor (or exempted) in phase 1
    "phase_deadline": "unit",      # R6: each phase left by its deadline (补课 included)
    "measure": "unit",             # each rectification measure by its due date
    "survey_close": "group",       # the survey closed within a set time of opening
    "directive": "recipient",      # a 督办通知 answered by its reply date: its unit or group
    # issue 19: the names of the people the unit notified erased once the retention after
    # acceptance has passed (the units service erases them by itself when due)
    "respondent_erasure": "office",
}
TYPES = tuple(OWED_BY)
STATUSES = ("open", "met_on_time", "met_late", "overdue", "waived")


def obligation_id(party: str, kind: str, subject: str | None = None) -> str:
    return f"{party}:{kind}" + (f":{subject}" if subject else "")


def party_of(obligation: str) -> str:
    """The unit (or, for a directive to a group, the group) an obligation id belongs to:
    ids start with it, and its obligations stream is named after it."""
    return obligation.split(":", 1)[0]


def _shift(iso: str, days: int) -> str:
    return (_dt.date.fromisoformat(iso) + _dt.timedelta(days=days)).isoformat()


def _obligation(facts: dict, kind: str, due: str, met_on: str | None, subject: str | None = None,
                owed_by: str | None = None) -> dict:
    party = facts.get("party") or facts["unit_id"]  # the unit, or a group for its directives
    return {"obligation_id": obligation_id(party, kind, subject), "type": kind,
            "unit_id": facts.get("unit_id"), "group_id": facts.get("group_id"),
            "owed_by": owed_by or OWED_BY[kind], "subject": subject, "due": due, "met_on": met_on}


def _meeting_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    meeting = facts.get("meeting_date")
    if not meeting:
        return []
    found = [_obligation(facts, "work_plan", _shift(meeting, -1), facts.get("plan_approved_on"))]
    if facts.get("group_id"):
        found.append(_obligation(facts, "arrival", _shift(meeting, -config.arrival_lead_days),
                                 facts.get("arrived_on")))
    return found


def _arrival_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    arrived = facts.get("arrived_on")
    if not arrived:
        return []
    return [_obligation(facts, "contact_details", _shift(arrived, config.contact_report_days),
                        facts.get("contact_reported_on"))]


def _phase_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    found = []
    phases = facts.get("phases") or {}
    for phase, entry in phases.items():
        if entry.get("deadline"):
            found.append(_obligation(facts, "phase_deadline", entry["deadline"], entry.get("left_on"),
                                     phase))
    first = phases.get("mobilization") or {}
    if first.get("deadline"):
        found.append(_obligation(facts, "requirements", first["deadline"],
                                 facts.get("requirements_set_on")))
    return found


def _study_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    """R7, "集中学习时间一般不得少于40学时": due when phase 1 (学习动员) is, its deadline as
    extended; met on the day the study service recorded the floor reached, open again when it
    recorded it lapsed (a member enrolled, an exemption revoked), until reached anew."""
    first = (facts.get("phases") or {}).get("mobilization") or {}
    if not first.get("deadline"):
        return []
    return [_obligation(facts, "study_floor", first["deadline"],
                        (facts.get("study_floor") or {}).get("reached_on"))]


def _measure_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    return [_obligation(facts, "measure", m["due"], m.get("completed_on"), measure_id)
            for measure_id, m in (facts.get("measures") or {}).items() if m.get("due")]


def _survey_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    return [_obligation(facts, "survey_close", _shift(s["opened_on"], config.survey_close_days),
                        s.get("closed_on"), survey_id)
            for survey_id, s in (facts.get("surveys") or {}).items() if s.get("opened_on")]


def _directive_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    return [_obligation(facts, "directive", d["reply_by"], d.get("replied_on"), directive_id,
                        owed_by=d["recipient"])
            for directive_id, d in (facts.get("directives") or {}).items()]


def _retention_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    """Issue 19 item 3 (PIPL art. 47: deleted once the purpose is fulfilled): a unit that
    notified people under pseudonymous ids and was accepted owes, through the office, the
    erasure of their names once ``retention_days`` have passed; met on the day the units
    log records it (RespondentNamesErased). Visible, with its due date, from acceptance."""
    accepted = ((facts.get("phases") or {}).get("accepted") or {})
    if not facts.get("respondents_notified") or not accepted.get("entered_on") or accepted.get("left_on"):
        return []
    return [_obligation(facts, "respondent_erasure", _shift(accepted["entered_on"], config.retention_days),
                        facts.get("respondents_erased_on"))]


DERIVATIONS = (_meeting_obligations, _arrival_obligations, _phase_obligations, _study_obligations,
               _measure_obligations, _survey_obligations, _directive_obligations, _retention_obligations)


def carried_forward(obligation: dict, facts: dict) -> bool:
    """A measure whose problem the group accepted to carry forward (结转)."""
    if obligation["type"] != "measure":
        return False
    problem_id = ((facts.get("measures") or {}).get(obligation["subject"]) or {}).get("problem_id")
    return problem_id is not None and problem_id in (facts.get("carried") or {})


def status_of(obligation: dict, facts: dict) -> str:
    oid = obligation["obligation_id"]
    if oid in (facts.get("waived") or {}):
        return "waived"
    if obligation["met_on"] is None and carried_forward(obligation, facts):
        return "waived"
    if obligation["met_on"]:
        return "met_on_time" if obligation["met_on"] <= obligation["due"] else "met_late"
    if (facts.get("overdue") or {}).get(oid, {}).get("due") == obligation["due"]:
        return "overdue"
    return "open"


def unit_obligations(facts: dict, config: SupervisionConfig) -> list[dict]:
    """Every obligation one unit's facts imply, each with its status, by due date."""
    found = [o for derive in DERIVATIONS for o in derive(facts, config)]
    return sorted(({**o, "status": status_of(o, facts)} for o in found),
                  key=lambda o: (o["due"], o["obligation_id"]))


def fallen_due(obligations: Iterable[dict], today: str) -> list[dict]:
    """The open obligations whose due date lies before ``today``: for the scheduler."""
    return [o for o in obligations if o["status"] == "open" and o["due"] < today]


def no_longer_overdue(obligations: Iterable[dict], facts: dict) -> list[dict]:
    """Obligations recorded overdue whose status is no longer that (met, or the due date
    moved) and not yet recorded so: for the scheduler, so that who follows the record
    (the unit cards) hears of it."""
    recorded, cleared = facts.get("overdue") or {}, facts.get("cleared") or {}
    return [o for o in obligations
            if o["obligation_id"] in recorded
            and (o["status"] not in ("overdue", "waived") or carried_forward(o, facts))
            and cleared.get(o["obligation_id"]) != recorded[o["obligation_id"]]["due"]]


def days_overdue(obligation: dict, today: str) -> int:
    """Days past due for an obligation not met (0 when not yet due, met or waived)."""
    if obligation["status"] not in ("open", "overdue"):
        return 0
    return max(0, (_dt.date.fromisoformat(today) - _dt.date.fromisoformat(obligation["due"])).days)


# --------------------------------------------------------------- the unit's obligations stream

@dataclasses.dataclass(frozen=True)
class ObligationsState:
    party: str | None = None
    overdue: dict = dataclasses.field(default_factory=dict)  # obligation_id -> due recorded passing
    cleared: dict = dataclasses.field(default_factory=dict)  # obligation_id -> due recorded no longer so
    waived: dict = dataclasses.field(default_factory=dict)  # obligation_id -> reason


EMPTY_OBLIGATIONS = ObligationsState()


def evolve_obligations(state: ObligationsState, event) -> ObligationsState:
    if isinstance(event, ev.ObligationBecameOverdue):
        return dataclasses.replace(state, party=event.party,
                                   overdue=put(state.overdue, event.obligation_id, event.due))
    if isinstance(event, ev.ObligationNoLongerOverdue):
        return dataclasses.replace(state, party=event.party,
                                   cleared=put(state.cleared, event.obligation_id, event.due))
    if isinstance(event, ev.ObligationWaived):
        return dataclasses.replace(state, party=event.party,
                                   waived=put(state.waived, event.obligation_id, event.reason))
    return state


def fold_obligations(history: Iterable) -> ObligationsState:
    return fold_with(evolve_obligations, EMPTY_OBLIGATIONS, history)


def record_overdue(state: ObligationsState, cmd: RecordOverdue, config: SupervisionConfig) -> list:
    """The scheduler's tick for one party: an event for each obligation whose due date has
    passed and was not recorded passing yet, and for each recorded overdue that is no longer
    (``cmd.settled``); so two schedulers never record one twice: the second decides on the
    first's events and finds nothing left."""
    if cmd.actor.role != "system":
        raise Forbidden("only the scheduler records an obligation falling overdue", role=cmd.actor.role)
    today = parse_date(cmd.today, "today").isoformat()
    fallen = [ev.ObligationBecameOverdue(party=cmd.party, obligation_id=o["obligation_id"],
                                         kind=o["type"], due=o["due"], observed_on=today)
              for o in cmd.obligations
              if o["due"] < today and state.overdue.get(o["obligation_id"]) != o["due"]
              and o["obligation_id"] not in state.waived]
    settled = [ev.ObligationNoLongerOverdue(party=cmd.party, obligation_id=o["obligation_id"],
                                            kind=o["type"], due=state.overdue[o["obligation_id"]],
                                            now=o["status"], observed_on=today)
               for o in cmd.settled
               if o["obligation_id"] in state.overdue
               and state.cleared.get(o["obligation_id"]) != state.overdue[o["obligation_id"]]]
    return fallen + settled


def waive(state: ObligationsState, cmd: WaiveObligation, config: SupervisionConfig) -> list:
    require_office(cmd.actor, "waive an obligation")
    reason = require_text(cmd.reason, "reason")
    parse_date(cmd.today, "today")
    if cmd.obligation is None:
        raise NotFound(f"no obligation {cmd.obligation_id}", obligation_id=cmd.obligation_id)
    if cmd.obligation_id in state.waived:
        raise Conflict(f"obligation {cmd.obligation_id} is already waived",
                       obligation_id=cmd.obligation_id, reason=state.waived[cmd.obligation_id])
    if cmd.obligation["status"] in ("met_on_time", "met_late"):
        raise Conflict(f"obligation {cmd.obligation_id} was met on {cmd.obligation['met_on']}: "
                       f"there is nothing to waive", obligation_id=cmd.obligation_id)
    return [ev.ObligationWaived(party=cmd.party, obligation_id=cmd.obligation_id,
                                kind=cmd.obligation["type"], reason=reason, waived_on=cmd.today,
                                waived_by=cmd.actor.id)]


HANDLERS = {RecordOverdue: record_overdue, WaiveObligation: waive}
