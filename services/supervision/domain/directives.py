"""督办: the office, or a group for its own units, sends a directive (督办通知) to the unit or
group responsible, with a reply date; the recipient acknowledges and replies. A directive
not replied to by its date is itself an obligation falling overdue (obligations.py).

One stream per directive (``directive-<id>``): whoever sent it, only its recipient answers
it, once."""
from __future__ import annotations

import dataclasses
from typing import Iterable

from services.supervision.domain import events as ev
from services.supervision.domain.commands import AcknowledgeDirective, ReplyToDirective, SendDirective
from services.supervision.domain.config import SupervisionConfig
from services.supervision.domain.folding import fold_with
from services.supervision.domain.guards import parse_date, require_text
from shared.access import check_supervisor_of
from shared.domain import Conflict, Forbidden, NotFound, Rejected


@dataclasses.dataclass(frozen=True)
class DirectiveState:
    directive_id: str | None = None
    recipient: str | None = None  # unit | group
    unit_id: str | None = None
    group_id: str | None = None
    acknowledged_on: str | None = None
    replied_on: str | None = None


EMPTY_DIRECTIVE = DirectiveState()


def evolve_directive(state: DirectiveState, event) -> DirectiveState:
    if isinstance(event, ev.DirectiveSent):
        return DirectiveState(directive_id=event.directive_id, recipient=event.recipient,
                              unit_id=event.unit_id, group_id=event.group_id)
    if isinstance(event, ev.DirectiveAcknowledged):
        return dataclasses.replace(state, acknowledged_on=event.acknowledged_on)
    if isinstance(event, ev.DirectiveReplied):
        return dataclasses.replace(state, replied_on=event.replied_on)
    return state


def fold_directive(history: Iterable) -> DirectiveState:
    return fold_with(evolve_directive, EMPTY_DIRECTIVE, history)


def _recipient(cmd: SendDirective) -> str:
    if bool(cmd.unit_id) == bool(cmd.recipient_group_id):
        raise Rejected("a directive goes to one unit or one group: give unit_id or group_id",
                       unit_id=cmd.unit_id, group_id=cmd.recipient_group_id)
    return "unit" if cmd.unit_id else "group"


def send(state: DirectiveState, cmd: SendDirective, config: SupervisionConfig) -> list:
    if state.directive_id is not None:
        raise Conflict(f"directive {cmd.directive_id} was already sent", directive_id=cmd.directive_id)
    recipient = _recipient(cmd)
    if cmd.actor.role != "office":
        if recipient == "group":
            raise Forbidden("only the office directs a supervision group", actor_role=cmd.actor.role)
        check_supervisor_of(cmd.actor, cmd.unit_id, cmd.unit_group_id)
    if recipient == "unit" and not cmd.unit_known:
        raise NotFound(f"no unit {cmd.unit_id}", unit_id=cmd.unit_id)
    if recipient == "group" and not cmd.group_known:
        raise NotFound(f"no group {cmd.recipient_group_id}", group_id=cmd.recipient_group_id)
    if cmd.obligation_id is not None and cmd.obligation is None:
        raise NotFound(f"no obligation {cmd.obligation_id} of this recipient", obligation_id=cmd.obligation_id)
    text = require_text(cmd.text, "text")
    if parse_date(cmd.reply_by, "reply_by") < parse_date(cmd.today, "today"):
        raise Rejected("the reply date has already passed", reply_by=cmd.reply_by, today=cmd.today)
    return [ev.DirectiveSent(directive_id=cmd.directive_id, recipient=recipient, unit_id=cmd.unit_id,
                             group_id=cmd.unit_group_id if recipient == "unit" else cmd.recipient_group_id,
                             obligation_id=cmd.obligation_id, text=text, reply_by=cmd.reply_by,
                             sent_on=cmd.today, sent_by=cmd.actor.id, sender_role=cmd.actor.role)]


def _require_recipient(state: DirectiveState, actor, directive_id: str) -> None:
    if state.directive_id is None:
        raise NotFound(f"no directive {directive_id}", directive_id=directive_id)
    if state.recipient == "unit":
        ok = actor.role == "unit" and actor.scope == state.unit_id
    else:
        ok = actor.role == "supervisor" and actor.scope == state.group_id
    if not ok:
        raise Forbidden(f"only the directive's recipient ({state.recipient} "
                        f"{state.unit_id or state.group_id}) answers it", directive_id=directive_id)


def acknowledge(state: DirectiveState, cmd: AcknowledgeDirective, config: SupervisionConfig) -> list:
    _require_recipient(state, cmd.actor, cmd.directive_id)
    if state.acknowledged_on is not None:
        raise Conflict(f"directive {cmd.directive_id} was acknowledged on {state.acknowledged_on}",
                       directive_id=cmd.directive_id)
    today = parse_date(cmd.today, "today").isoformat()
    return [ev.DirectiveAcknowledged(directive_id=cmd.directive_id, unit_id=state.unit_id,
                                     group_id=state.group_id, acknowledged_on=today,
                                     acknowledged_by=cmd.actor.id)]


def reply(state: DirectiveState, cmd: ReplyToDirective, config: SupervisionConfig) -> list:
    _require_recipient(state, cmd.actor, cmd.directive_id)
    if state.replied_on is not None:
        raise Conflict(f"directive {cmd.directive_id} was answered on {state.replied_on}",
                       directive_id=cmd.directive_id)
    text = require_text(cmd.text, "text")
    today = parse_date(cmd.today, "today").isoformat()
    events = []
    if state.acknowledged_on is None:  # a reply acknowledges too
        events.append(ev.DirectiveAcknowledged(directive_id=cmd.directive_id, unit_id=state.unit_id,
                                               group_id=state.group_id, acknowledged_on=today,
                                               acknowledged_by=cmd.actor.id))
    events.append(ev.DirectiveReplied(directive_id=cmd.directive_id, unit_id=state.unit_id,
                                      group_id=state.group_id, text=text, replied_on=today,
                                      replied_by=cmd.actor.id))
    return events


HANDLERS = {SendDirective: send, AcknowledgeDirective: acknowledge, ReplyToDirective: reply}
