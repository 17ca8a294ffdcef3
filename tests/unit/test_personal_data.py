"""Personal data sealed with a key per person (shared.personal_data), in the event stores."""
from __future__ import annotations

import dataclasses
import json

import pytest

import services.evaluation.domain.analysis  # noqa: F401  (registers the event types)
import services.evaluation.domain.survey  # noqa: F401
import services.study.domain  # noqa: F401
import services.supervision.domain  # noqa: F401
import services.units.domain  # noqa: F401
from shared import personal_data as P
from shared.domain import EVENT_TYPES
from shared.eventstore import MemoryEventStore, NewEvent

ACTOR = {"id": "o-1", "name": "办公室", "role": "office"}
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


# -- one value -----------------------------------------------------------------------------

def test_a_sealed_value_opens_with_its_key_only():
    sealed = P.seal_value("张三", "m-1", "name", KEY)
    assert set(sealed) == {"enc", "key"} and sealed["key"] == "m-1"
    assert "张三" not in json.dumps(sealed, ensure_ascii=False)
    assert P.open_value(sealed, "name", KEY) == "张三"
    with pytest.raises(P.SealBroken):
        P.open_value(sealed, "name", OTHER_KEY)  # the wrong key is refused, not guessed at


def test_a_changed_ciphertext_is_refused():
    sealed = P.seal_value("张三", "m-1", "name", KEY)
    enc = sealed["enc"]
    flipped = enc[:20] + ("A" if enc[20] != "A" else "B") + enc[21:]
    with pytest.raises(P.SealBroken):
        P.open_value({**sealed, "enc": flipped}, "name", KEY)
    with pytest.raises(P.SealBroken):
        P.open_value({**sealed, "enc": "not base64!"}, "name", KEY)


def test_a_ciphertext_moved_to_another_person_or_field_is_refused():
    sealed = P.seal_value("张三", "m-1", "name", KEY)
    with pytest.raises(P.SealBroken):
        P.open_value({**sealed, "key": "m-2"}, "name", KEY)  # same key bytes, another subject
    with pytest.raises(P.SealBroken):
        P.open_value(sealed, "person_name", KEY)


def test_a_missing_key_shows_the_placeholder():
    sealed = P.seal_value("张三", "m-1", "name", KEY)
    assert P.open_value(sealed, "name", None) == P.PLACEHOLDER == "已删除"
    assert P.open_value({"enc": None, "key": "m-1"}, "name", KEY) == P.PLACEHOLDER


def test_each_seal_uses_a_fresh_nonce():
    assert P.seal_value("张三", "m-1", "name", KEY)["enc"] != P.seal_value("张三", "m-1", "name", KEY)["enc"]


# -- the declaration -----------------------------------------------------------------------

def _sample(event_type: str) -> tuple[dict, dict[str, str]]:
    """A payload of ``event_type`` holding every declared field (value -> subject), built
    from the declaration; the event class's other fields get a plain value."""
    cls = EVENT_TYPES[event_type]
    payload: dict = {f.name: f"v-{f.name}" for f in dataclasses.fields(cls)}
    values: dict[str, str] = {}
    for n, spec in enumerate(P.DECLARED[event_type]):
        holders = []
        if not spec.at:
            holders = [payload]
        else:
            path = spec.at.split(".")
            node = payload
            for step in path:
                name = step.rstrip("[]")
                if step.endswith("[]"):
                    node[name] = [{}, {}]
                    holders = node[name]
                else:
                    node[name] = node.get(name) if isinstance(node.get(name), dict) else {}
                    node = node[name]
                    holders = [node]
        for i, holder in enumerate(holders):
            named_by = payload if spec.subject_at_root else holder
            subject = named_by.get(spec.subject) if isinstance(named_by.get(spec.subject), str) \
                and named_by.get(spec.subject).startswith("s-") else f"s-{event_type}-{n}-{i}"
            named_by[spec.subject] = subject
            # a free-form dict (every_text): two entries of the kind it holds
            for field in (("联络人", "电话") if spec.every_text else spec.fields):
                value = f"私密{event_type}{n}{i}{field}"
                holder[field] = value
                values[value] = subject
    return payload, values


@pytest.mark.parametrize("event_type", sorted(P.DECLARED))
def test_every_declared_field_is_sealed_in_the_stored_payload(event_type):
    assert event_type in EVENT_TYPES, f"{event_type} is declared personal but no service has it"
    cls_fields = {f.name for f in dataclasses.fields(EVENT_TYPES[event_type])}
    for spec in P.DECLARED[event_type]:
        top = spec.at.split(".")[0].rstrip("[]") if spec.at else None
        assert (top in cls_fields) if top else set(spec.fields) <= cls_fields, spec
    payload, values = _sample(event_type)
    store = MemoryEventStore("s")
    shown = store.append("x-1", 0, [NewEvent(event_type, payload)], actor=ACTOR)
    [stored] = store.read_stream("x-1", raw=True)
    text = json.dumps(stored, ensure_ascii=False)
    leaked = [v for v in values if v in text]
    assert not leaked, f"{event_type}: {leaked} stored in plaintext"
    assert P.sealed_subjects(stored["payload"]) == set(values.values())
    assert shown[0]["payload"] == payload  # the caller sees what it appended
    assert store.read_stream("x-1")[0]["payload"] == payload  # and every read opens it
    assert store.verify()["ok"]


# names (and the like) in event fields that are not a person's: anything else that looks
# like a person's data must be declared in shared.personal_data.DECLARED
NOT_PERSONAL = {
    ("UnitRegistered", "name"),  # a unit's name
    ("GroupFormed", "name"),  # a supervision group's name
    ("OpinionsSolicited", "source_name"),  # a body whose opinions were asked
}


def test_every_field_that_may_name_a_person_is_declared_or_known_not_to():
    declared = {(t, f) for t, specs in P.DECLARED.items() for s in specs if not s.at for f in s.fields}
    declared |= {(t, s.at.split(".")[0].rstrip("[]")) for t, specs in P.DECLARED.items() for s in specs if s.at}
    suspicious = {(name, f.name) for name, cls in EVENT_TYPES.items() for f in dataclasses.fields(cls)
                  if f.name in ("name", "contact", "phone", "email", "leader", "members")
                  or f.name.endswith(("_name", "_phone", "_email"))}
    assert suspicious - declared - NOT_PERSONAL == set()


# -- in a store ----------------------------------------------------------------------------

def enrolled(member_id="m-1", name="张三", unit_id="u-1"):
    return NewEvent("MemberEnrolled", {"unit_id": unit_id, "member_id": member_id, "name": name,
                                       "section": "综合科", "is_leader": False, "is_retired": False})


def erased(member_id="m-1", unit_id="u-1"):
    return NewEvent("PersonalDataErased", {"unit_id": unit_id, "subject_id": member_id, "reason": "本人申请"})


def test_the_key_lives_apart_from_the_log_and_erasure_destroys_it():
    seen = []
    store = MemoryEventStore("units", on_append=lambda session, envs: seen.extend(envs))
    store.append("unit-u-1", 0, [enrolled(), enrolled("m-2", "李四")], actor=ACTOR)
    assert set(store.keys) == {"m-1", "m-2"} and len(store.keys["m-1"]["key"]) == 32
    assert [e["payload"]["name"] for e in seen] == ["张三", "李四"]  # projections see plaintext
    before = store.verify()
    hashes = [e["hash"] for e in store.read_stream("unit-u-1", raw=True)]
    store.append("unit-u-1", 2, [erased("m-1")], actor=ACTOR)
    assert store.keys["m-1"]["key"] is None  # a tombstone: no key material left
    names = [e["payload"].get("name") for e in store.read_stream("unit-u-1")]
    assert names == ["已删除", "李四", None]
    assert "张三" not in json.dumps(store.read_stream("unit-u-1", raw=True), ensure_ascii=False)
    after = store.verify()
    assert before["ok"] and after["ok"]
    assert [e["hash"] for e in store.read_stream("unit-u-1", raw=True)][:2] == hashes  # not rewritten


def test_an_erased_persons_later_data_is_never_stored():
    store = MemoryEventStore("units")
    store.append("unit-u-1", 0, [enrolled(), erased()], actor=ACTOR)  # erased in the same append
    store.append("unit-u-2", 0, [enrolled(unit_id="u-2", name="张三又")], actor=ACTOR)
    raw = json.dumps(store.events_since(0, raw=True), ensure_ascii=False)
    assert "张三" not in raw
    assert [e["payload"].get("name") for e in store.events_since(0)] == ["已删除", None, "已删除"]


def test_a_log_from_before_sealing_still_replays_and_an_erasure_hides_it():
    from shared.eventstore.base import AppendRequest, empty_head, seal
    store = MemoryEventStore("units")
    # an old plaintext event, as logs written before personal data was sealed hold them
    head = empty_head()
    [env] = seal(AppendRequest("unit-u-1", 0, [enrolled()], ACTOR), 0, head["position"], head["hash"])
    assert env["payload"]["name"] == "张三"
    store._log.append(env)
    store._head = {"position": env["position"], "hash": env["hash"]}
    assert store.read_stream("unit-u-1")[0]["payload"]["name"] == "张三"  # accepted on read
    store.append("unit-u-1", 1, [erased()], actor=ACTOR)
    assert store.read_stream("unit-u-1")[0]["payload"]["name"] == "已删除"
    assert store.verify()["ok"]


def test_a_tampered_ciphertext_breaks_the_chain_and_does_not_open():
    store = MemoryEventStore("units")
    store.append("unit-u-1", 0, [enrolled()], actor=ACTOR)
    env = store.read_stream("unit-u-1", raw=True)[0]
    enc = env["payload"]["name"]["enc"]
    changed = {**env["payload"], "name": {**env["payload"]["name"], "enc": ("B" if enc[0] == "A" else "A") + enc[1:]}}
    store.tamper(1, payload=changed)
    assert not store.verify()["ok"]
    with pytest.raises(P.SealBroken):
        store.read_stream("unit-u-1")


def test_scrub_replaces_the_subjects_declared_fields_at_any_depth():
    doc = {"unit_id": "u-1", "name": "单位", "members": [
        {"member_id": "m-1", "name": "张三", "section": "综合科"},
        {"member_id": "m-2", "name": "李四"}],
        "basis": {"member": {"member_id": "m-1", "name": "张三"}}}
    out = P.scrub(doc, "m-1")
    assert out["name"] == "单位"
    assert [m["name"] for m in out["members"]] == ["已删除", "李四"]
    assert out["basis"]["member"]["name"] == "已删除"
    assert doc["members"][0]["name"] == "张三"  # a copy: the document given is left alone
