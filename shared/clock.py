"""The time helpers, in one place: now and today as the log and the commands write them.

- ``iso(moment)``: UTC, millisecond precision, ``Z`` suffix -- the one timestamp format
  in the log (``occurred_at``, ``recorded_at``) and in the stores beside it;
- ``utc_now()`` / ``utc_now_iso()``: this moment, as a datetime or in that format;
- ``today()``: the local calendar date as an ISO string (YYYY-MM-DD), the date a command
  is made on (a meeting held today, a group arrived today).

The campaign's own calendar (batches, phases, DUDAO_CAMPAIGN_START) is configuration, not
time: ``shared.campaign_calendar``.

This is the one clock: ``DUDAO_CLOCK_OFFSET`` moves it (``3d``, ``-2h``, ``90m``, ``45s`` or
plain seconds), so a test or the demo can stand at another moment of the campaign and every
date a command is made on, every ``recorded_at``, and what falls due moves with it. Domain
code never reads the wall: it is handed ``today`` in the command, so a replay decides alike."""
from __future__ import annotations

import datetime as _dt
import functools
import os
import re

OFFSET_ENV = "DUDAO_CLOCK_OFFSET"
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}
_OFFSET = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*([dhms]?)$")


@functools.lru_cache(maxsize=8)
def parse_offset(text: str) -> _dt.timedelta:
    """``3d``, ``-2h``, ``90m``, ``45s`` or plain seconds; a malformed value is an error,
    never a silently ignored setting."""
    found = _OFFSET.match(text.strip())
    if not found:
        raise ValueError(f"{OFFSET_ENV} must be a number of seconds or like 3d, -2h, 90m, "
                         f"45s; not {text!r}")
    return _dt.timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


def offset() -> _dt.timedelta:
    return parse_offset(os.environ.get(OFFSET_ENV, "0") or "0")


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc) + offset()


def iso(moment: _dt.datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: the one timestamp format in the log."""
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now_iso() -> str:
    return iso(utc_now())


def today() -> str:
    """The local calendar date on this clock."""
    return (_dt.datetime.now() + offset()).date().isoformat()
