"""Folding helpers shared by the aggregates: streams arrive as envelopes or events."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from shared.domain import Event, event_from


def as_event(item: Event | dict[str, Any]) -> Event:
    """An envelope dict (as the event store returns it) or an Event, as an Event."""
    if isinstance(item, Event):
        return item
    return event_from(item["type"], item["payload"])


def fold_with(evolve: Callable, initial, history: Iterable) -> Any:
    state = initial
    for item in history:
        state = evolve(state, as_event(item))
    return state


def put(mapping: dict, key, value) -> dict:
    """A copy of ``mapping`` with one entry set: states are never mutated in place."""
    return {**mapping, key: value}
