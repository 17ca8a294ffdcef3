"""Old units payloads, as the current events read them (stored bytes never change).

Before the rectification ledger a measure named no problem and its completion carried no
evidence: RectificationMeasureAdded v1 is read under the unit's "carried from before the
ledger" problem, RectificationMeasureCompleted v1 as a completion with no attachments,
marked ``legacy`` (the unit marked it done itself; the group has still to re-check it).
"""
from __future__ import annotations

from services.units.domain.state import legacy_problem_id
from shared.eventstore.base import Upcasters


def measure_added_v1(payload: dict) -> dict:
    return {**payload, "problem_id": payload.get("problem_id") or legacy_problem_id(payload["unit_id"])}


def measure_completed_v1(payload: dict) -> dict:
    return {**payload, "attachment_ids": [], "evidence": [], "legacy": True}


def upcasters() -> Upcasters:
    found = Upcasters()
    found.register("RectificationMeasureAdded", 1, measure_added_v1)
    found.register("RectificationMeasureCompleted", 1, measure_completed_v1)
    return found
