"""Small checks every supervision rule uses: who acts, and well-formed values.

Whether a supervisor acts on a unit of their own group is the shared access policy's
(``shared.access.check_supervisor_of``); the rules call it directly."""
from __future__ import annotations

import datetime as _dt

from shared.domain import Actor, Forbidden, Rejected


def require_office(actor: Actor, doing: str) -> None:
    if actor.role != "office":
        raise Forbidden(f"only the leading-group office may {doing}",
                        actor_role=actor.role)


def require_group_actor(actor: Actor, group_id: str, doing: str) -> None:
    """The office, or a supervisor of this very group."""
    if actor.role == "office":
        return
    if actor.role != "supervisor" or actor.scope != group_id:
        raise Forbidden(f"only the office or a member of group {group_id} may {doing}",
                        actor_role=actor.role, your_group=actor.scope, group_id=group_id)


def require_text(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Rejected(f"{field} must not be empty", field=field)
    return value.strip()


def parse_date(value, field: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Rejected(f"{field} must be an ISO date like 2005-02-18", field=field,
                       value=value) from None


def days_before(iso_date: str, days: int) -> str:
    return (_dt.date.fromisoformat(iso_date) - _dt.timedelta(days=days)).isoformat()


def require_choice(value, choices, field: str) -> str:
    if value not in choices:
        raise Rejected(f"{field} must be one of {', '.join(map(str, choices))}",
                       field=field, value=value)
    return value
