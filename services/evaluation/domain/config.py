"""Configurable numbers of the evaluation rules (defaults from the speeches)."""
from __future__ import annotations

import dataclasses
from fractions import Fraction


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
    # "群众满意度达不到三分之二的，要重新进行'补课'" (A): exactly 2/3 passes.
    pass_threshold: Fraction = Fraction(2, 3)
    # z for the two-sided 95% Wilson score interval reported beside each share
    confidence_z: float = 1.959963984540054
    confidence_label: str = "95%"
    # a survey cannot be tallied on fewer ballots than this
    min_ballots: int = 1
    # the survey's validity gate (issue 15): a sample of at least this many people, or the
    # whole notified scope when it is smaller ...
    min_sample: int = 30
    # ... and at least this share of the sample casting ballots, exactly (2/3 of 30 is 20,
    # and 20 is enough); below it the survey is invalid: neither passed nor failed, repeated
    min_turnout: Fraction = Fraction(2, 3)
    # phases in which phase-2 (分析评议) records are accepted
    analysis_record_phases: tuple[str, ...] = ("analysis",)
    # leaders lead (R22, B "带头撰写党性分析材料"): a non-leader's Party-spirit analysis is
    # accepted only after every leader has submitted theirs
    leaders_first: bool = True


DEFAULT_CONFIG = EvaluationConfig()
