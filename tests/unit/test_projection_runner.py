"""MemoryProjectionRunner hands apply the stored document uncopied; its purity check
(on for the whole test suite, tests/conftest.py) catches a projection that mutates."""
import pytest

from shared.projection import PURITY_ENV, MemoryProjectionRunner, Projection, purity_check_default


def env(type_, position, **payload):
    return {"type": type_, "position": position, "payload": {"key": "k", **payload}}


def keys(e):
    return [e["payload"]["key"]]


def pure_apply(doc, e, key):
    doc = doc or {"items": [], "count": 0}
    return {**doc, "items": [*doc["items"], e["payload"]["item"]], "count": doc["count"] + 1}


def doc_mutating_apply(doc, e, key):
    doc = doc or {"items": [], "count": 0}
    doc["items"].append(e["payload"]["item"])  # the bug: changes the stored document's list
    return {**doc, "count": doc["count"] + 1}


def envelope_mutating_apply(doc, e, key):
    e["payload"]["tags"].sort()  # the bug: sorts the envelope's list in place
    return {"tags": e["payload"]["tags"]}


def runner(apply, check):
    return MemoryProjectionRunner([Projection("things", "units", keys, apply)], check_purity=check)


def test_the_checked_runner_names_the_projection_event_and_mutated_path():
    r = runner(doc_mutating_apply, check=True)
    r.apply(env("ItemAdded", 1, item="a"))  # no old document yet: nothing to mutate
    with pytest.raises(AssertionError) as raised:
        r.apply(env("ItemAdded", 2, item="b"))
    message = str(raised.value)
    assert "'things'" in message and "'ItemAdded'" in message and "position 2" in message
    assert "the old document at doc['items']" in message


def test_the_checked_runner_catches_a_mutated_envelope():
    e = env("Tagged", 1, tags=["b", "a"])
    with pytest.raises(AssertionError, match=r"the envelope at env\['payload'\]\['tags'\]"):
        runner(envelope_mutating_apply, check=True).apply(e)


def test_a_pure_projection_passes_the_check_and_leaves_its_inputs_alone():
    envelopes = [env("ItemAdded", i, item=c) for i, c in enumerate("abc", 1)]
    r = runner(pure_apply, check=True).fold(envelopes)
    assert r.collections["things"]["k"] == {"items": ["a", "b", "c"], "count": 3, "_id": "k"}
    assert envelopes[0] == env("ItemAdded", 1, item="a")


def test_the_runner_never_mutates_what_apply_returns():
    # sharing a part of the envelope is allowed; the runner adds _id to a copy of it
    e = env("Carded", 1, card={"name": "x"})
    r = runner(lambda doc, e, key: e["payload"]["card"], check=True).fold([e])
    assert r.collections["things"]["k"] == {"name": "x", "_id": "k"}
    assert e["payload"]["card"] == {"name": "x"}


def test_the_unchecked_runner_passes_the_stored_document_and_envelope_themselves():
    received = []

    def recording_apply(doc, e, key):
        received.append((doc, e))
        return pure_apply(doc, e, key)

    r = runner(recording_apply, check=False)
    r.apply(env("ItemAdded", 1, item="a"))
    stored = r.collections["things"]["k"]
    second = env("ItemAdded", 2, item="b")
    r.apply(second)
    doc, e = received[-1]
    assert doc is stored and doc["items"] is stored["items"]  # no copy, not even shallow
    assert e is second


def test_without_the_check_a_mutation_goes_unnoticed_so_the_contract_matters():
    r = runner(doc_mutating_apply, check=False)
    r.apply(env("ItemAdded", 1, item="a"))
    first = r.collections["things"]["k"]
    r.apply(env("ItemAdded", 2, item="b"))
    assert first["items"] == ["a", "b"]  # the bug reached the stored (old) document


def test_the_check_defaults_from_the_environment(monkeypatch):
    monkeypatch.setenv(PURITY_ENV, "1")
    assert purity_check_default() and MemoryProjectionRunner([]).check_purity
    for off in ("0", "", "false"):
        monkeypatch.setenv(PURITY_ENV, off)
        assert not MemoryProjectionRunner([]).check_purity
    monkeypatch.delenv(PURITY_ENV)
    assert not MemoryProjectionRunner([]).check_purity
    assert MemoryProjectionRunner([], check_purity=True).check_purity
