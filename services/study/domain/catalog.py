"""The fixed lists of R10: study forms and required content, as stable keys with
the labels the county secretary used (A: "在学习形式上，主要是读原著、专题讲座、看录像、
请基层优秀党员作报告 … 在学习内容上，要组织党员认真学习 …")."""
from __future__ import annotations

from shared.study_catalog import FORMS, REQUIRED_CONTENT, SELF_STUDY  # noqa: F401  (their home: shared)

CENTRALISED = "centralised"
SELF = "self"


def mode_of(form: str) -> str:
    """Self-study is counted apart from the centralised 学时 that the floor is about."""
    return SELF if form == SELF_STUDY else CENTRALISED


# 四落实: "确保学习人员、时间、内容、效果'四落实'".
PLAN_ITEMS: dict[str, str] = {
    "personnel": "人员",
    "time": "时间",
    "content": "内容",
    "effect": "效果",
}


def content_labels(keys) -> list[str]:
    return [REQUIRED_CONTENT[k] for k in keys if k in REQUIRED_CONTENT]
