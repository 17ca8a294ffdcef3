"""The structured work plan (工作方案) that supervision's checklist reads (R4, 一看/二看/三看).

The units service refuses a malformed plan; whether a well-formed plan is
*complete* is the group's checklist verdict — here we only name what is missing
so the unit card can flag it early (B's plan names four systems, no 成果验收制度).
"""
from __future__ import annotations

from shared.work_plan_vocabulary import GUARANTEE_SYSTEMS, LEADER_MEASURES, PROBLEM_CATEGORIES  # noqa: F401

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
