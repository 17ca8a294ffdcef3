"""R19, the review period of 党性分析材料 and the phase-2 summaries: "近年来" means the
work since the 16th Party Congress (2002-11-08); the thinking may reach further back.

One rule for every service that records such a text (evaluation's Party-spirit analyses,
the units' 分析评议 summary): the period is recorded with the text, as
``{"work_since", "thinking_since"}``.
"""
from __future__ import annotations

import datetime as _dt

from shared.domain import Conflict

SIXTEENTH_CONGRESS = "2002-11-08"  # 党的十六大


def review_period(work_since: str | None = None, thinking_since: str | None = None) -> dict:
    """The period as recorded: work since the 16th Congress unless an earlier date is given;
    thinking since the work's start unless earlier. A work period starting after the 16th
    Congress, or thinking starting after the work, is a 409 naming the field."""
    work = work_since or SIXTEENTH_CONGRESS
    thinking = thinking_since or work
    _iso(work, "work_since")
    _iso(thinking, "thinking_since")
    if work > SIXTEENTH_CONGRESS:
        raise Conflict(f"the work reviewed runs from the 16th Party Congress ({SIXTEENTH_CONGRESS}) "
                       f"at the latest, not from {work} (R19, 近年来)", field="work_since",
                       work_since=work, missing=["work_since_the_16th_congress"])
    if thinking > work:
        raise Conflict(f"the thinking reviewed may reach further back than the work ({work}), "
                       f"not start later ({thinking})", field="thinking_since",
                       thinking_since=thinking, missing=["thinking_since_not_after_work_since"])
    return {"work_since": work, "thinking_since": thinking}


def _iso(value: str, field: str) -> None:
    try:
        _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Conflict(f"{field} must be an ISO date", field=field, value=value) from None
