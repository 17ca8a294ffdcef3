"""The one clock (shared.clock) and its offset."""
import datetime as dt

import pytest

from shared import clock


def test_without_an_offset_the_clock_is_the_wall(monkeypatch):
    monkeypatch.delenv(clock.OFFSET_ENV, raising=False)
    assert clock.today() == dt.date.today().isoformat()
    assert abs(clock.utc_now() - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("text, seconds", [("3d", 3 * 86400), ("-2h", -7200), ("90m", 5400),
                                           ("45s", 45), ("12.5", 12.5), ("+1d", 86400)])
def test_an_offset_moves_every_reading(monkeypatch, text, seconds):
    monkeypatch.setenv(clock.OFFSET_ENV, text)
    moved = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    assert abs(clock.utc_now() - moved) < dt.timedelta(seconds=5)
    local = dt.datetime.now() + dt.timedelta(seconds=seconds)
    assert clock.today() in {local.date().isoformat(),
                             (local + dt.timedelta(seconds=5)).date().isoformat()}


@pytest.mark.parametrize("text", ["tomorrow", "3 days", "1w", "d"])
def test_a_malformed_offset_is_an_error(monkeypatch, text):
    monkeypatch.setenv(clock.OFFSET_ENV, text)
    with pytest.raises(ValueError, match=clock.OFFSET_ENV):
        clock.today()
