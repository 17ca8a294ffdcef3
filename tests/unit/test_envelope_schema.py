"""The envelope check verify runs on every stored event: its quick path (``plainly_valid``)
must never let through an envelope EnvelopeSchema refuses, and what ``envelope_errors``
reports must be exactly what the schema reports."""
import copy
import json
import uuid

import pytest
from bson.int64 import Int64
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.envelope import (
    GENESIS_HASH,
    canonical,
    chain_hash,
    envelope_errors,
    plainly_valid,
    schema_errors,
    verify_chain,
)
from shared.eventstore.base import AppendRequest, NewEvent, seal

ACTOR = {"id": "p-1", "name": "县委办 王主任", "role": "office", "scope": None}


def sealed(n=3):
    request = AppendRequest("unit-u1", 0, [NewEvent("ThingHappened", {"n": i, "名": "值"}) for i in range(n)],
                            ACTOR, causation_id=str(uuid.uuid4()))
    return seal(request, 0, 0, GENESIS_HASH, recorded_at="2024-03-01T08:00:00.000Z")


GOOD = sealed(1)[0]


def changed(**fields):
    """GOOD with top-level fields replaced (``...`` deletes one); ``actor__x`` reaches into actor."""
    env = copy.deepcopy(GOOD)
    for name, value in fields.items():
        target, key = (env.get("actor"), name[len("actor__"):]) if name.startswith("actor__") else (env, name)
        if not isinstance(target, dict):
            continue  # the actor itself was replaced or deleted
        if value is ...:
            target.pop(key, None)
        else:
            target[key] = value
    return env


REFUSED = {
    "unknown field": changed(smuggled="x"),
    "unknown actor field": changed(actor__extra="x"),
    **{f"missing {name}": changed(**{name: ...}) for name in GOOD},
    **{f"missing actor {name}": changed(**{f"actor__{name}": ...}) for name in ("id", "name", "role")},
    **{f"null {name}": changed(**{name: None}) for name in GOOD if name != "causation_id"},
    "event_id not a uuid": changed(event_id="not-a-uuid"),
    "event_id an int": changed(event_id=12),
    "event_id short": changed(event_id=GOOD["event_id"][:-1]),
    "type empty": changed(type=""),
    "type an int": changed(type=3),
    "type a list": changed(type=["A"]),
    "stream_id empty": changed(stream_id=""),
    "schema_version 0": changed(schema_version=0),
    "schema_version a string": changed(schema_version="1"),
    "schema_version a float": changed(schema_version=1.0),
    "schema_version a bool": changed(schema_version=True),
    "version negative": changed(version=-1),
    "version a float": changed(version=2.5),
    "position 0": changed(position=0),
    "position a string": changed(position="1"),
    "position a bool": changed(position=True),
    "occurred_at without millis": changed(occurred_at="2024-03-01T08:00:00Z"),
    "occurred_at with offset": changed(occurred_at="2024-03-01T08:00:00.000+08:00"),
    "recorded_at a date": changed(recorded_at="2024-03-01"),
    "recorded_at an int": changed(recorded_at=1709280000000),
    "recorded_at trailing text": changed(recorded_at="2024-03-01T08:00:00.000Zx"),
    "actor a string": changed(actor="office"),
    "actor a list": changed(actor=[ACTOR]),
    "actor role unknown": changed(actor__role="admin"),
    "actor role a list": changed(actor__role=["office"]),
    "actor role upper case": changed(actor__role="Office"),
    "actor id an int": changed(actor__id=1),
    "actor name null": changed(actor__name=None),
    "actor scope an int": changed(actor__scope=5),
    "correlation_id an int": changed(correlation_id=7),
    "causation_id a dict": changed(causation_id={"id": "x"}),
    "payload a list": changed(payload=[1, 2]),
    "payload a string": changed(payload="{}"),
    "hash short": changed(hash="a" * 63),
    "hash long": changed(hash="a" * 65),
    "hash an int": changed(hash=1),
    "prev_hash empty": changed(prev_hash=""),
    "prev_hash bytes of the wrong length": changed(prev_hash=b"0" * 63),
}

# accepted by the schema though not in the shape seal() writes: the quick path leaves them
# to the schema, which lets them through
ODD_BUT_VALID = {
    "upper-case event_id": changed(event_id=GOOD["event_id"].upper()),
    "event_id without hyphens": changed(event_id=GOOD["event_id"].replace("-", "")),
    "event_id as urn": changed(event_id="urn:uuid:" + GOOD["event_id"]),
    "bytes for a string": changed(stream_id=b"unit-u1"),
    "Int64 position": changed(position=Int64(1)),
    "timestamp with a trailing newline": changed(occurred_at="2024-03-01T08:00:00.000Z\n"),
    "actor without scope": changed(actor__scope=...),
    "str subclass": changed(type=type("Name", (str,), {})("ThingHappened")),
}


def test_a_sealed_envelope_takes_the_quick_path():
    for env in sealed(3):
        assert plainly_valid(env) and schema_errors(env) is None and envelope_errors(env) is None
    assert plainly_valid({**GOOD, "_id": 1})  # the stored _id is not part of the envelope


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_envelope_the_schema_refuses_is_refused_and_named(case):
    env = REFUSED[case]
    errors = schema_errors(env)
    assert errors, f"{case}: the table entry should be refused by the schema"
    assert not plainly_valid(env)
    assert envelope_errors(env) == errors  # the schema's own messages, naming the field


def test_the_messages_name_the_field():
    assert envelope_errors(changed(position=0)) == {"position": ["Must be greater than or equal to 1."]}
    assert envelope_errors(changed(actor__role="admin")) == {
        "actor": {"role": ["Must be one of: office, supervisor, unit, respondent, auditor, operator, system."]}}
    assert envelope_errors(changed(smuggled="x")) == {"smuggled": ["Unknown field."]}


@pytest.mark.parametrize("case", sorted(ODD_BUT_VALID))
def test_odd_envelopes_the_schema_accepts_stay_accepted(case):
    env = ODD_BUT_VALID[case]
    assert schema_errors(env) is None
    assert envelope_errors(env) is None


def test_verify_chain_names_a_malformed_envelope():
    envs = sealed(3)
    envs[1]["position"] = True  # == 1 to Python, refused by the schema
    result = verify_chain(envs)
    assert result["first_broken"]["position"] == 2
    envs = sealed(3)
    envs[2]["actor"]["role"] = "admin"
    envs[2]["hash"] = chain_hash(envs[1]["hash"], envs[2])  # re-sealed: only the schema catches it
    result = verify_chain(envs)
    assert result["first_broken"]["position"] == 3 and "role" in result["first_broken"]["reason"]
    assert verify_chain(sealed(3))["ok"]


# -- any envelope at all ----------------------------------------------------------------------
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(2 ** 62, 2 ** 64),
    st.floats(allow_nan=True), st.builds(Int64, st.integers(-2, 5)),
    st.text(max_size=70), st.binary(max_size=70),
    st.sampled_from([str(uuid.UUID(int=7)), str(uuid.UUID(int=7)).upper(), uuid.UUID(int=7).hex,
                     "2024-03-01T08:00:00.000Z", "2024-03-01T08:00:00.000Z\n", "2024-03-01T08:00:00Z",
                     "a" * 64, "a" * 63, "", "office", "Office", "system", b"office"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
FIELDS = list(GOOD) + [f"actor__{k}" for k in GOOD["actor"]] + ["smuggled", "actor__smuggled", "actor"]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.just(...), ODD_VALUES), max_size=3))
def test_the_quick_path_never_passes_what_the_schema_refuses(changes):
    env = changed(**changes)
    errors = schema_errors(env)
    if plainly_valid(env):
        assert errors is None
    assert envelope_errors(env) == errors


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=10))
def test_canonical_bytes_are_the_json_dumps_ones(payload):
    env = changed(payload={"v": payload})
    body = {k: v for k, v in env.items() if k != "hash"}
    assert canonical(env) == json.dumps(body, sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False).encode("utf-8")
