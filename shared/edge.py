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
"""
from __future__ import annotations

import dataclasses
import functools
import uuid
from typing import Any, Callable

from marshmallow import ValidationError, post_load
from marshmallow.experimental.context import Context

from shared.clock import today
from shared.domain import SYSTEM, Actor, DomainError
from shared.eventstore import ConcurrencyError
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


@dataclasses.dataclass(frozen=True)
class Edge:
    """What a schema's ``make`` may use beside the loaded fields."""

    actor: Actor

    @staticmethod
    def new_id(prefix: str) -> str:
        return new_id(prefix)

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


def load(schema: type | None, fields: dict, actor: Actor):
    """The fields loaded by ``schema`` within the edge context (a dict without one)."""
    if schema is None:
        if fields:
            raise ValidationError({name: ["Unknown field."] for name in fields})
        return {}
    with Context(Edge(actor)):
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


def entrypoint(schema: type | None = None):
    """``handler(service, request, actor)`` as a typed RPC ``rpc(*, actor, **fields)``."""

    def wrap(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def rpc_method(self, *, actor=None, **fields):
            def run():
                who = actor_from(actor)
                return handler(self, load(schema, fields, who), who)
            return answer(run)

        del rpc_method.__wrapped__  # callers see (actor, **fields), the handler stays inside
        rpc_method.request_schema = schema
        return rpc_method

    return wrap
