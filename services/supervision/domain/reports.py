"""Reports to the office (R16) and typical cases (R17)."""
from __future__ import annotations

from services.supervision.domain import events as ev
from services.supervision.domain.arrival import require_arrived
from services.supervision.domain.commands import (
    FileReport,
    PubliciseTypicalCase,
    RecommendTypicalCase,
    ReportTypicalCase,
)
from services.supervision.domain.guards import parse_date, require_choice, require_office, require_text
from services.supervision.domain.unit_state import SupervisedUnitState
from services.supervision.domain.vocabulary import (
    RECOMMENDATION_RECIPIENTS,
    REPORT_KINDS,
    TYPICAL_CASE_KINDS,
    URGENT_REPORT_KINDS,
)
from shared.access import check_supervisor_of
from shared.domain import Conflict, NotFound, Rejected


def file_report(state: SupervisedUnitState, cmd: FileReport, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    if cmd.report_id in state.reports:
        raise Conflict(f"report {cmd.report_id} is already filed", report_id=cmd.report_id)
    require_choice(cmd.kind, tuple(REPORT_KINDS), "kind")
    parse_date(cmd.date, "date")
    title = require_text(cmd.title, "title")
    contact = cmd.contact if isinstance(cmd.contact, dict) else {}
    if cmd.kind == "contact_details":
        # "各督导组到位后，要将联系方式向……办公室报告一下"
        require_arrived(state, cmd.unit_id, "report its contact details")
        contact = {k: v.strip() for k, v in contact.items() if isinstance(v, str) and v.strip()}
        if not contact:
            raise Rejected("a contact-details report needs at least one way to reach the group",
                           field="contact")
        body = cmd.body.strip() if isinstance(cmd.body, str) else ""
    else:
        body = require_text(cmd.body, "body")
        contact = {}
    return [ev.ReportFiled(report_id=cmd.report_id, unit_id=cmd.unit_id, group_id=state.group_id,
                           kind=cmd.kind, title=title, body=body, date=cmd.date,
                           urgent=cmd.kind in URGENT_REPORT_KINDS, contact=contact)]


def report_case(state: SupervisedUnitState, cmd: ReportTypicalCase, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    if cmd.case_id in state.cases:
        raise Conflict(f"typical case {cmd.case_id} is already reported", case_id=cmd.case_id)
    require_choice(cmd.kind, tuple(TYPICAL_CASE_KINDS), "kind")
    parse_date(cmd.date, "date")
    person = cmd.person_name.strip() if isinstance(cmd.person_name, str) else None
    if cmd.kind == "person" and not person:
        raise Rejected("an exemplary person needs their name", field="person_name")
    return [ev.TypicalCaseReported(
        case_id=cmd.case_id, unit_id=cmd.unit_id, group_id=state.group_id, kind=cmd.kind,
        title=require_text(cmd.title, "title"),
        description=require_text(cmd.description, "description"),
        person_name=person or None, date=cmd.date)]


def _case(state: SupervisedUnitState, case_id: str) -> dict:
    case = state.cases.get(case_id)
    if case is None:
        raise NotFound(f"typical case {case_id} does not exist", case_id=case_id)
    return case


def recommend_case(state: SupervisedUnitState, cmd: RecommendTypicalCase, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    case = _case(state, cmd.case_id)
    require_choice(cmd.recipient, tuple(RECOMMENDATION_RECIPIENTS), "recipient")
    if cmd.recipient in case["recommended_to"]:
        raise Conflict(f"typical case {cmd.case_id} was already recommended to the "
                       f"{cmd.recipient}", case_id=cmd.case_id, recipient=cmd.recipient)
    parse_date(cmd.date, "date")
    return [ev.TypicalCaseRecommended(case_id=cmd.case_id, unit_id=cmd.unit_id,
                                      group_id=state.group_id, recipient=cmd.recipient,
                                      date=cmd.date)]


def publicise_case(state: SupervisedUnitState, cmd: PubliciseTypicalCase, config) -> list:
    require_office(cmd.actor, "publicise typical cases")
    case = _case(state, cmd.case_id)
    if case["publicised"]:
        raise Conflict(f"typical case {cmd.case_id} is already publicised", case_id=cmd.case_id)
    # "要把发现的典型，及时向所去单位党委（党组）推荐，向……办公室推荐，进行宣传、推广"
    missing = [r for r in RECOMMENDATION_RECIPIENTS if r not in case["recommended_to"]]
    if missing:
        raise Rejected("a typical case is publicised only after it was recommended to both the "
                       "unit and the office", case_id=cmd.case_id, not_yet_recommended_to=missing)
    parse_date(cmd.date, "date")
    return [ev.TypicalCasePublicised(case_id=cmd.case_id, unit_id=cmd.unit_id,
                                     group_id=state.group_id, date=cmd.date,
                                     channel=require_text(cmd.channel, "channel"))]
