"""Personal data at rest (shared.personal_data, issue 19): stored copies of personal data
(projections, parked events) hold it sealed with a key of the database that holds them,
the same bytes each time, the placeholder once the key is gone; and no projection of any
service writes a name it was given unsealed."""
from __future__ import annotations

import copy
import os
import pickle

import pytest

from bench import county
from shared import personal_data as pd
from shared import registry
from shared.audit.logs import merged
from shared.projection import MemoryProjectionRunner

KEY = os.urandom(32)


def test_a_sealed_value_opens_with_its_key_and_seals_to_the_same_bytes():
    blob = pd.seal_at_rest("张三", "units:m-1", KEY)
    assert set(blob) == {"sealed", "key"} and "张三" not in str(blob)
    assert pd.seal_at_rest("张三", "units:m-1", KEY) == blob  # a rebuild compares bytes
    assert pd.seal_at_rest("李四", "units:m-1", KEY) != blob
    assert pd.open_at_rest(blob, KEY) == "张三"
    assert pd.open_at_rest(blob, None) == pd.PLACEHOLDER  # the key destroyed: erased


def test_a_changed_moved_or_foreign_sealed_value_does_not_open():
    blob = pd.seal_at_rest("张三", "units:m-1", KEY)
    with pytest.raises(pd.SealBroken):
        pd.open_at_rest(blob, os.urandom(32))
    with pytest.raises(pd.SealBroken):  # moved to another person's key id
        pd.open_at_rest({**blob, "key": "units:m-2"}, KEY)
    tampered = blob["sealed"][:-2] + ("A" if blob["sealed"][-2] != "A" else "B") + blob["sealed"][-1]
    with pytest.raises(pd.SealBroken):
        pd.open_at_rest({**blob, "sealed": tampered}, KEY)


def test_marks_follow_the_text_through_copies():
    text = pd.PersonalText("张三", "units:m-1")
    for copied in (copy.copy(text), copy.deepcopy({"a": [text]})["a"][0], pickle.loads(pickle.dumps(text))):
        assert copied == "张三" and copied.key_id == "units:m-1"
    assert sorted([pd.PersonalText("b", "k"), "a"]) == ["a", "b"]  # sorts as its text


def test_a_document_seals_and_opens_both_ways():
    payload = {"unit_id": "u-1", "member_id": "m-1", "name": "张三", "section": "办公室"}
    env = pd.marked({"type": "MemberEnrolled", "payload": payload}, "units")
    doc = {"_id": "u-1", "members": [{"member_id": "m-1", "name": env["payload"]["name"]}],
           "head": env["payload"]["name"], "section": env["payload"]["section"]}
    assert pd.rest_key_ids(doc) == {"units:m-1"}
    keys = {"units:m-1": KEY}
    stored = pd.seal_doc(doc, keys.get)
    assert "张三" not in repr(stored) and stored["section"] == "办公室"
    assert pd.rest_key_ids(stored) == {"units:m-1"}
    assert pd.open_doc(stored, keys.get) == doc
    reopened = pd.open_doc(stored, keys.get, marked=True)
    assert isinstance(reopened["head"], pd.PersonalText)
    assert pd.seal_doc(reopened, keys.get) == stored  # written back as it was
    assert pd.seal_doc(reopened, {}.get)["head"] == pd.PLACEHOLDER  # unless the key is gone
    erased = pd.open_doc(stored, {}.get)
    assert erased["head"] == erased["members"][0]["name"] == pd.PLACEHOLDER
    assert pd.seal_doc(doc, {}.get)["head"] == pd.PLACEHOLDER  # nothing kept once erased
    untouched = {"_id": "u-2", "name": "第一单位"}
    assert pd.seal_doc(untouched, keys.get) is untouched and pd.open_doc(untouched, keys.get) is untouched


def _texts(value, out: set) -> set:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _texts(v, out)
    elif isinstance(value, list):
        for v in value:
            _texts(v, out)
    elif isinstance(value, str):
        out.add(value)
    return out


def _personal_texts(logs) -> set[str]:
    found: set[str] = set()
    for log in logs.values():
        for env in log.docs:
            for spec in pd.DECLARED.get(env["type"], ()):
                for holder in pd._holders(env["payload"], spec.at):
                    found.update(holder[f] for f in spec.fields_in(holder) if isinstance(holder.get(f), str))
    return found


@pytest.mark.parametrize("service", ["units", "supervision", "study", "evaluation"])
def test_no_projection_stores_a_name_unsealed(service):
    """Every projection of the service folds a small county's logs (names marked as the
    projector marks them); sealed as the projector stores them, no document holds a name
    as a value or a key: a projection that derived a new string from a name (losing its
    mark) would fail here."""
    logs = county.generate(sessions_per_unit=1)
    names = _personal_texts(logs)
    assert len(names) > 100 and "0000-1234567" in names  # members', group people's, contacts'
    runner = MemoryProjectionRunner(registry.projections_of(service), check_purity=False)
    for source, env in merged({s: [{k: v for k, v in d.items() if k != "_id"} for d in log.docs]
                               for s, log in logs.items()}):
        runner.apply(pd.marked(env, source), source)
    stored = {name: [pd.seal_doc(doc, lambda key_id: KEY) for doc in docs.values()]
              for name, docs in runner.collections.items()}
    assert any(docs for docs in stored.values())
    leaked = {name: sorted(_texts(docs, set()) & names)[:5] for name, docs in stored.items()}
    assert {n: t for n, t in leaked.items() if t} == {}
