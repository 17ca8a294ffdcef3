"""Stream ids of the supervision service's three aggregates.

- ``group-<id>``: one 督导组: its people, temporary branch, leave, later batches.
- ``supervised-unit-<id>``: everything supervision does at one unit (assignment,
  arrival, tasks, plan reviews, the phase gate, inspections, reports, typical
  cases). A unit has one such stream, so "one group per unit" and "a group
  agrees once" hold under optimistic concurrency.
- ``briefing-<id>``: one 简报 the office compiled.
- ``obligations-<unit id>``: time passing at one unit: its obligations recorded falling
  overdue (by the scheduler) and waived (by the office). Apart from the unit's stream, so
  the scheduler's ticks never contend with the group's work there.
- ``directive-<id>``: one 督办通知, its acknowledgement and its reply.
"""
from __future__ import annotations

GROUP_PREFIX = "group-"
UNIT_PREFIX = "supervised-unit-"
BRIEFING_PREFIX = "briefing-"
OBLIGATIONS_PREFIX = "obligations-"
DIRECTIVE_PREFIX = "directive-"


def group_stream(group_id: str) -> str:
    return f"{GROUP_PREFIX}{group_id}"


def unit_stream(unit_id: str) -> str:
    return f"{UNIT_PREFIX}{unit_id}"


def briefing_stream(briefing_id: str) -> str:
    return f"{BRIEFING_PREFIX}{briefing_id}"


def obligations_stream(unit_id: str) -> str:
    return f"{OBLIGATIONS_PREFIX}{unit_id}"


def directive_stream(directive_id: str) -> str:
    return f"{DIRECTIVE_PREFIX}{directive_id}"
