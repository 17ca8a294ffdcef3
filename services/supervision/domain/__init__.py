"""The supervision service's pure domain core (督导组): no nameko, pymongo or marshmallow.

Three aggregates, each one stream (see ``streams``):

- group (``group-<id>``): ``fold_group`` / ``evolve_group`` / ``decide_group``
- supervised unit (``supervised-unit-<id>``): ``fold_unit`` / ``evolve_unit`` / ``decide_unit``
- briefing (``briefing-<id>``): ``fold_briefing`` / ``evolve_briefing`` / ``decide_briefing``

``decide(state, command)`` and ``fold_for(command)`` route by command type, and
every command names its ``stream_id``, so an entrypoint can do:

    storage.execute(cmd.stream_id, decide, fold_for(cmd), cmd, actor=cmd.actor)
"""
from __future__ import annotations

from services.supervision.domain import events  # noqa: F401  (registers the event types)
from services.supervision.domain.briefing import (BriefingState, arrange_briefing,
                                                  decide_briefing, evolve_briefing, fold_briefing)
from services.supervision.domain.checklist import Checklist, check_work_plan
from services.supervision.domain.commands import *  # noqa: F401,F403
from services.supervision.domain.commands import CompileBriefing
from services.supervision.domain.config import DEFAULT_CONFIG, SupervisionConfig
from services.supervision.domain.events import *  # noqa: F401,F403
from services.supervision.domain.group import GroupState, decide_group, evolve_group, fold_group
from services.supervision.domain.group import _HANDLERS as _GROUP_HANDLERS
from services.supervision.domain.phase_gate import readiness_blockers
from services.supervision.domain.arrival import arrival_deadline
from services.supervision.domain.streams import briefing_stream, group_stream, unit_stream
from services.supervision.domain.unit import UNIT_COMMANDS, decide_unit
from services.supervision.domain.unit_state import (SupervisedUnitState, evolve_unit,
                                                    fold_unit)

GROUP_COMMANDS = tuple(_GROUP_HANDLERS)


def decide(state, command, config: SupervisionConfig = DEFAULT_CONFIG) -> list:
    """Route a command to its aggregate's decide."""
    if isinstance(command, GROUP_COMMANDS):
        return decide_group(state, command, config)
    if isinstance(command, UNIT_COMMANDS):
        return decide_unit(state, command, config)
    if isinstance(command, CompileBriefing):
        return decide_briefing(state, command, config)
    raise TypeError(f"supervision has no rule for {type(command).__name__}")


def fold_for(command):
    """The fold of the aggregate a command is decided on."""
    if isinstance(command, GROUP_COMMANDS):
        return fold_group
    if isinstance(command, UNIT_COMMANDS):
        return fold_unit
    if isinstance(command, CompileBriefing):
        return fold_briefing
    raise TypeError(f"supervision has no aggregate for {type(command).__name__}")


def decider(config: SupervisionConfig):
    """``decide`` bound to a configuration (e.g. the soft limit from settings)."""
    return lambda state, command: decide(state, command, config)
