"""The idempotency of a request (shared.edge): what a key makes the same on every try, and
how a worker's storage runs a command of a request that already ran (StorageAccess with
the in-memory store)."""
from types import SimpleNamespace

import pytest

from services.units import domain as D
from services.units.schemas import RegisterUnitSchema
from shared.domain import Actor, DomainError
from shared.edge import answer, idempotent_request, load
from shared.eventstore import MemoryEventStore
from shared.service_kit.storage import StorageAccess

OFFICE = Actor(id="office-1", name="王主任", role="office", scope=None)
FIELDS = {"name": "县委办公室", "org_type": "党支部", "batch": 1}


def test_one_key_makes_the_same_ids_every_try_and_another_key_others():
    first = load(RegisterUnitSchema, FIELDS, OFFICE, idempotent_request("register_unit", FIELDS, OFFICE, "k1"))
    again = load(RegisterUnitSchema, FIELDS, OFFICE, idempotent_request("register_unit", FIELDS, OFFICE, "k1"))
    other = load(RegisterUnitSchema, FIELDS, OFFICE, idempotent_request("register_unit", FIELDS, OFFICE, "k2"))
    keyless = load(RegisterUnitSchema, FIELDS, OFFICE)
    assert first.unit_id == again.unit_id and first.unit_id.startswith("u-")
    assert len({first.unit_id, other.unit_id, keyless.unit_id}) == 3


def test_a_key_is_its_senders_own_and_the_fingerprint_is_what_they_asked():
    clerk = Actor(id="office-2", name="李干事", role="office", scope=None)
    mine = idempotent_request("register_unit", FIELDS, OFFICE, "k1")
    theirs = idempotent_request("register_unit", FIELDS, clerk, "k1")
    changed = idempotent_request("register_unit", {**FIELDS, "batch": 2}, OFFICE, "k1")
    assert mine.command_key(0).id != theirs.command_key(0).id
    assert mine.command_key(0).id == changed.command_key(0).id
    assert mine.command_key(0).fingerprint != changed.command_key(0).fingerprint
    assert mine.command_key(1).id != mine.command_key(0).id


@pytest.mark.parametrize("key", ["", "a b", "x" * 201, "键", 5, "tab\there"])
def test_a_malformed_key_is_an_invalid_request(key):
    refused = answer(lambda: idempotent_request("register_unit", FIELDS, OFFICE, key))
    assert refused["error"] == "invalid" and "idempotency_key" in refused["details"]["fields"]


def worker_storage() -> StorageAccess:
    """A worker's storage over the in-memory store (no database, no inbox needed here)."""
    return StorageAccess(SimpleNamespace(store=MemoryEventStore("units"), inbox=None, db=None))


def _register(storage, key, bound=True):
    request = idempotent_request("register_unit", FIELDS, OFFICE, key)
    storage.bind_request(request if bound else None)
    command = load(RegisterUnitSchema, FIELDS, OFFICE, request)
    return storage.execute(D.stream_of(command), D.decide, D.fold_for(command), command, actor=OFFICE)


def test_a_command_the_first_try_made_impossible_answers_the_first_events():
    storage = worker_storage()
    first = _register(storage, "k1")
    assert _register(storage, "k1") == first  # decide refuses "already registered": looked up
    assert len(storage.store.events_since(0)) == len(first)
    with pytest.raises(DomainError):  # the same command without its key: the rule holds
        _register(storage, "k1", bound=False)


def test_the_unrecorded_secret_needs_the_raw_key_not_what_the_store_keeps():
    """Evaluation's ballot slips (issue 19): a retry makes the same secret; the command key
    the store records (``id``, ``fingerprint``) does not determine it."""
    from shared.edge import IdempotentRequest
    sup = Actor(id="sup-1", name="督导员", role="supervisor", scope="g-1")
    first = IdempotentRequest("draw_sample", {"survey_id": "s-1"}, sup, "key-aaaaaaaaaaaaaaaa")
    retry = IdempotentRequest("draw_sample", {"survey_id": "s-1"}, sup, "key-aaaaaaaaaaaaaaaa")
    other = IdempotentRequest("draw_sample", {"survey_id": "s-1"}, sup, "key-bbbbbbbbbbbbbbbb")
    salt = bytes(32)
    assert first.unrecorded_secret(salt) == retry.unrecorded_secret(salt)
    assert first.unrecorded_secret(salt) != other.unrecorded_secret(salt)
    assert first.unrecorded_secret(salt) != first.unrecorded_secret(bytes([1]) * 32)
    recorded = first.command_key(0)
    assert "key-aaaaaaaaaaaaaaaa" not in repr(recorded)
    # not the old derivation from the recorded id
    assert first.unrecorded_secret(salt) not in (first.secret(salt, 0), first.secret(salt, 1))
