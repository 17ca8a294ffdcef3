"""学时 arithmetic in whole half-hours, so sums are exact and replays byte-stable.
Events carry hours as canonical decimal strings ("2.5", "4")."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation


class BadHours(ValueError):
    pass


def to_half_hours(value) -> int:
    """Parse an hours value (int, float, str, Decimal); fractional halves allowed."""
    if type(value) is str and value in _PARSED:
        return _PARSED[value]
    half_hours = _parse_half_hours(value)
    if type(value) is str and len(_PARSED) < 1000:
        # events carry a handful of distinct hour strings; replays parse each per event
        _PARSED[value] = half_hours
    return half_hours


_PARSED: dict[str, int] = {}


def _parse_half_hours(value) -> int:
    if isinstance(value, bool):
        raise BadHours("hours must be a number")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BadHours(f"hours {value!r} is not a number") from None
    if not amount.is_finite():
        raise BadHours(f"hours {value!r} is not a finite number")
    doubled = amount * 2
    if doubled != doubled.to_integral_value():
        raise BadHours(f"hours {value!r} must be a whole or half 学时")
    return int(doubled)


def to_half_hours_config(value) -> int:
    half = to_half_hours(value)
    if half <= 0:
        raise ValueError(f"configured hours must be positive, got {value!r}")
    return half


def hours_text(half_hours: int) -> str:
    """Canonical string for an event payload: 5 -> "2.5", 8 -> "4"."""
    whole, rest = divmod(half_hours, 2)
    return f"{whole}.5" if rest else str(whole)


def hours_number(half_hours: int) -> int | float:
    """JSON number for read models: exact, since halves are binary fractions."""
    return half_hours // 2 if half_hours % 2 == 0 else half_hours / 2
