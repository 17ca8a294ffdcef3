"""The edge of every domain service's RPC API: named fields in, one answer shape out.

A public RPC is called with the named fields of its command (or query) plus ``actor``:

    units.enrol_member(unit_id="u-1", name="张三", section="综合科", actor={...})

``entrypoint(Schema)`` turns a handler ``handler(service, request, actor)`` into that
RPC: the actor dict becomes an ``Actor`` once, the fields are loaded by the schema
(unknown fields refused; its ``@post_load`` builds the command dataclass, with the
actor, new ids and today's date from the ``Edge`` context), and the handler's result
or refusal comes back in the one answer shape:

    {"ok": True, "result": ...}
    {"ok": False, "status": 4xx|503, "error": code, "message": text, "details": {...}}

``error`` is one of ``ERROR_CODES``; a caller that prefers exceptions uses
``unwrap(answer)``, which raises ``Refused`` with the same attributes. No nameko here:
the service module wraps the entrypoint with ``@rpc``.

A command may carry ``idempotency_key`` (the gateway passes the HTTP ``Idempotency-Key``
header, or one it made): the same key from the same actor names the same command, so a
redelivered RPC request or a client's retry answers the first outcome instead of acting
twice. The key makes the request's new ids (``Edge.new_id``) the same on every try, and
each command the handler runs carries a ``CommandKey`` that the store records with the
command's events (``StorageAccess.execute``); a key reused for a different request is a
409.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import re
import uuid
from typing import Any, Callable

from marshmallow import ValidationError, post_load
from marshmallow.experimental.context import Context

from shared.clock import today
from shared.domain import SYSTEM, Actor, DomainError
from shared.eventstore import CommandKey, CommandKeyReused, ConcurrencyError
from shared.schema_fields import StrictSchema

# every refusal's `error`, with the HTTP status the gateway answers it with
ERROR_CODES = {
    "invalid": 422, "rejected": 422, "forbidden": 403, "not_found": 404,
    "conflict": 409, "unavailable": 503,
}


class Refused(Exception):
    """A refusal raised on the caller's side by ``unwrap``."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def refusal(status: int, code: str, message: str, /, **details) -> dict:
    return {"ok": False, "status": status, "error": code, "message": message, "details": details}


def unwrap(answer: dict) -> Any:
    """The result of an answer, or ``Refused`` raised with its code and details."""
    if answer.get("ok"):
        return answer.get("result")
    raise Refused(answer.get("status", 422), answer.get("error", "rejected"),
                  answer.get("message", "refused"), answer.get("details"))


def actor_from(data: dict | Actor | None) -> Actor:
    if isinstance(data, Actor):
        return data
    if not data:
        return SYSTEM
    return Actor(id=data["id"], name=data["name"], role=data["role"], scope=data.get("scope"))


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# printable ASCII without spaces, as an HTTP header value carries it
UNRECORDED_ROUNDS = 200_000
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _sha256(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class IdempotentRequest:
    """One request sent with an idempotency key: the ids it makes and the keys of the
    commands it runs are functions of (actor, key), the same on every try."""

    def __init__(self, rpc_name: str, fields: dict, actor: Actor, key: str):
        self.id = _sha256(actor.id, key)
        # the raw key, kept in memory only: no store records it (``id`` is a one-way hash)
        self._raw = (actor.id + "\x00" + key).encode()
        self.fingerprint = _sha256(rpc_name, json.dumps(fields, sort_keys=True, default=str))
        self._ids = itertools.count()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{_sha256(self.id, prefix, str(next(self._ids)))[:12]}"

    def command_key(self, ordinal: int) -> CommandKey:
        """The key of the request's ``ordinal``-th command (most requests run one)."""
        return CommandKey(self.id if ordinal == 0 else f"{self.id}:{ordinal}", self.fingerprint)

    def secret(self, key: bytes, index: int) -> bytes:
        """A secret derived from ``key`` (which only the service holds) and this request:
        a retried request makes the same one."""
        return hashlib.sha256(key + self.id.encode() + index.to_bytes(4, "big")).digest()

    def unrecorded_secret(self, salt: bytes) -> bytes:
        """A secret only a retry of this very request can make again: derived from the raw
        idempotency key, which no store records, and ``salt`` (which only the service
        holds). Slow on purpose (PBKDF2), so that whoever holds the stores cannot cheaply
        guess a weak key from ``id`` and recompute it (evaluation's ballot slips)."""
        return hashlib.pbkdf2_hmac("sha256", self._raw, salt, UNRECORDED_ROUNDS)


def idempotent_request(rpc_name: str, fields: dict, actor: Actor, key) -> IdempotentRequest | None:
    if key is None:
        return None
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
        raise ValidationError({"idempotency_key": [
            "1 to 200 printable ASCII characters without spaces."]})
    return IdempotentRequest(rpc_name, fields, actor, key)


@dataclasses.dataclass(frozen=True)
class Edge:
    """What a schema's ``make`` may use beside the loaded fields."""

    actor: Actor
    request: IdempotentRequest | None = None

    def new_id(self, prefix: str) -> str:
        return self.request.new_id(prefix) if self.request else new_id(prefix)

    @staticmethod
    def today() -> str:
        return today()


class CommandSchema(StrictSchema):
    """A request schema whose ``@post_load`` builds the command dataclass.

    Subclasses set ``command`` (the dataclass, built as ``command(actor=…, **fields)``)
    or override ``make(data, edge)`` when the command needs more (a new id, today)."""

    command: type | None = None

    def make(self, data: dict, edge: Edge):
        return self.command(actor=edge.actor, **data)

    @post_load
    def _build(self, data: dict, **kwargs):
        edge = Context.get(None)
        if edge is None or (self.command is None and type(self).make is CommandSchema.make):
            return data
        return self.make(data, edge)


def load(schema: type | None, fields: dict, actor: Actor,
         request: IdempotentRequest | None = None):
    """The fields loaded by ``schema`` within the edge context (a dict without one)."""
    if schema is None:
        if fields:
            raise ValidationError({name: ["Unknown field."] for name in fields})
        return {}
    with Context(Edge(actor, request)):
        return schema().load(fields)


def answer(call: Callable[[], Any]) -> dict:
    """Run a handler and answer in the one shape, refusals included."""
    try:
        return {"ok": True, "result": call()}
    except ValidationError as err:
        return refusal(422, "invalid", "the request does not match the schema", fields=err.messages)
    except DomainError as err:
        return refusal(err.status, err.code, err.message, **err.details)
    except ConcurrencyError as err:
        return refusal(409, "conflict", str(err))
    except CommandKeyReused as err:
        return refusal(409, "conflict", str(err), idempotency_key=["Used for a different request."])


def entrypoint(schema: type | None = None):
    """``handler(service, request, actor)`` as a typed RPC ``rpc(*, actor, **fields)``."""

    def wrap(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def rpc_method(self, *, actor=None, idempotency_key=None, **fields):
            def run():
                who = actor_from(actor)
                request = idempotent_request(handler.__name__, fields, who, idempotency_key)
                bind = getattr(getattr(self, "storage", None), "bind_request", None)
                if bind is not None:  # the worker's storage gives each command its key
                    bind(request)
                return handler(self, load(schema, fields, who, request), who)
            return answer(run)

        del rpc_method.__wrapped__  # callers see (actor, **fields), the handler stays inside
        rpc_method.request_schema = schema
        return rpc_method

    return wrap
