"""The supervision service's pure domain core (督导组): no nameko, pymongo or marshmallow.

Three aggregates, each one stream (see ``streams``), each module with its own
``HANDLERS = {CommandClass: rule}``:

- group (``group-<id>``): ``group.py``, folded by ``fold_group``
- supervised unit (``supervised-unit-<id>``): ``unit.py`` (rules in arrival, plan_review,
  phase_gate, field_work, reports), folded by ``fold_unit``
- briefing (``briefing-<id>``): ``briefing.py``, folded by ``fold_briefing``
- a directive (``directive-<id>``): ``directives.py``, folded by ``fold_directive``
- a unit's obligations (``obligations-<unit>``): ``obligations.py``, folded by
  ``fold_obligations``; the obligations themselves are derived from the record there

``HANDLERS`` merges them: the one table ``decide`` looks a command's rule up in. Every
command names its stream, so a handler runs each command the same way:

    storage.execute(stream_of(cmd), decider(config), fold_for(cmd), cmd, actor=cmd.actor)
"""
from __future__ import annotations

from services.supervision.domain import (
    briefing,
    directives,
    events,  # noqa: F401  (registers the event types)
    group,
    obligations,
    unit,
)
from services.supervision.domain.arrival import arrival_deadline  # noqa: F401
from services.supervision.domain.briefing import BriefingState, arrange_briefing, evolve_briefing, fold_briefing  # noqa: F401
from services.supervision.domain.checklist import Checklist, check_work_plan  # noqa: F401
from services.supervision.domain.commands import *  # noqa: F401,F403
from services.supervision.domain.config import DEFAULT_CONFIG, SupervisionConfig
from services.supervision.domain.directives import fold_directive  # noqa: F401
from services.supervision.domain.events import *  # noqa: F401,F403
from services.supervision.domain.group import GroupState, evolve_group, fold_group  # noqa: F401
from services.supervision.domain.obligations import fold_obligations, unit_obligations  # noqa: F401
from services.supervision.domain.phase_gate import readiness_blockers  # noqa: F401
from services.supervision.domain.streams import (
    BRIEFING_PREFIX,
    DIRECTIVE_PREFIX,
    GROUP_PREFIX,
    OBLIGATIONS_PREFIX,
    UNIT_PREFIX,
    briefing_stream,  # noqa: F401
    group_stream,
    unit_stream,
)
from services.supervision.domain.unit_state import SupervisedUnitState, evolve_unit, fold_unit  # noqa: F401

HANDLERS = {**group.HANDLERS, **unit.HANDLERS, **briefing.HANDLERS, **obligations.HANDLERS,
            **directives.HANDLERS}

# the fold of each kind of stream (by its id's prefix), for ``fold_for``
_STREAM_FOLDS = ((GROUP_PREFIX, fold_group), (UNIT_PREFIX, fold_unit),
                 (BRIEFING_PREFIX, fold_briefing), (OBLIGATIONS_PREFIX, fold_obligations),
                 (DIRECTIVE_PREFIX, fold_directive))


def decide(state, command, config: SupervisionConfig = DEFAULT_CONFIG) -> list:
    """The events ``command`` produces against its stream's state, or a DomainError."""
    try:
        rule = HANDLERS[type(command)]
    except KeyError:
        raise TypeError(f"supervision has no rule for {type(command).__name__}") from None
    return rule(state, command, config)


def stream_of(command) -> str:
    """The stream a command is decided on."""
    return command.stream_id


def fold_for(command):
    """The fold of the stream a command is decided on."""
    stream_id = stream_of(command)
    for prefix, fold in _STREAM_FOLDS:
        if stream_id.startswith(prefix):
            return fold
    raise TypeError(f"supervision has no stream {stream_id!r}")


def decider(config: SupervisionConfig):
    """``decide`` bound to a configuration (e.g. the soft limit from settings)."""
    return lambda state, command: decide(state, command, config)
