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

    spring_festival: str          # before it, study is mainly self-study
    centralised_start: str        # first day of the centralised window
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


def batch_one_calendar(year: int = 2005, spring_festival: str | None = None) -> BatchCalendar:
    """Batch 1 for a given year (the campaign's first batch ran in early 2005,
    Spring Festival 9 Feb). Other years must name their own Spring Festival."""
    if spring_festival is None:
        if year != 2005:
            raise ValueError("name the Spring Festival date for years other than 2005")
        spring_festival = "2005-02-09"
    return BatchCalendar(spring_festival=spring_festival, centralised_start=f"{year}-02-16")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    # "集中学习时间一般不得少于40学时"
    floor_hours: float | int | str = 40
    # a session longer than a full working day is absurd
    max_session_hours: float | int | str = 8
    # calendars per batch; a batch without one gets no calendar flags
    calendars: Mapping[int, BatchCalendar] = dataclasses.field(
        default_factory=lambda: {1: batch_one_calendar()})

    @property
    def floor_half_hours(self) -> int:
        return to_half_hours_config(self.floor_hours)

    @property
    def max_session_half_hours(self) -> int:
        return to_half_hours_config(self.max_session_hours)

    def calendar_for(self, batch) -> BatchCalendar | None:
        return self.calendars.get(batch) if batch is not None else None


DEFAULT_CONFIG = StudyConfig()
