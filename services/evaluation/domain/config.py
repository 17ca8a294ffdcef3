"""Configurable numbers of the evaluation rules (defaults from the speeches)."""
from __future__ import annotations

import dataclasses
import os
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


def config_from_environment(env=None) -> EvaluationConfig:
    """The survey's validity gate from the environment (README: configuration):
    ``DUDAO_SURVEY_MIN_SAMPLE`` (people) and ``DUDAO_SURVEY_MIN_TURNOUT`` (a fraction of the
    sample, exactly: ``2/3``). A malformed value is an error at start-up, never ignored."""
    env = os.environ if env is None else env
    turnout = Fraction(env.get("DUDAO_SURVEY_MIN_TURNOUT", "2/3"))
    sample = int(env.get("DUDAO_SURVEY_MIN_SAMPLE", "30"))
    if not 0 < turnout <= 1 or sample < 1:
        raise ValueError("DUDAO_SURVEY_MIN_TURNOUT must lie in (0, 1] and DUDAO_SURVEY_MIN_SAMPLE be "
                         f"at least 1, not {turnout} and {sample}")
    return EvaluationConfig(min_sample=sample, min_turnout=turnout)
