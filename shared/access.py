"""The one access policy every service calls: who may read or act on which unit,
group or survey. Pure: the caller passes the facts it keeps (which group a unit is
assigned to), so each service answers from its own projections.

Roles (DESIGN.md): the office and auditors read everything; a supervisor reads and acts
on its group's units only; a unit on itself only; a respondent only casts its ballot;
services acting on their own behalf are ``system``.
"""
from __future__ import annotations

from shared.domain import Actor, Forbidden

READS_ALL = ("office", "auditor", "system")


def _role(actor: Actor | None) -> str | None:
    return actor.role if actor is not None else None


def may_read_unit(actor: Actor | None, unit_id: str, group_id: str | None) -> bool:
    role = _role(actor)
    if role in READS_ALL:
        return True
    if role == "unit":
        return actor.scope == unit_id
    if role == "supervisor":
        return group_id is not None and actor.scope == group_id
    return False


def check_read_unit(actor: Actor | None, unit_id: str, group_id: str | None) -> None:
    if not may_read_unit(actor, unit_id, group_id):
        raise Forbidden(f"you may not read unit {unit_id}: it is not yours to read", unit_id=unit_id)


def check_read_group(actor: Actor | None, group_id: str) -> None:
    role = _role(actor)
    if role in READS_ALL or (role == "supervisor" and actor.scope == group_id):
        return
    raise Forbidden(f"only the office, auditors and group {group_id}'s supervisors may read it",
                    group_id=group_id)


def check_unit_acts_on_itself(actor: Actor | None, unit_id: str) -> None:
    """A unit token acts only on its own unit (other roles are checked by the domain)."""
    if _role(actor) == "unit" and actor.scope != unit_id:
        raise Forbidden("a unit may act only on itself", unit=unit_id, your_unit=actor.scope)


def check_supervisor_of(actor: Actor | None, unit_id: str, group_id: str | None) -> None:
    """Only a supervisor of the unit's group (R1: the group it is assigned to)."""
    if _role(actor) != "supervisor" or actor.scope is None:
        raise Forbidden("only a supervision group member may do this", actor_role=_role(actor))
    if group_id is None or actor.scope != group_id:
        raise Forbidden(f"unit {unit_id} is not in your supervision group", unit_id=unit_id,
                        your_group=actor.scope)


def readable_scope(actor: Actor | None, *, unit_field: str = "unit_id",
                   group_field: str = "group_id") -> dict | None:
    """The filter (field → value) a list answer is narrowed by for this reader: ``{}`` for
    those who read everything, ``None`` for a role that may not list at all."""
    role = _role(actor)
    if role in READS_ALL:
        return {}
    if role == "unit":
        return {unit_field: actor.scope}
    if role == "supervisor":
        return {group_field: actor.scope}
    return None
