"""Framework-free building blocks every service's domain core uses.

Events and commands are frozen dataclasses. Event classes are named in the past
tense and register themselves by class name, so the event store can turn a
stored ``type`` + ``payload`` back into the event object. Payload fields must be
JSON-native (str, int, float, bool, None, list, dict); dates travel as ISO
strings ("2005-02-18") so that hashing and replay are byte-stable.

A service's domain module exposes two pure functions:

    decide(state, command) -> list[Event]     # raises DomainError subclasses
    evolve(state, event) -> state             # never raises for a stored event

No nameko, pymongo or marshmallow here or in any ``domain`` module.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

EVENT_TYPES: dict[str, type["Event"]] = {}


# what is shown where a person's erased data was (shared.personal_data)
ERASED = "已删除"


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every domain event. Subclasses add fields; ``schema_version``
    is bumped when the payload shape changes (old versions are upcast on read)."""

    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__name__
        if name in EVENT_TYPES and EVENT_TYPES[name] is not cls:
            raise TypeError(f"event type {name} registered twice")
        EVENT_TYPES[name] = cls

    @property
    def type(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def event_from(type_name: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event object from its stored type and (already upcast) payload."""
    try:
        cls = EVENT_TYPES[type_name]
    except KeyError:
        raise UnknownEventType(type_name) from None
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in payload.items() if k in names})


class UnknownEventType(KeyError):
    pass


class DomainError(Exception):
    """A command refused by a domain rule. ``status`` maps to HTTP at the edge."""

    status = 422
    code = "rejected"

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class Rejected(DomainError):
    """The command breaks a rule (422)."""


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The command clashes with the current state, e.g. a second open application (409)."""

    status = 409
    code = "conflict"


class Forbidden(DomainError):
    """The actor may not do this to this thing, e.g. approving their own application (403)."""

    status = 403
    code = "forbidden"


ERRORS_BY_CODE = {cls.code: cls for cls in (Rejected, NotFound, Conflict, Forbidden)}


def error_from_dict(d: dict[str, Any]) -> DomainError:
    """Rebuild a DomainError that crossed an RPC boundary as a dict."""
    cls = ERRORS_BY_CODE.get(d.get("error"), Rejected)
    return cls(d.get("message", ""), **(d.get("details") or {}))


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who issued a command: recorded on every event's envelope."""

    id: str
    name: str
    role: str  # office | supervisor | unit | respondent | auditor | operator | system
    scope: str | None = None  # group id for a supervisor, unit id for a unit

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SYSTEM = Actor(id="system", name="system", role="system")


def events_of(envelopes) -> list[Event]:
    """Stored envelopes (already upcast) back into domain events, for folding."""
    return [event_from(env["type"], env["payload"]) for env in envelopes]
