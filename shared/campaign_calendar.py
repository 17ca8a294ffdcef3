"""The campaign calendar's one setting, shared by the units and study services.

The default calendars follow the seed speeches' year, 2024: batch 1's centralised study
starts on 16 Feb ("从2月16日开始…集中学习"), B's mobilisation meeting is on 18 Feb, and the
batches' deadlines run to mid-2025. Commands, though, are dated by the real clock (a
meeting cannot be scheduled in the past nor held in the future), so a campaign run today
against the 2024 calendar is overdue everywhere and every centralised session is flagged
outside its window.

``DUDAO_CAMPAIGN_START`` (an ISO date) moves the whole calendar: it is batch 1's
centralised-study start, and every other default date -- the Spring Festival before it,
the deadlines of each phase of each batch, batches 2 and 3's centralised starts -- keeps
its distance from it as in the 2024 calendar. Unset, the 2024 calendar stands (the unit
tests and e2e tests assert its dates). `make run` pins it on its first start to that day
and keeps it in var/campaign-start, so that the demo county is a campaign under way;
delete that file (or `make clean`) to start the calendar afresh.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Mapping

ENV = "DUDAO_CAMPAIGN_START"
# batch 1's centralised-study start in the default (2024) calendar
DEFAULT_START = dt.date(2024, 2, 16)


def campaign_start(env: Mapping[str, str] | None = None) -> dt.date | None:
    """The configured start, or None for the default calendar. A malformed value is an
    error at start-up, never a silently ignored setting."""
    value = (os.environ if env is None else env).get(ENV, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{ENV} must be an ISO date (YYYY-MM-DD), not {value!r}") from None


def shift(iso_date: str, start: dt.date | None) -> str:
    """A date of the default calendar moved with the configured start (unchanged if None)."""
    if start is None:
        return iso_date
    return (dt.date.fromisoformat(iso_date) + (start - DEFAULT_START)).isoformat()
