"""The seven inspection points of R14, shared by supervision (which scores them) and units
(which lists a point scored low as a proposed problem)."""
from __future__ import annotations

# R14 "督导组要重点督查……" — exactly these seven points, in the speech's order.
INSPECTION_POINTS = {
    "leadership_responsibility": "领导责任是否落实",
    "leaders_set_example": "领导带头是否体现",
    "working_strength": "工作力量是否有力",
    "measures_in_place": "各项措施是否到位",
    "problems_solved": "突出问题是否解决",
    "results_evident": "活动成效是否明显",
    "work_promoted": "各项工作是否得到促进",
}

# each point is scored on this inclusive scale unless configured otherwise (supervision config)
MIN_SCORE, MAX_SCORE = 0, 10
