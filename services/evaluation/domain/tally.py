"""Exact tallies of a satisfaction survey (R12).

"Satisfied" counts 满意 (``satisfied``) and 基本满意 (``basically_satisfied``) together:
the speech's "群众满意度达不到三分之二的" measures the share of people who are not
dissatisfied. Shares are exact fractions over the ballots cast; the pass test is integer
arithmetic (``3 * satisfied >= 2 * cast`` for the default 2/3), so exactly 2/3 passes and
no float rounding can flip a result. Floats appear only as display values.

Beside each share the tally reports a Wilson score interval (default 95%) with a finite
population correction: respondents are drawn without replacement from the frozen frame of
N people, so the variance is scaled by (N - n) / (N - 1), applied by using the effective
sample size n' = n (N - 1) / (N - n) in the Wilson formula. When everybody in the frame
answered (n = N) the share is a census and the interval collapses to the share itself.
The interval assumes the people who did not answer would have answered like those who did;
turnout is reported beside it so readers can judge that.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Mapping

from services.evaluation.domain.config import EvaluationConfig

RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")
RATING_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
SATISFIED_RATINGS = ("satisfied", "basically_satisfied")
TARGETS = ("leadership", "campaign")
TARGET_LABELS = {"leadership": "领导班子", "campaign": "先进性教育活动总体"}
DISPLAY_DIGITS = 4


def exact(numerator: int, denominator: int) -> dict[str, Any]:
    """A stored fraction: the ints are the truth, ``value`` is for display only."""
    value = round(numerator / denominator, DISPLAY_DIGITS) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "value": value}


def as_fraction(stored: Mapping[str, Any]) -> Fraction:
    return Fraction(stored["numerator"], stored["denominator"])


def wilson_interval(successes: int, n: int, population: int | None, z: float) -> tuple[float, float]:
    """Wilson score interval for successes/n, with finite population correction."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    if population is not None and n >= population:
        return (p, p)  # a census: nothing left to estimate
    n_eff = n if population is None else n * (population - 1) / (population - n)
    z2 = z * z
    denom = 1 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / denom
    half = z * math.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff * n_eff)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def target_tally(counts: Mapping[str, int], population: int, config: EvaluationConfig) -> dict[str, Any]:
    cast = sum(counts.get(r, 0) for r in RATINGS)
    satisfied = sum(counts.get(r, 0) for r in SATISFIED_RATINGS)
    low, high = wilson_interval(satisfied, cast, population, config.confidence_z)
    return {
        "counts": {r: counts.get(r, 0) for r in RATINGS},
        "satisfied_total": satisfied,
        "share": exact(satisfied, cast),
        "ci": {"low": round(low, DISPLAY_DIGITS), "high": round(high, DISPLAY_DIGITS),
               "level": config.confidence_label,
               "method": "wilson-score-fpc"},
        "passed": meets_threshold(satisfied, cast, config.pass_threshold),
    }


def meets_threshold(satisfied: int, cast: int, threshold: Fraction) -> bool:
    """satisfied / cast >= threshold, exactly (no floats)."""
    if cast == 0:
        return False
    return satisfied * threshold.denominator >= threshold.numerator * cast


def tally(counts_by_target: Mapping[str, Mapping[str, int]], *, eligible: int, frame_size: int,
          config: EvaluationConfig) -> dict[str, Any]:
    """The closing tally: per target counts, exact share, CI and verdict; turnout; pass."""
    targets = {t: target_tally(counts_by_target.get(t, {}), frame_size, config) for t in TARGETS}
    cast = targets["leadership"]["share"]["denominator"]
    threshold = config.pass_threshold
    return {
        "eligible": eligible,
        "ballots_cast": cast,
        "frame_size": frame_size,
        "turnout": exact(cast, eligible),
        "threshold": exact(threshold.numerator, threshold.denominator),
        "satisfied_counts": list(SATISFIED_RATINGS),
        "targets": targets,
        # both the leadership team and the campaign overall must reach the threshold
        "passed": all(t["passed"] for t in targets.values()),
    }
