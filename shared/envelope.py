"""The event envelope: its schema, its canonical bytes and the hash chain.

Every stored event is an envelope. ``hash = sha256(prev_hash + canonical(event))``
over the service's whole log, so changing, deleting or reordering any stored
event breaks the chain at that position (DESIGN "The event store" 4).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

GENESIS_HASH = "0" * 64
ROLES = ("office", "supervisor", "unit", "respondent", "auditor", "operator", "system")


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
    occurred_at = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"))
    recorded_at = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"))
    actor = fields.Nested(ActorSchema, required=True)
    correlation_id = fields.String(required=True)
    causation_id = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)
    hash = fields.String(required=True, validate=validate.Length(equal=64))
    prev_hash = fields.String(required=True, validate=validate.Length(equal=64))


_SCHEMA = EnvelopeSchema()


def envelope_errors(envelope: dict[str, Any]) -> dict | None:
    """Schema problems of a stored envelope (None when it is well formed)."""
    doc = {k: v for k, v in envelope.items() if k != "_id"}
    try:
        _SCHEMA.load(doc)
    except ValidationError as err:
        return err.messages
    return None


def canonical(envelope: dict[str, Any]) -> bytes:
    """Stable bytes of everything in the envelope except its own hash."""
    body = {k: v for k, v in envelope.items() if k not in ("hash", "_id")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash: str, envelope: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(envelope)).hexdigest()


def verify_chain(envelopes, start_hash: str = GENESIS_HASH, start_position: int = 0) -> dict:
    """Recompute the chain over envelopes in stored order.

    Returns {"ok", "checked", "head_position", "head_hash", "first_broken"} where
    first_broken names the first position whose envelope is malformed, out of
    sequence, or whose hash does not follow from its predecessor."""
    prev_hash, expected = start_hash, start_position + 1
    checked = 0
    for env in envelopes:
        problem = _problem_at(env, prev_hash, expected)
        if problem:
            return {"ok": False, "checked": checked, "head_position": expected - 1,
                    "head_hash": prev_hash,
                    "first_broken": {"position": expected, "found_position": env.get("position"),
                                     "reason": problem}}
        prev_hash, expected, checked = env["hash"], expected + 1, checked + 1
    return {"ok": True, "checked": checked, "head_position": expected - 1,
            "head_hash": prev_hash, "first_broken": None}


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
