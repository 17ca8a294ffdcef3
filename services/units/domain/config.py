"""Configurable numbers of the units service: the campaign calendar per batch.

Dates are ISO strings. The defaults follow the seed speeches (batch 1's
centralised study from 16 Feb, B's mobilisation meeting on 18 Feb); a county
overrides them by building its own ``UnitsConfig``.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt

from . import phases as P

# The phases whose end date the campaign calendar fixes per batch.
CALENDAR_PHASES = (P.MOBILIZATION, P.ANALYSIS, P.RECTIFICATION, P.SURVEY)


@dataclasses.dataclass(frozen=True)
class BatchCalendar:
    batch: int
    centralised_study_start: str  # "从2月16日开始…集中学习"
    deadlines: dict  # phase -> ISO date the phase should end by

    def deadline_for(self, phase: str) -> str | None:
        return self.deadlines.get(phase)


DEFAULT_CALENDARS = (
    BatchCalendar(1, "2024-02-16", {P.MOBILIZATION: "2024-03-20", P.ANALYSIS: "2024-04-20",
                                    P.RECTIFICATION: "2024-05-31", P.SURVEY: "2024-06-30"}),
    BatchCalendar(2, "2024-07-15", {P.MOBILIZATION: "2024-08-20", P.ANALYSIS: "2024-09-20",
                                    P.RECTIFICATION: "2024-10-31", P.SURVEY: "2024-11-30"}),
    BatchCalendar(3, "2024-12-01", {P.MOBILIZATION: "2025-01-20", P.ANALYSIS: "2025-03-10",
                                    P.RECTIFICATION: "2025-04-30", P.SURVEY: "2025-06-15"}),
)


@dataclasses.dataclass(frozen=True)
class UnitsConfig:
    calendars: tuple = DEFAULT_CALENDARS
    # 补课 and the survey after it have no calendar date: they run this long from entry.
    remedial_days: int = 30
    resurvey_days: int = 20
    # Leaving 学习动员 needs the study service's readiness answer (R7, 40 学时 or a recorded
    # exemption). A county may switch this off; it is never skipped silently.
    require_study_readiness: bool = True
    # Leaving 分析评议 ("承上启下的关键环节") needs the evaluation service's phase-2 readiness
    # (leaders' 党性分析材料 first, 谈心, 专题民主生活会, opinions from every source).
    require_analysis_readiness: bool = True
    # R22: "带头制定整改措施" — every leadership member owns a measure before leaving 整改提高.
    require_leader_measures: bool = True
    # R14: an inspection point scored at or below this (on supervision's 0..10 scale) proposes a
    # problem on the unit's list (DUDAO_LOW_SCORE_THRESHOLD)
    low_score_threshold: int = 4

    def calendar(self, batch: int) -> BatchCalendar:
        for cal in self.calendars:
            if cal.batch == batch:
                return cal
        raise KeyError(f"no campaign calendar configured for batch {batch}")

    def batches(self) -> tuple[int, ...]:
        return tuple(cal.batch for cal in self.calendars)


DEFAULT_CONFIG = UnitsConfig()


def calendars_from(start) -> tuple:
    """The default calendars moved to a campaign start (a ``datetime.date``, batch 1's
    centralised study; see shared/campaign_calendar.py); None keeps them as they are."""
    from shared.campaign_calendar import shift
    return tuple(BatchCalendar(c.batch, shift(c.centralised_study_start, start),
                               {phase: shift(day, start) for phase, day in c.deadlines.items()})
                 for c in DEFAULT_CALENDARS)


def config_from_environment() -> UnitsConfig:
    """DEFAULT_CONFIG with the calendar moved by DUDAO_CAMPAIGN_START, if set, and the low
    inspection score threshold from DUDAO_LOW_SCORE_THRESHOLD."""
    import os

    from shared.campaign_calendar import campaign_start
    start = campaign_start()
    given = {} if start is None else {"calendars": calendars_from(start)}
    threshold = os.environ.get("DUDAO_LOW_SCORE_THRESHOLD")
    if threshold is not None and threshold.strip():
        given["low_score_threshold"] = int(threshold)
    return dataclasses.replace(DEFAULT_CONFIG, **given)


def add_days(iso_date: str, days: int) -> str:
    return (_dt.date.fromisoformat(iso_date) + _dt.timedelta(days=days)).isoformat()


def is_iso_date(value) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True
