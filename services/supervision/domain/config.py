"""Numbers the rules use, kept out of the rules so the county can change them."""
from __future__ import annotations

import dataclasses
import os

from shared.inspection_points import MAX_SCORE, MIN_SCORE


@dataclasses.dataclass(frozen=True)
class SupervisionConfig:
    # R1 "一个督导组负责10个左右单位": a soft limit, exceeding it warns and never refuses.
    soft_unit_limit: int = 10
    # R2 "必须在派驻单位动员会前两天到位": days between arrival deadline and the meeting.
    arrival_lead_days: int = 2
    # R14: each of the seven inspection points is scored on this inclusive scale.
    min_score: int = MIN_SCORE
    max_score: int = MAX_SCORE
    # "这次选派的督导组组长，都是科级干部": ranks a group leader may hold.
    leader_ranks: tuple = ("section", "deputy_section")
    # R16 "到位后…及时报告联系方式": days after arrival by which contact details are reported.
    contact_report_days: int = 3
    # days after opening by which a satisfaction survey is closed.
    survey_close_days: int = 14
    # issue 19: days after a unit is accepted until the names of the people it notified
    # (the survey's respondents) are erased (DUDAO_RETENTION_DAYS, shared.config)
    retention_days: int = 365


DEFAULT_CONFIG = SupervisionConfig()


def config_from_environment(env=None, **given) -> SupervisionConfig:
    """The obligations' numbers from the environment (README: configuration), beside what
    the caller ``given`` (the soft limit, from shared.config)."""
    env = os.environ if env is None else env
    return SupervisionConfig(
        contact_report_days=int(env.get("DUDAO_CONTACT_REPORT_DAYS", "3")),
        survey_close_days=int(env.get("DUDAO_SURVEY_CLOSE_DAYS", "14")), **given)
