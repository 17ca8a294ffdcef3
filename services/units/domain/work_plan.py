"""The structured work plan (工作方案) that supervision's checklist reads (R4, 一看/二看/三看).

The units service refuses a malformed plan; whether a well-formed plan is
*complete* is the group's checklist verdict — here we only name what is missing
so the unit card can flag it early (B's plan names four systems, no 成果验收制度).
"""
from __future__ import annotations

# 一看: 领导带头的措施是否落实
LEADER_MEASURES = {
    "participate_as_ordinary_member": "以普通党员身份参加教育活动",
    "lead_study": "带头参加学习",
    "give_party_lecture": "带头给党员讲党课或作专题报告",
    "find_problems": "带头查找问题",
    "lead_criticism": "带头开展批评与自我批评",
    "set_rectification": "带头制定和落实整改措施",
}

# 二看: 需要解决的突出问题是否找准
PROBLEM_CATEGORIES = {
    "members_and_organisations": "党员和党组织存在的突出问题",
    "party_and_government_style": "群众反映强烈的党风、政风、行风方面的突出问题",
    "reform_development_stability": "影响本地本单位改革发展稳定的突出问题",
    "livelihood": "与群众生产生活密切相关的问题",
    "internal_management": "本单位内部管理方面突出问题",
}

# 三看: 各项保证措施是否到位
GUARANTEE_SYSTEMS = {
    "leadership_responsibility": "领导责任制",
    "contact_points": "党员联系点制度",
    "supervision_inspection": "督促检查制度",
    "mass_evaluation": "群众监督评价制度",
    "acceptance": "成果验收制度",
}

PLAN_FIELDS = {"leader_measures", "problems", "guarantee_systems", "speech_draft"}


def plan_errors(plan) -> list[str]:
    """Structural problems that make a plan unreadable by the checklist (empty if fine)."""
    if not isinstance(plan, dict):
        return ["the work plan must be an object"]
    errors = [f"unknown field {k!r}" for k in sorted(set(plan) - PLAN_FIELDS)]
    errors += _key_list_errors(plan.get("leader_measures", []), LEADER_MEASURES, "leader_measures")
    errors += _key_list_errors(plan.get("guarantee_systems", []), GUARANTEE_SYSTEMS, "guarantee_systems")
    problems = plan.get("problems", [])
    if not isinstance(problems, list):
        errors.append("problems must be a list")
        problems = []
    for i, problem in enumerate(problems):
        errors += _problem_errors(i, problem)
    speech = plan.get("speech_draft")
    if speech is not None and not isinstance(speech, str):
        errors.append("speech_draft must be text")
    return errors


def _key_list_errors(values, allowed: dict, field: str) -> list[str]:
    if not isinstance(values, list):
        return [f"{field} must be a list"]
    errors = [f"{field}: unknown key {v!r}" for v in values if v not in allowed]
    if len(set(map(str, values))) != len(values):
        errors.append(f"{field}: duplicate keys")
    return errors


def _problem_errors(i: int, problem) -> list[str]:
    if not isinstance(problem, dict):
        return [f"problems[{i}] must be an object"]
    errors = []
    if problem.get("category") not in PROBLEM_CATEGORIES:
        errors.append(f"problems[{i}]: unknown category {problem.get('category')!r}")
    description = problem.get("description")
    if not isinstance(description, str) or not description.strip():
        errors.append(f"problems[{i}]: a description is required")
    measures = problem.get("measures", [])
    if not isinstance(measures, list) or not all(isinstance(m, str) and m.strip() for m in measures):
        errors.append(f"problems[{i}]: measures must be a list of non-empty texts")
    extra = set(problem) - {"category", "description", "measures"}
    if extra:
        errors.append(f"problems[{i}]: unknown fields {sorted(extra)}")
    return errors


def missing_items(plan: dict) -> dict[str, list[str]]:
    """What the checklist will miss, by part: leader measures, problem categories without
    measures, guarantee systems. Keys are the contract's keys."""
    problems = plan.get("problems", [])
    without_measures = sorted({p["category"] for p in problems if not p.get("measures")})
    return {
        "leader_measures": [k for k in LEADER_MEASURES if k not in plan.get("leader_measures", [])],
        "problems_without_measures": without_measures,
        "guarantee_systems": [k for k in GUARANTEE_SYSTEMS if k not in plan.get("guarantee_systems", [])],
    }
