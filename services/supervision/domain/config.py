"""Numbers the rules use, kept out of the rules so the county can change them."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class SupervisionConfig:
    # R1 "一个督导组负责10个左右单位": a soft limit, exceeding it warns and never refuses.
    soft_unit_limit: int = 10
    # R2 "必须在派驻单位动员会前两天到位": days between arrival deadline and the meeting.
    arrival_lead_days: int = 2
    # R14: each of the seven inspection points is scored on this inclusive scale.
    min_score: int = 0
    max_score: int = 10
    # "这次选派的督导组组长，都是科级干部": ranks a group leader may hold.
    leader_ranks: tuple = ("section", "deputy_section")


DEFAULT_CONFIG = SupervisionConfig()
