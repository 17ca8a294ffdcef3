"""The time helpers, in one place: now and today as the log and the commands write them.

- ``iso(moment)``: UTC, millisecond precision, ``Z`` suffix -- the one timestamp format
  in the log (``occurred_at``, ``recorded_at``) and in the stores beside it;
- ``utc_now()`` / ``utc_now_iso()``: this moment, as a datetime or in that format;
- ``today()``: the local calendar date as an ISO string (YYYY-MM-DD), the date a command
  is made on (a meeting held today, a group arrived today).

The campaign's own calendar (batches, phases, DUDAO_CAMPAIGN_START) is configuration, not
time: ``shared.campaign_calendar``."""
from __future__ import annotations

import datetime as _dt


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def iso(moment: _dt.datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: the one timestamp format in the log."""
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now_iso() -> str:
    return iso(utc_now())


def today() -> str:
    return _dt.date.today().isoformat()
