"""Configurable numbers and the campaign calendar (R7, R8). Rules read them from
here; nothing in the rules is hard-coded."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Mapping

from .hours import to_half_hours_config


@dataclasses.dataclass(frozen=True)
class BatchCalendar:
    """One batch's study calendar. For batch 1 the county secretary set it:
    "春节前，以自学为主 … 从2月16日开始，各单位要安排10天时间采取半日制的办法进行集中学习"
    (10 half-days of about 4 学时 is the 40-学时 floor)."""

    centralised_start: str        # first day of the centralised window
    spring_festival: str | None = None  # before it, study is mainly self-study
    centralised_days: int = 10    # calendar days of half-day study
    half_day: bool = True

    @property
    def centralised_end(self) -> str:
        start = dt.date.fromisoformat(self.centralised_start)
        return (start + dt.timedelta(days=self.centralised_days - 1)).isoformat()

    def in_window(self, date: str) -> bool:
        return self.centralised_start <= date <= self.centralised_end

    def to_dict(self) -> dict:
        return {"spring_festival": self.spring_festival,
                "centralised_start": self.centralised_start,
                "centralised_end": self.centralised_end,
                "centralised_days": self.centralised_days,
                "half_day": self.half_day}


# Spring Festival dates the defaults know; other years must name theirs.
SPRING_FESTIVALS = {2005: "2005-02-09", 2024: "2024-02-10"}

# B's speech is dated 2024年2月18日, so the system's default campaign year is 2024
# (the units service's calendar uses the same year).
DEFAULT_YEAR = 2024


def batch_one_calendar(year: int = DEFAULT_YEAR, spring_festival: str | None = None
                       ) -> BatchCalendar:
    """Batch 1 as the county secretary set it, for a given year."""
    if spring_festival is None:
        if year not in SPRING_FESTIVALS:
            raise ValueError(f"name the Spring Festival date for {year}")
        spring_festival = SPRING_FESTIVALS[year]
    return BatchCalendar(centralised_start=f"{year}-02-16", spring_festival=spring_festival)


def default_calendars() -> dict[int, BatchCalendar]:
    """Batch 1 from speech A. The speech fixes no dates for batches 2 and 3; their
    centralised starts mirror the units service's default calendar so that both
    services flag the same days. A county overrides all of them."""
    return {1: batch_one_calendar(),
            2: BatchCalendar(centralised_start=f"{DEFAULT_YEAR}-07-15"),
            3: BatchCalendar(centralised_start=f"{DEFAULT_YEAR}-12-01")}


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    # "集中学习时间一般不得少于40学时"
    floor_hours: float | int | str = 40
    # a session longer than a full working day is absurd
    max_session_hours: float | int | str = 8
    # calendars per batch; a batch without one gets no calendar flags
    calendars: Mapping[int, BatchCalendar] = dataclasses.field(
        default_factory=default_calendars)

    @property
    def floor_half_hours(self) -> int:
        return to_half_hours_config(self.floor_hours)

    @property
    def max_session_half_hours(self) -> int:
        return to_half_hours_config(self.max_session_hours)

    def calendar_for(self, batch) -> BatchCalendar | None:
        return self.calendars.get(batch) if batch is not None else None


DEFAULT_CONFIG = StudyConfig()


def calendars_from(start: dt.date) -> dict[int, BatchCalendar]:
    """The default calendars moved to a campaign start (batch 1's centralised study,
    DUDAO_CAMPAIGN_START; see shared/campaign_calendar.py), each date keeping its distance from it
    as in the 2024 calendar -- the Spring Festival before batch 1 included, since what
    matters to the rules is that self-study comes before the centralised window."""
    from shared.campaign_calendar import shift
    defaults = default_calendars()
    return {batch: dataclasses.replace(
                cal, centralised_start=shift(cal.centralised_start, start),
                spring_festival=shift(cal.spring_festival, start) if cal.spring_festival else None)
            for batch, cal in defaults.items()}


def config_from_environment() -> StudyConfig:
    """DEFAULT_CONFIG with the calendars moved by DUDAO_CAMPAIGN_START, if set."""
    from shared.campaign_calendar import campaign_start
    start = campaign_start()
    return DEFAULT_CONFIG if start is None else StudyConfig(calendars=calendars_from(start))
