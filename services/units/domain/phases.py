"""The unit life cycle (DESIGN.md "Unit life cycle"): the only path a unit may take.

registered -(mobilisation meeting held)-> mobilization -(approved)-> analysis
-(approved)-> rectification -(approved)-> survey -(SurveyPassed, then inspection passed)-> accepted
                                                  -(SurveyFailed)-> remedial -(approved)-> survey ...
                                                  -(inspection failed)-> rectification -> survey ...
"""
from __future__ import annotations

REGISTERED = "registered"
MOBILIZATION = "mobilization"   # 学习动员
ANALYSIS = "analysis"           # 分析评议
RECTIFICATION = "rectification"  # 整改提高
SURVEY = "survey"               # 巩固扩大整改成果 done, waiting for / in the 群众满意度测评
ACCEPTED = "accepted"           # 检查验收 passed
REMEDIAL = "remedial"           # 补课: rectification redone after a failed survey

PHASES = (REGISTERED, MOBILIZATION, ANALYSIS, RECTIFICATION, SURVEY, ACCEPTED, REMEDIAL)

LABELS = {
    REGISTERED: "已登记",
    MOBILIZATION: "学习动员",
    ANALYSIS: "分析评议",
    RECTIFICATION: "整改提高",
    SURVEY: "群众满意度测评",
    ACCEPTED: "检查验收",
    REMEDIAL: "补课",
}

# Phases a unit leaves by a transition application (转段申请, R5), and where it goes.
NEXT_BY_APPLICATION = {
    MOBILIZATION: ANALYSIS,
    ANALYSIS: RECTIFICATION,
    RECTIFICATION: SURVEY,
    REMEDIAL: SURVEY,
}

# Every edge the life cycle allows; anything else would be a skipped or invented phase.
ALLOWED_EDGES = frozenset({
    (REGISTERED, MOBILIZATION),
    (MOBILIZATION, ANALYSIS),
    (ANALYSIS, RECTIFICATION),
    (RECTIFICATION, SURVEY),
    (SURVEY, ACCEPTED),
    (SURVEY, REMEDIAL),
    (SURVEY, RECTIFICATION),  # a failed acceptance inspection (检查验收) sends the unit back
    (REMEDIAL, SURVEY),
})

# Phases in which rectification measures and commitments are set (R22 phase 3).
RECTIFYING = (RECTIFICATION, REMEDIAL)


def why_cannot_apply(phase: str) -> str:
    """A plain-English reason why a phase cannot be left by application."""
    if phase == REGISTERED:
        return "a registered unit starts phase 学习动员 by holding its mobilisation meeting, not by application"
    if phase == SURVEY:
        return ("a unit in the satisfaction survey leaves it only by the survey's result and the "
                "acceptance inspection (检查验收) after it")
    if phase == ACCEPTED:
        return "an accepted unit has finished the campaign"
    return f"phase {phase!r} cannot be left by application"
