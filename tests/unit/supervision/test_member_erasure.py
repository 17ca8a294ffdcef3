"""Forgetting a supervision group member (issue 19 item 2, shared.personal_data): the rule,
the group's fold, the read models, and the event store destroying the member's key."""
import json

import pytest

from services.supervision.domain import (
    EraseGroupMemberData,
    GroupMemberDataErased,
    LeaveRequested,
    decide,
    fold_group,
    group_stream,
)
from services.supervision.projections import CONSOLE_GROUPS, PORTFOLIOS
from shared.domain import ERASED, Conflict, Forbidden, NotFound, Rejected
from shared.eventstore import MemoryEventStore, NewEvent
from tests.unit.supervision.helpers import G1, OFFICE, SUP1, formed
from tests.unit.supervision.test_projections import own, runner


def erase(member_id="p-m1", reason="本人申请（个人信息保护法第四十七条）", actor=OFFICE, group_id=G1):
    return EraseGroupMemberData(group_id=group_id, member_id=member_id, reason=reason, actor=actor)


def refused(state, command, error, says):
    with pytest.raises(error) as caught:
        decide(state, command)
    assert says in str(caught.value)


def test_the_office_erases_a_group_members_data_once():
    state = fold_group([formed()])
    [event] = decide(state, erase())
    assert event == GroupMemberDataErased(group_id=G1, subject_id="p-m1",
                                          reason="本人申请（个人信息保护法第四十七条）", is_leader=False)
    assert "李干事" not in json.dumps(event.payload(), ensure_ascii=False)
    after = fold_group([formed(), event])
    assert after.people["p-m1"]["name"] == ERASED and after.people["p-m2"]["name"] == "王干事"
    assert after.people["p-m1"]["home_unit"] == "县教育局"  # only the declared field goes
    refused(after, erase(), Conflict, "already erased")
    [lead] = decide(after, erase("p-lead"))
    assert lead.is_leader is True
    assert fold_group([formed(), event, lead]).leader["name"] == ERASED


def test_refusals():
    state = fold_group([formed()])
    refused(state, erase(actor=SUP1), Forbidden, "office")
    refused(fold_group([]), erase(), NotFound, "does not exist")
    refused(state, erase("p-nobody"), NotFound, "not a member")
    refused(state, erase(reason="   "), Rejected, "reason")
    refused(state, erase(reason="x" * 501), Rejected, "reason")


def test_the_read_models_show_the_placeholder():
    event = decide(fold_group([formed()]), erase("p-lead"))[0]
    r = runner(own(formed()), own(LeaveRequested(group_id=G1, leave_id="l1", member_id="p-lead",
                                                 from_date="2005-03-01", to_date="2005-03-02",
                                                 reason="事", requested_on="2005-02-27")))
    assert r.collections[CONSOLE_GROUPS][G1]["leader_name"] == "张组长"
    r.apply(own(event), "supervision")
    portfolio = r.collections[PORTFOLIOS][G1]
    assert portfolio["people"]["p-lead"]["name"] == ERASED
    assert portfolio["people"]["p-lead"]["is_leader"] is True
    assert portfolio["people"]["p-m1"]["name"] == "李干事"
    assert portfolio["leaves"]["l1"]["member_id"] == "p-lead"  # the record stays, by id
    assert r.collections[CONSOLE_GROUPS][G1]["leader_name"] == ERASED
    text = json.dumps([r.collections[PORTFOLIOS], r.collections[CONSOLE_GROUPS]], ensure_ascii=False)
    assert "张组长" not in text and "李干事" in text


def test_the_store_destroys_the_members_key_and_keeps_the_chain():
    store = MemoryEventStore("supervision")
    group = formed()
    store.append(group_stream(G1), 0, [NewEvent("GroupFormed", group.payload())],
                 actor={"id": "o-1", "name": "办公室", "role": "office"})
    assert {"p-lead", "p-m1", "p-m2"} <= set(store.keys)
    assert "李干事" not in json.dumps(store.events_since(0, raw=True), ensure_ascii=False)
    event = decide(fold_group([group]), erase())[0]
    store.append(group_stream(G1), 1, [NewEvent(event.type, event.payload())],
                 actor={"id": "o-1", "name": "办公室", "role": "office"})
    assert store.keys["p-m1"]["key"] is None and store.keys["p-m2"]["key"] is not None
    [formed_again, _] = store.read_stream(group_stream(G1))
    names = {m["member_id"]: m["name"] for m in formed_again["payload"]["members"]}
    assert names == {"p-m1": ERASED, "p-m2": "王干事"}
    assert formed_again["payload"]["leader"]["name"] == "张组长"
    assert store.verify()["ok"]
