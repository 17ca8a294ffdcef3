"""督办, pure: who may send a directive to whom, only its recipient answers it, once; an
unanswered directive is an obligation of its recipient (the obligations projection)."""
import pytest

from services.supervision import domain as D
from services.supervision.projections.obligations import OBLIGATIONS, obligation_projections
from shared.domain import Actor, Conflict, Forbidden, NotFound, Rejected
from shared.projection import MemoryProjectionRunner

CONFIG = D.SupervisionConfig()
UNIT, GROUP, OTHER = "u-000000000001", "g-000000000001", "g-000000000002"
OFFICE = Actor(id="office-1", name="王主任", role="office")
SUPERVISOR = Actor(id="sup-1", name="李组长", role="supervisor", scope=GROUP)
STRANGER = Actor(id="sup-2", name="赵组长", role="supervisor", scope=OTHER)
THE_UNIT = Actor(id="unit-1", name="单位党委", role="unit", scope=UNIT)


def send(actor=OFFICE, history=(), **changes):
    fields = dict(directive_id="dir-1", text="请于三日内报告整改进展", reply_by="2024-03-05",
                  today="2024-03-01", actor=actor, unit_id=UNIT, unit_group_id=GROUP, unit_known=True)
    fields.update(changes)
    return D.decide(D.fold_directive(history), D.SendDirective(**fields), CONFIG)


def answer(command, history):
    return D.decide(D.fold_directive(history), command, CONFIG)


def reply(actor, history, text="已整改完毕"):
    return answer(D.ReplyToDirective(directive_id="dir-1", text=text, today="2024-03-04", actor=actor),
                  history)


def test_the_office_or_the_units_own_group_sends_one():
    [sent] = send()
    assert (sent.recipient, sent.unit_id, sent.group_id, sent.sender_role) == ("unit", UNIT, GROUP, "office")
    [by_group] = send(actor=SUPERVISOR)
    assert by_group.sent_by == "sup-1"
    [to_group] = send(unit_id=None, unit_group_id=None, recipient_group_id=GROUP, group_known=True)
    assert (to_group.recipient, to_group.unit_id, to_group.group_id) == ("group", None, GROUP)


@pytest.mark.parametrize("actor, changes, refusal", [
    (STRANGER, {}, Forbidden),                                      # another group's unit
    (THE_UNIT, {}, Forbidden),                                      # a unit directs nobody
    (SUPERVISOR, {"unit_id": None, "unit_group_id": None, "recipient_group_id": GROUP,
                  "group_known": True}, Forbidden),                 # only the office directs a group
    (OFFICE, {"unit_known": False}, NotFound),
    (OFFICE, {"unit_id": None, "recipient_group_id": OTHER}, NotFound),
    (OFFICE, {"obligation_id": f"{UNIT}:arrival"}, NotFound),       # not an obligation of the unit
    (OFFICE, {"text": "  "}, Rejected),
    (OFFICE, {"reply_by": "2024-02-28"}, Rejected),                 # already passed
    (OFFICE, {"recipient_group_id": GROUP, "group_known": True}, Rejected),  # two recipients
])
def test_sending_refuses(actor, changes, refusal):
    with pytest.raises(refusal):
        send(actor=actor, **changes)


def test_only_the_recipient_acknowledges_and_replies_once():
    history = send()
    for stranger in (SUPERVISOR, OFFICE, Actor(id="u2", name="x", role="unit", scope="u-000000000009")):
        with pytest.raises(Forbidden):
            reply(stranger, history)
    [ack] = answer(D.AcknowledgeDirective(directive_id="dir-1", today="2024-03-02", actor=THE_UNIT), history)
    [replied] = reply(THE_UNIT, [*history, ack])
    assert (replied.text, replied.replied_on) == ("已整改完毕", "2024-03-04")
    with pytest.raises(Conflict):
        reply(THE_UNIT, [*history, ack, replied])
    with pytest.raises(Conflict):
        answer(D.AcknowledgeDirective(directive_id="dir-1", today="2024-03-02", actor=THE_UNIT), [*history, ack])
    with pytest.raises(Rejected):
        reply(THE_UNIT, history, text="")


def test_a_reply_without_an_acknowledgement_acknowledges_too():
    events = reply(THE_UNIT, send())
    assert [type(e).__name__ for e in events] == ["DirectiveAcknowledged", "DirectiveReplied"]


def test_a_directive_to_a_group_is_answered_by_that_group():
    history = send(unit_id=None, unit_group_id=None, recipient_group_id=GROUP, group_known=True)
    with pytest.raises(Forbidden):
        reply(STRANGER, history)
    assert type(reply(SUPERVISOR, history)[-1]).__name__ == "DirectiveReplied"


def test_no_such_directive():
    with pytest.raises(NotFound):
        reply(THE_UNIT, [])


def _obligations(events):
    runner = MemoryProjectionRunner(obligation_projections(CONFIG), check_purity=True)
    for position, event in enumerate(events, 1):
        runner.apply({"type": event.type, "payload": event.payload(), "position": position,
                      "occurred_at": "2024-03-01T09:00:00.000Z"}, "supervision")
    return runner.collections[OBLIGATIONS]


def test_a_directive_is_its_recipients_obligation_until_answered():
    sent = send()
    [obligation] = _obligations(sent)[UNIT]["obligations"]
    assert (obligation["type"], obligation["owed_by"], obligation["due"], obligation["status"]) == \
        ("directive", "unit", "2024-03-05", "open")
    [*_, replied] = reply(THE_UNIT, sent)
    [obligation] = _obligations([*sent, replied])[UNIT]["obligations"]
    assert (obligation["status"], obligation["met_on"]) == ("met_on_time", "2024-03-04")
    to_group = send(unit_id=None, unit_group_id=None, recipient_group_id=GROUP, group_known=True)
    doc = _obligations(to_group)[GROUP]
    assert (doc["unit_id"], doc["group_id"]) == (None, GROUP)
    assert doc["obligations"][0]["obligation_id"] == f"{GROUP}:directive:dir-1"
    assert doc["obligations"][0]["owed_by"] == "group"
