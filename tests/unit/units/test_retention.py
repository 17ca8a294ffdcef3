"""The people a unit notifies (the survey's frame) under pseudonymous ids, and their names
erased once the retention after acceptance has passed (issue 19 item 3)."""
import json

from services.units.domain import commands as C
from services.units.domain import decide
from services.units.domain import events as E
from services.units.domain.rectification import retention_due
from services.units.projections import PROJECTIONS, RETENTION
from shared.domain import Conflict, Forbidden, Rejected
from shared.eventstore import MemoryEventStore, NewEvent
from shared.projection import MemoryProjectionRunner, envelope_for

from .helpers import OFFICE, SYS, UNIT, U, in_phase, refused, run, step

STATUS = "整改措施12项已完成"
NAMES = ("张三", "李四", "王五")
IDS = ("r-000000000001", "r-000000000002", "r-000000000003")


def notify(ids=IDS, scope=NAMES, notification_id="n1"):
    return C.NotifyPublic(UNIT, U, notification_id, tuple(scope), "2024-06-01", "整改情况通报",
                          rectification_status=STATUS, person_ids=tuple(ids))


def erase(today="2024-06-25", days=0, actor=SYS):
    return C.EraseRespondentNames(actor=actor, unit_id=U, today=today, retention_days=days)


def accepted_after_notifying():
    """Notified in phase survey, then accepted on 2024-06-25 (the helpers' 检查验收)."""
    state = step(in_phase("survey"), notify())
    state = step(state, C.ApplySurveyResult(SYS, U, "s1", True, "2024-06-20", 0.9, 0.9))
    state = step(state, C.ApplyInspectionResult(SYS, U, "i1", "s1", True, "成果扎实", "2024-06-25"))
    assert state.phase == "accepted"
    return state


def test_the_scope_is_kept_as_pseudonymous_ids_and_the_names_beside_them():
    [event], state = run(in_phase("survey"), notify())
    assert event.scope == list(IDS)
    assert event.people == [{"person_id": i, "name": n} for i, n in zip(IDS, NAMES)]
    assert state.respondents == dict.fromkeys(IDS, False)
    # in the log each name is sealed with its person's key: the ids, never the names
    store = MemoryEventStore("units")
    store.append(f"unit-{U}", 0, [NewEvent(event.type, event.payload())],
                 actor={"id": "u", "name": "unit", "role": "unit"})
    raw = json.dumps(store.events_since(0, raw=True), ensure_ascii=False)
    assert not [n for n in NAMES if n in raw] and all(i in raw for i in IDS)
    assert set(store.keys) == set(IDS)


def test_the_pseudonymous_ids_are_one_per_person_and_new():
    state = in_phase("survey")
    refused(Rejected, state, notify(ids=IDS[:2]))
    refused(Rejected, state, notify(ids=(IDS[0], IDS[0], IDS[1])))
    refused(Rejected, step(state, notify()), notify(notification_id="n2"))  # the ids again


def test_the_names_are_erased_once_the_retention_after_acceptance_has_passed():
    state = accepted_after_notifying()
    assert state.accepted_on() == "2024-06-25"
    assert retention_due(state, 30) == "2024-07-25"
    refused(Conflict, state, erase(today="2024-07-24", days=30))  # not yet due
    [event], after = run(state, erase(today="2024-07-25", days=30))
    assert event == E.RespondentNamesErased(unit_id=U, subject_ids=sorted(IDS), accepted_on="2024-06-25",
                                            retention_days=30, due="2024-07-25", erased_on="2024-07-25")
    assert not [n for n in NAMES if n in json.dumps(event.payload(), ensure_ascii=False)]
    assert after.respondents == dict.fromkeys(IDS, True)
    # idempotent: a repeated or redelivered tick decides nothing
    assert decide(after, erase(today="2024-08-01", days=30)) == []


def test_refusals():
    state = accepted_after_notifying()
    refused(Forbidden, state, erase(actor=OFFICE))  # the scheduler's, not a person's
    refused(Forbidden, state, erase(actor=UNIT))
    refused(Conflict, step(in_phase("survey"), notify()), erase())  # not accepted
    refused(Rejected, state, erase(days=-1))


def test_the_erasure_destroys_every_key_in_one_append_and_the_chain_holds():
    state = accepted_after_notifying()
    [notified] = decide(in_phase("survey"), notify())
    [erased] = decide(state, erase())
    store = MemoryEventStore("units")
    actor = {"id": "u", "name": "unit", "role": "unit"}
    store.append(f"unit-{U}", 0, [NewEvent(notified.type, notified.payload())], actor=actor)
    store.append(f"unit-{U}", 1, [NewEvent(erased.type, erased.payload())], actor=actor)
    assert all(store.keys[i]["key"] is None for i in IDS)
    [shown, _] = store.read_stream(f"unit-{U}")
    assert shown["payload"]["scope"] == list(IDS)
    assert [p["name"] for p in shown["payload"]["people"]] == ["已删除"] * 3
    assert store.verify()["ok"]


def test_the_retention_read_model_holds_ids_only():
    runner = MemoryProjectionRunner([p for p in PROJECTIONS if p.collection == RETENTION])
    [notified] = decide(in_phase("survey"), notify())
    runner.apply(envelope_for(notified, stream_id=f"unit-{U}", position=1), "units")
    entered = E.PhaseEntered(unit_id=U, phase="accepted", previous_phase="survey", deadline=None,
                             reason="检查验收", entered_on="2024-06-25")
    runner.apply(envelope_for(entered, stream_id=f"unit-{U}", position=2), "units")
    doc = runner.collections[RETENTION][U]
    assert doc["accepted_on"] == "2024-06-25" and doc["respondents"] == list(IDS) and doc["erased"] == []
    assert not [n for n in NAMES if n in json.dumps(doc, ensure_ascii=False)]
    [erased] = decide(accepted_after_notifying(), erase())
    runner.apply(envelope_for(erased, stream_id=f"unit-{U}", position=3), "units")
    assert runner.collections[RETENTION][U]["erased"] == sorted(IDS)
