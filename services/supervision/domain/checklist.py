"""The work-plan checklist (R4): 一看、二看、三看, run on the plan the unit submitted.

"具体讲，主要看三个方面" (A). The checklist never decides; it names what is
missing so the group's verdict can cite it. Each missing item is a short stable
key ("guarantee_systems:acceptance") with a Chinese label beside it.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from shared.work_plan_vocabulary import GUARANTEE_SYSTEMS, LEADER_MEASURES, PROBLEM_CATEGORIES  # noqa: F401

NO_PROBLEMS = "problems:none_identified"


@dataclasses.dataclass(frozen=True)
class Checklist:
    missing_leader_measures: tuple
    problems_identified: int
    problems_without_measures: tuple  # indexes into plan["problems"]
    unknown_problem_categories: tuple  # indexes whose category is not one of the five
    categories_covered: tuple
    categories_not_covered: tuple  # informative only: a unit need not have all five
    missing_guarantee_systems: tuple

    @property
    def missing(self) -> list[str]:
        """Every item the plan lacks, as stable keys (the contract's ``missing``)."""
        items = [f"leader_measures:{k}" for k in self.missing_leader_measures]
        if self.problems_identified == 0:
            items.append(NO_PROBLEMS)
        items += [f"problems[{i}]:no_measures" for i in self.problems_without_measures]
        items += [f"problems[{i}]:unknown_category" for i in self.unknown_problem_categories]
        items += [f"guarantee_systems:{k}" for k in self.missing_guarantee_systems]
        return items

    @property
    def passed(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "look_one": {"missing_leader_measures": list(self.missing_leader_measures)},
            "look_two": {
                "problems_identified": self.problems_identified,
                "problems_without_measures": list(self.problems_without_measures),
                "unknown_problem_categories": list(self.unknown_problem_categories),
                "categories_covered": list(self.categories_covered),
                "categories_not_covered": list(self.categories_not_covered),
            },
            "look_three": {"missing_guarantee_systems": list(self.missing_guarantee_systems)},
            "missing": self.missing,
            "missing_labels": [label_of(item) for item in self.missing],
            "passed": self.passed,
        }


def check_work_plan(plan: dict[str, Any]) -> Checklist:
    """Run 一看/二看/三看 over a plan shaped as in the cross-service contract."""
    measures = set(plan.get("leader_measures") or ())
    problems = list(plan.get("problems") or ())
    systems = set(plan.get("guarantee_systems") or ())
    categories = [p.get("category") for p in problems]
    covered = [c for c in PROBLEM_CATEGORIES if c in categories]
    return Checklist(
        missing_leader_measures=tuple(k for k in LEADER_MEASURES if k not in measures),
        problems_identified=len(problems),
        problems_without_measures=tuple(
            i for i, p in enumerate(problems) if not _has_real_measure(p)),
        unknown_problem_categories=tuple(
            i for i, c in enumerate(categories) if c not in PROBLEM_CATEGORIES),
        categories_covered=tuple(covered),
        categories_not_covered=tuple(c for c in PROBLEM_CATEGORIES if c not in covered),
        missing_guarantee_systems=tuple(k for k in GUARANTEE_SYSTEMS if k not in systems),
    )


def _has_real_measure(problem: dict[str, Any]) -> bool:
    # "还要看解决这些问题的措施是否符合实际，是否有力": a blank measure is no measure.
    return any(isinstance(m, str) and m.strip() for m in problem.get("measures") or ())


def label_of(item: str) -> str:
    """Chinese label of a checklist item key, for people reading the verdict."""
    head, _, key = item.partition(":")
    if head == "leader_measures":
        return f"一看：未见“{LEADER_MEASURES.get(key, key)}”"
    if head == "guarantee_systems":
        return f"三看：缺少{GUARANTEE_SYSTEMS.get(key, key)}"
    if item == NO_PROBLEMS:
        return "二看：未找出需要解决的突出问题"
    if key == "no_measures":
        return f"二看：{head}没有解决措施"
    return f"二看：{head}的问题类别不在五类之中"
