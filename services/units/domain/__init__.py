"""Pure domain core of the units service: one aggregate per unit, stream "unit-<id>".

    decide(state, command, config=DEFAULT_CONFIG) -> list[Event]   (HANDLERS[type(command)])
    evolve(state, event) -> state
    fold(events) -> state
    stream_of(command) -> stream id;  fold_for(command) -> fold of stored envelopes

No nameko, pymongo or marshmallow here.
"""
from __future__ import annotations

from shared.domain import Event, events_of

from . import ledger, lifecycle, membership, planning, rectification
from .commands import *  # noqa: F401,F403
from .commands import RosterEntry  # noqa: F401  (a row of EnrolMembers, no command)
from .config import DEFAULT_CONFIG, BatchCalendar, UnitsConfig  # noqa: F401
from .events import *  # noqa: F401,F403
from .membership import refuse_roster, roster_problems  # noqa: F401  (the roster preview)
from .phases import ALLOWED_EDGES, NEXT_BY_APPLICATION, PHASES  # noqa: F401
from .state import UnitState, evolve, fold  # noqa: F401

STREAM_PREFIX = "unit-"


def unit_stream(unit_id: str) -> str:
    return f"{STREAM_PREFIX}{unit_id}"


# the one dispatch: command type -> decision(state, command, config); each module
# declares the commands it decides beside the functions that decide them
HANDLERS = {**membership.HANDLERS, **planning.HANDLERS, **lifecycle.HANDLERS, **rectification.HANDLERS,
            **ledger.HANDLERS}


def decide(state: UnitState | None, command, config: UnitsConfig = DEFAULT_CONFIG) -> list[Event]:
    """The events one command produces against one unit's state, or a DomainError."""
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"the units service has no command {type(command).__name__}")
    return handler(state, command, config)


def stream_of(command) -> str:
    """Every units command acts on one unit's stream."""
    return unit_stream(command.unit_id)


def _fold_envelopes(envelopes) -> UnitState | None:
    """A unit's state from its stored envelopes (as the event store hands them back)."""
    return fold(events_of(envelopes))


def fold_for(command):
    """The fold of the stream ``command`` acts on (one aggregate: always the unit's)."""
    return _fold_envelopes
