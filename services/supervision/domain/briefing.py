"""Briefings (简报, R16): the office selects a period's reports and orders them.

"综合材料组主要负责……简报的编发": the pure part picks the reports dated inside
the period, leaves out contact details (not briefing material), and orders them
by section (major issues first) then by date. The Word export reads the event.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from services.supervision.domain import events as ev
from services.supervision.domain.commands import CompileBriefing
from services.supervision.domain.config import SupervisionConfig
from services.supervision.domain.folding import fold_with
from services.supervision.domain.guards import parse_date, require_office, require_text
from services.supervision.domain.vocabulary import BRIEFING_SECTIONS, REPORT_KINDS
from shared.domain import Conflict, Rejected

ITEM_FIELDS = ("report_id", "unit_id", "group_id", "kind", "date", "title", "body", "urgent")


@dataclasses.dataclass(frozen=True)
class BriefingState:
    briefing_id: str | None = None
    report_ids: tuple = ()


EMPTY_BRIEFING = BriefingState()


def evolve_briefing(state: BriefingState, event) -> BriefingState:
    if type(event) is not ev.BriefingCompiled:  # the stream's one event type
        return state
    return BriefingState(briefing_id=event.briefing_id, report_ids=tuple(event.report_ids))


def fold_briefing(history: Iterable) -> BriefingState:
    return fold_with(evolve_briefing, EMPTY_BRIEFING, history)


def arrange_briefing(reports: Iterable[dict], period_from: str, period_to: str) -> list[dict]:
    """Sections in print order, each with its reports by date; empty sections omitted."""
    chosen: dict[str, dict] = {}
    for report in reports:
        if (report.get("kind") in BRIEFING_SECTIONS
                and period_from <= report.get("date", "") <= period_to):
            chosen.setdefault(report["report_id"], report)
    sections = []
    for kind in BRIEFING_SECTIONS:
        items = sorted((r for r in chosen.values() if r["kind"] == kind),
                       key=lambda r: (r["date"], r["report_id"]))
        if items:
            sections.append({"kind": kind, "label": REPORT_KINDS[kind],
                             "items": [{f: r.get(f) for f in ITEM_FIELDS} for r in items]})
    return sections


def compile_briefing(state: BriefingState, cmd: CompileBriefing, config: SupervisionConfig) -> list:
    require_office(cmd.actor, "compile briefings")
    if state.briefing_id is not None:
        raise Conflict(f"briefing {cmd.briefing_id} is already compiled",
                       briefing_id=cmd.briefing_id)
    title = require_text(cmd.title, "title")
    start, end = parse_date(cmd.period_from, "period_from"), parse_date(cmd.period_to, "period_to")
    parse_date(cmd.today, "today")
    if end < start:
        raise Rejected("the period cannot end before it starts", period_from=cmd.period_from,
                       period_to=cmd.period_to)
    sections = arrange_briefing(cmd.reports, cmd.period_from, cmd.period_to)
    if not sections:
        raise Rejected("no reports to brief in that period", period_from=cmd.period_from,
                       period_to=cmd.period_to)
    report_ids = [item["report_id"] for s in sections for item in s["items"]]
    return [ev.BriefingCompiled(briefing_id=cmd.briefing_id, title=title,
                                period_from=cmd.period_from, period_to=cmd.period_to,
                                compiled_on=cmd.today, sections=sections, report_ids=report_ids)]


HANDLERS = {CompileBriefing: compile_briefing}
