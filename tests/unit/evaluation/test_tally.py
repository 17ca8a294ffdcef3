"""Exact tallies: two thirds satisfied passes, exactly 2/3 passes, below fails (R12)."""
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.evaluation.domain.config import DEFAULT_CONFIG
from services.evaluation.domain.tally import as_fraction, meets_threshold, tally, target_tally, wilson_interval

Z = DEFAULT_CONFIG.confidence_z


def counts(s=0, b=0, d=0):
    return {"satisfied": s, "basically_satisfied": b, "dissatisfied": d}


def test_exactly_two_thirds_passes_and_one_less_fails():
    assert meets_threshold(2, 3, Fraction(2, 3)) is True
    assert meets_threshold(200, 300, Fraction(2, 3)) is True
    assert meets_threshold(199, 300, Fraction(2, 3)) is False
    # floats would say 0.6666666 < 0.6666667 here; exact arithmetic does not care
    assert meets_threshold(666_666_666_666_666_666, 999_999_999_999_999_999, Fraction(2, 3)) is True


def test_basically_satisfied_counts_as_satisfied():
    t = target_tally(counts(s=1, b=1, d=1), population=100, config=DEFAULT_CONFIG)
    assert t["satisfied_total"] == 2
    assert t["share"] == {"numerator": 2, "denominator": 3, "value": 0.6667}
    assert t["passed"] is True
    assert target_tally(counts(s=1, b=0, d=1), 100, DEFAULT_CONFIG)["passed"] is False


def test_both_targets_must_pass():
    result = tally({"leadership": counts(s=3), "campaign": counts(s=1, d=2)},
                   eligible=4, frame_size=30, config=DEFAULT_CONFIG)
    assert result["targets"]["leadership"]["passed"] is True
    assert result["targets"]["campaign"]["passed"] is False
    assert result["passed"] is False
    assert result["turnout"] == {"numerator": 3, "denominator": 4, "value": 0.75}
    assert as_fraction(result["threshold"]) == Fraction(2, 3)


def test_wilson_interval_known_value_without_correction():
    low, high = wilson_interval(8, 10, None, Z)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_finite_population_correction_narrows_and_a_census_collapses():
    wide = wilson_interval(8, 10, None, Z)
    narrow = wilson_interval(8, 10, 12, Z)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    assert wilson_interval(8, 10, 10, Z) == (0.8, 0.8)
    assert wilson_interval(0, 0, 10, Z) == (0.0, 1.0)


@given(st.integers(0, 200), st.integers(0, 200), st.integers(0, 200), st.integers(0, 400))
def test_property_share_inside_interval_and_verdict_is_exact(s, b, d, extra):
    cast = s + b + d
    t = target_tally(counts(s, b, d), population=cast + extra, config=DEFAULT_CONFIG)
    if cast:
        share = (s + b) / cast
        assert t["ci"]["low"] - 1e-4 <= share <= t["ci"]["high"] + 1e-4
        assert 0 <= t["ci"]["low"] <= t["ci"]["high"] <= 1
    assert t["passed"] == (cast > 0 and Fraction(s + b, cast) >= Fraction(2, 3))
