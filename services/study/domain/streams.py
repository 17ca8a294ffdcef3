"""Where a command runs and what it is decided on: every study command runs on its
unit's stream (``study-<unit_id>``), folded into a ``StudyState``. Handlers run every
command the same way: ``execute(stream_of(c), decide, fold_for(c), c)``."""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from shared.domain import events_of

from .decide import HANDLERS
from .events import unit_stream
from .state import StudyState, fold


def fold_envelopes(envelopes: Iterable[Mapping]) -> StudyState:
    """A unit's stored study envelopes (already upcast) folded into its state."""
    return fold(events_of(envelopes))


def stream_of(command) -> str:
    if type(command) not in HANDLERS:
        raise TypeError(f"unknown command {type(command).__name__}")
    return unit_stream(command.unit_id)


def fold_for(command) -> Callable[[Iterable[Mapping]], StudyState]:
    if type(command) not in HANDLERS:
        raise TypeError(f"unknown command {type(command).__name__}")
    return fold_envelopes
