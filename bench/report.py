"""Small helpers for figures: percentiles and a plain-text table."""
from __future__ import annotations

import math


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is a measured sample)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def table(headers: tuple, rows: list[tuple]) -> str:
    cells = [tuple(headers)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(_width(c[i]) for c in cells) for i in range(len(headers))]
    lines = []
    for n, cell in enumerate(cells):
        lines.append("  ".join(_pad(v, w) for v, w in zip(cell, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def rate(n: float) -> str:
    return f"{n:,.0f} ev/s"


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    if math.isinf(seconds):
        return "never"
    return f"{seconds * 1000:.1f} ms"
