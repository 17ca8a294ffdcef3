"""Small checks every decision uses: who may act, and well-formed values."""
from __future__ import annotations

from shared.domain import Actor, Forbidden, NotFound, Rejected

from .config import is_iso_date
from .state import Measure, Member, Problem, UnitState


def require_office(actor: Actor) -> None:
    if actor.role != "office":
        raise Forbidden("only the leading-group office registers units", role=actor.role)


def require_own_unit(actor: Actor, unit_id: str) -> None:
    """A unit acts only on itself ("a unit only on itself")."""
    if actor.role != "unit":
        raise Forbidden("only the unit itself may do this", role=actor.role, unit_id=unit_id)
    if actor.scope != unit_id:
        raise Forbidden("a unit may act only on itself, not on another unit",
                        actor_unit=actor.scope, unit_id=unit_id)


def require_system(actor: Actor) -> None:
    """Facts from other services are applied by the system, never by a person:
    a unit cannot move its own phase."""
    if actor.role != "system":
        raise Forbidden("only the system applies other services' decisions to a unit", role=actor.role)


def require_unit(state: UnitState | None, unit_id: str) -> UnitState:
    if state is None:
        raise NotFound(f"unit {unit_id!r} is not registered", unit_id=unit_id)
    return state


def require_text(value, field: str, max_length: int = 10_000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Rejected(f"{field} must be a non-empty text", field=field)
    if len(value) > max_length:
        raise Rejected(f"{field} is longer than {max_length} characters", field=field)
    return value.strip()


def require_date(value, field: str) -> str:
    if not is_iso_date(value):
        raise Rejected(f"{field} must be an ISO date like 2024-02-18", field=field, value=value)
    return value


def require_member(state: UnitState, member_id: str) -> Member:
    member = state.members.get(member_id)
    if member is None:
        raise Rejected(f"member {member_id!r} is not a member of unit {state.unit_id!r}",
                       member_id=member_id, unit_id=state.unit_id)
    return member


def require_section(state: UnitState, section: str) -> str:
    if section not in state.sections:
        raise Rejected(f"section {section!r} is not a section of unit {state.unit_id!r}",
                       section=section, unit_id=state.unit_id, sections=list(state.sections))
    return section


def require_problem(state: UnitState, problem_id: str) -> Problem:
    problem = state.problems.get(problem_id)
    if problem is None:
        raise NotFound(f"problem {problem_id!r} is not on unit {state.unit_id!r}'s list",
                       problem_id=problem_id, unit_id=state.unit_id)
    return problem


def require_measure(state: UnitState, measure_id: str) -> Measure:
    measure = state.measures.get(measure_id)
    if measure is None:
        raise NotFound(f"measure {measure_id!r} is not a measure of unit {state.unit_id!r}",
                       measure_id=measure_id, unit_id=state.unit_id)
    return measure


def require_group_supervisor(actor: Actor, unit_id: str, group_id: str | None) -> str:
    """复查 is the group's: a supervisor of the group the unit is assigned to, never the
    unit itself nor another group's supervisor."""
    if actor.role != "supervisor":
        raise Forbidden("only a supervisor of the unit's own group re-checks (复查) its ledger",
                        role=actor.role, unit_id=unit_id)
    if group_id is None or actor.scope != group_id:
        raise Forbidden(f"unit {unit_id} is not in your supervision group", unit_id=unit_id,
                        your_group=actor.scope, unit_group=group_id)
    return group_id
