"""Who may issue a command: the gateway authorises by role and scope; the domain
checks again where a rule depends on who acts (defence in depth, and the rule is
then testable without the gateway)."""
from __future__ import annotations

from shared.domain import Actor, Forbidden


def require_group_member(actor: Actor, group_id: str, *, also: tuple[str, ...] = ()) -> None:
    """A supervisor of ``group_id`` (or the system, or a role listed in ``also``)."""
    if actor.role == "system" or actor.role in also:
        return
    if actor.role == "supervisor" and actor.scope == group_id:
        return
    raise Forbidden(f"only the unit's supervision group {group_id} may do this",
                    actor_role=actor.role, actor_scope=actor.scope, group_id=group_id)


def require_unit(actor: Actor, unit_id: str) -> None:
    if actor.role == "system" or (actor.role == "unit" and actor.scope == unit_id):
        return
    raise Forbidden(f"only unit {unit_id} may record this",
                    actor_role=actor.role, actor_scope=actor.scope, unit_id=unit_id)


def require_unit_group(unit_group_id: str | None, group_id: str, unit_id: str) -> None:
    """The group named in the command must be the group assigned to the unit."""
    if unit_group_id is None:
        raise Forbidden(f"unit {unit_id} has no supervision group assigned", unit_id=unit_id)
    if unit_group_id != group_id:
        raise Forbidden(f"group {group_id} is not unit {unit_id}'s supervision group",
                        unit_id=unit_id, group_id=group_id, unit_group_id=unit_group_id)
