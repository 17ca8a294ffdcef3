"""The event envelope: its schema, its canonical bytes and the hash chain.

Every stored event is an envelope. ``hash = sha256(prev_hash + canonical(event))``
over the service's whole log, so changing, deleting or reordering any stored
event breaks the chain at that position (DESIGN "The event store" 4).
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

GENESIS_HASH = "0" * 64
ROLES = ("office", "supervisor", "unit", "respondent", "auditor", "operator", "system")
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


class ActorSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    scope = fields.String(load_default=None, allow_none=True)


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1))
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    stream_id = fields.String(required=True, validate=validate.Length(min=1))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    position = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.String(required=True, validate=validate.Regexp(TIMESTAMP))
    recorded_at = fields.String(required=True, validate=validate.Regexp(TIMESTAMP))
    actor = fields.Nested(ActorSchema, required=True)
    correlation_id = fields.String(required=True)
    causation_id = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)
    hash = fields.String(required=True, validate=validate.Length(equal=64))
    prev_hash = fields.String(required=True, validate=validate.Length(equal=64))


_SCHEMA = EnvelopeSchema()


def envelope_errors(envelope: dict[str, Any]) -> dict | None:
    """Schema problems of a stored envelope (None when it is well formed).

    Loading through marshmallow costs ~100 µs an envelope, most of a whole-log verify, so
    an envelope shaped exactly as ``seal`` writes it is let through by ``plainly_valid``
    first; everything else is judged (and its problems named) by the schema itself."""
    if plainly_valid(envelope):
        return None
    return schema_errors(envelope)


def schema_errors(envelope: dict[str, Any]) -> dict | None:
    """What EnvelopeSchema says of the envelope (its error messages name the fields)."""
    doc = {k: v for k, v in envelope.items() if k != "_id"}
    try:
        _SCHEMA.load(doc)
    except ValidationError as err:
        return err.messages
    return None


_FIELDS = frozenset(EnvelopeSchema().fields)
_ACTOR_FIELDS = frozenset(ActorSchema().fields)
_ACTOR_FIELDS_NO_SCOPE = _ACTOR_FIELDS - {"scope"}
_ROLES = frozenset(ROLES)
_TIMESTAMP = re.compile(TIMESTAMP)  # the schema's own pattern, used the same way (match)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # str(uuid4())


def plainly_valid(env: dict[str, Any]) -> bool:
    """True only for envelopes EnvelopeSchema accepts too (tests/unit/test_envelope_schema.py
    holds it to that): exactly the schema's fields, with plain ``str``/``int``/``dict``/None
    values. It may refuse what the schema would accept (an upper-case UUID, bytes for a
    string, a bson Int64): those go to the schema, which decides."""
    keys = env.keys()
    if "_id" in env:
        keys = keys - {"_id"}
    if keys != _FIELDS:
        return False
    actor = env["actor"]
    if type(actor) is not dict or not (actor.keys() == _ACTOR_FIELDS or actor.keys() == _ACTOR_FIELDS_NO_SCOPE):
        return False
    scope, role = actor.get("scope"), actor["role"]
    event_id, type_, stream_id = env["event_id"], env["type"], env["stream_id"]
    causation_id, hash_, prev_hash = env["causation_id"], env["hash"], env["prev_hash"]
    return (type(actor["id"]) is str and type(actor["name"]) is str
            and type(role) is str and role in _ROLES
            and (scope is None or type(scope) is str)
            and type(event_id) is str and _UUID.fullmatch(event_id) is not None
            and type(type_) is str and len(type_) >= 1
            and type(stream_id) is str and len(stream_id) >= 1
            and _positive_int(env["schema_version"]) and _positive_int(env["version"])
            and _positive_int(env["position"])
            and _timestamp(env["occurred_at"]) and _timestamp(env["recorded_at"])
            and type(env["correlation_id"]) is str
            and (causation_id is None or type(causation_id) is str)
            and type(env["payload"]) is dict
            and type(hash_) is str and len(hash_) == 64
            and type(prev_hash) is str and len(prev_hash) == 64)


def _positive_int(value: Any) -> bool:
    return type(value) is int and value >= 1  # type() also keeps bool out, as the schema does


def _timestamp(value: Any) -> bool:
    return type(value) is str and _TIMESTAMP.match(value) is not None


# what json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds on
# every call; made once, as it costs a tenth of hashing an envelope
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(envelope: dict[str, Any]) -> bytes:
    """Stable bytes of everything in the envelope except its own hash."""
    body = {k: v for k, v in envelope.items() if k not in ("hash", "_id")}
    return _CANONICAL.encode(body).encode("utf-8")


def chain_hash(prev_hash: str, envelope: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(envelope)).hexdigest()


def verify_chain(envelopes, start_hash: str = GENESIS_HASH, start_position: int = 0) -> dict:
    """Recompute the chain over envelopes in stored order.

    Returns {"ok", "checked", "head_position", "head_hash", "first_broken"} where
    first_broken names the first position whose envelope is malformed, out of
    sequence, or whose hash does not follow from its predecessor."""
    verifier = ChainVerifier(start_hash, start_position)
    for env in envelopes:
        if not verifier.check(env):
            break
    return verifier.result()


class ChainVerifier:
    """verify_chain one envelope at a time, for a reader that does something else with
    the envelopes too (the audit's one-pass rebuild): ``check`` each in stored order,
    then ``result()``. After the first broken position it checks nothing more."""

    def __init__(self, start_hash: str = GENESIS_HASH, start_position: int = 0):
        self.prev_hash, self.expected, self.checked = start_hash, start_position + 1, 0
        self.first_broken: dict | None = None

    def check(self, env: dict) -> bool:
        if self.first_broken is not None:
            return False
        problem = _problem_at(env, self.prev_hash, self.expected)
        if problem:
            self.first_broken = {"position": self.expected, "found_position": env.get("position"),
                                 "reason": problem}
            return False
        self.prev_hash, self.expected, self.checked = env["hash"], self.expected + 1, self.checked + 1
        return True

    def result(self) -> dict:
        return {"ok": self.first_broken is None, "checked": self.checked,
                "head_position": self.expected - 1, "head_hash": self.prev_hash,
                "first_broken": self.first_broken}


def _problem_at(env: dict, prev_hash: str, expected: int) -> str | None:
    if env.get("position") != expected:
        return f"expected position {expected}, found {env.get('position')} (event missing or reordered)"
    errors = envelope_errors(env)
    if errors:
        return f"malformed envelope: {errors}"
    if env["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous event's hash"
    if chain_hash(prev_hash, env) != env["hash"]:
        return "hash does not match the event's content (altered)"
    return None
