"""The rectification ledger (整改台账) of one unit as GET /units/{unit}/rectification answers
it, and the rows the Excel export writes: a pure function of the unit's folded state."""
from __future__ import annotations

from services.units.domain.ledger import is_overdue, ledger_figures
from services.units.domain.state import UnitState
from shared.work_plan_vocabulary import PROBLEM_CATEGORIES


def _measure(state: UnitState, measure_id: str, today: str) -> dict:
    m = state.measures[measure_id]
    owner = state.members.get(m.owner_member_id)
    return {"measure_id": m.measure_id, "problem_id": m.problem_id, "kind": m.kind,
            "commitment": m.description, "owner_member_id": m.owner_member_id,
            "owner_name": owner.name if owner else None, "due": m.due, "phase": m.phase,
            "status": m.status, "completed_on": m.completed_on, "summary": m.note,
            "attachment_ids": list(m.attachment_ids), "returns": m.returns, "comments": m.comments,
            "signed_off_on": m.signed_off_on,
            "overdue": is_overdue(state, m, today)}


def ledger_view(state: UnitState, today: str) -> dict:
    problems = []
    for p in state.problems.values():
        problems.append({
            "problem_id": p.problem_id, "category": p.category,
            "category_label": PROBLEM_CATEGORIES.get(p.category) if p.category else None,
            "description": p.description, "source": p.source, "source_ref": p.source_ref,
            "raised_by": p.raised_by, "phase": p.phase, "raised_on": p.raised_on, "status": p.status,
            "carry_proposed": p.carry_reason, "carried_reason": p.carried_reason, "closed_on": p.closed_on,
            "reply": p.reply,
            "measures": [_measure(state, m, today) for m in p.measure_ids]})
    leaders_with = {m.owner_member_id for m in state.measures.values()}
    return {"unit_id": state.unit_id, "name": state.name, "phase": state.phase, "as_of": today,
            "figures": {**ledger_figures(state, today),
                        "returns": sum(m.returns for m in state.measures.values())},
            # problems the group proposed: awaiting the unit's acceptance or answer, and answered
            "proposals": {"proposed": sum(p.status == "proposed" for p in state.problems.values()),
                          "answered": sum(p.status == "answered" for p in state.problems.values())},
            "leaders_without_measure": [m.member_id for m in state.leaders()
                                        if m.member_id not in leaders_with],
            "problems": problems}


def county_view(cards_and_views: list[tuple[dict, dict]], today: str) -> dict:
    """The county's ledgers (or the reader's scope of them) at a glance: problems by category,
    the sign-off rate, overdue measures by group, and each unit's figures."""
    by_category = {key: 0 for key in PROBLEM_CATEGORIES}
    overdue_by_group: dict = {}
    units = []
    totals = {"problems": 0, "signed_off": 0, "carried": 0, "open": 0, "measures": 0,
              "measures_signed_off": 0, "overdue": 0, "returns": 0, "proposed": 0, "answered": 0}
    for card, view in cards_and_views:
        for p in view["problems"]:
            if p["category"] in by_category:
                by_category[p["category"]] += 1
        figures = {**view["figures"], **view["proposals"]}
        for key in totals:
            totals[key] += figures.get(key, 0)
        group = card.get("group_id") or ""
        overdue_by_group[group] = overdue_by_group.get(group, 0) + figures["overdue"]
        units.append({"unit_id": view["unit_id"], "name": view["name"], "phase": view["phase"],
                      "batch": card.get("batch"), "group_id": card.get("group_id"), "figures": figures})
    # the units with a ledger first (most overdue, then most problems), the rest after, by name
    units.sort(key=lambda u: (-u["figures"]["overdue"], -u["figures"]["problems"], u["batch"] or 0, u["name"]))
    decided = totals["problems"] - totals["proposed"] - totals["answered"]
    rate = round(totals["signed_off"] / decided, 4) if decided else None
    return {"as_of": today, "totals": totals, "sign_off_rate": rate,
            "by_category": [{"category": k, "label": PROBLEM_CATEGORIES[k], "problems": n}
                            for k, n in by_category.items()],
            "overdue_by_group": [{"group_id": g or None, "overdue": n} for g, n in sorted(overdue_by_group.items())],
            "units": units}


def ledger_rows(view: dict) -> list[dict]:
    """One row per measure (a problem without measures gets one row of its own)."""
    rows = []
    for p in view["problems"]:
        base = {"unit_id": view["unit_id"], "unit": view["name"], "problem_id": p["problem_id"],
                "category": p["category_label"] or "", "problem": p["description"], "source": p["source"],
                "problem_status": p["status"], "reply": p.get("reply") or ""}
        for m in p["measures"] or [None]:
            rows.append({**base, **(m or {})})
    return rows
