"""R16 reports and briefings, R17 typical cases."""
import pytest

from services.supervision.domain import (
    BriefingCompiled,
    CompileBriefing,
    FileReport,
    PubliciseTypicalCase,
    RecommendTypicalCase,
    ReportFiled,
    ReportTypicalCase,
    TypicalCasePublicised,
    TypicalCaseRecommended,
    TypicalCaseReported,
    arrange_briefing,
    decide,
    fold_briefing,
    fold_unit,
)
from services.supervision.domain.briefing import EMPTY_BRIEFING
from shared.domain import Conflict, Forbidden, NotFound, Rejected
from tests.unit.supervision.helpers import G1, OFFICE, SUP1, SUP2, UNIT, arrived_unit, assigned, assigned_unit


def refused(state, command, error):
    with pytest.raises(error) as caught:
        decide(state, command)
    return caught.value


def report(**kw):
    args = dict(report_id="r1", unit_id=UNIT, kind="progress", title="学习动员进展",
                body="集中学习已开始", date="2005-02-20", actor=SUP1)
    args.update(kw)
    return FileReport(**args)


def test_progress_report_is_filed_not_urgent():
    [event] = decide(assigned_unit(), report())
    assert isinstance(event, ReportFiled) and event.urgent is False and event.group_id == G1


@pytest.mark.parametrize("kind", ["major_issue", "policy_issue"])
def test_major_and_policy_issues_are_flagged_urgent(kind):
    [event] = decide(assigned_unit(), report(kind=kind))
    assert event.urgent is True


def test_contact_details_after_arrival():
    command = report(kind="contact_details", title="联系方式", body="",
                     contact={"phone": "0571-1234567", "address": "县委党校"})
    refused(assigned_unit(), command, Conflict)
    [event] = decide(arrived_unit(), command)
    assert event.contact == {"phone": "0571-1234567", "address": "县委党校"}
    refused(arrived_unit(), report(kind="contact_details", contact={}), Rejected)


def test_report_refusals():
    refused(assigned_unit(), report(actor=SUP2), Forbidden)
    refused(assigned_unit(), report(kind="gossip"), Rejected)
    refused(assigned_unit(), report(body=""), Rejected)
    [event] = decide(assigned_unit(), report())
    refused(assigned_unit(event), report(), Conflict)


# ---------------------------------------------------------------- typical cases
def case(**kw):
    args = dict(case_id="c1", unit_id=UNIT, kind="experience", title="设岗创星",
                description="以设岗创星为载体", date="2005-03-01", actor=SUP1)
    args.update(kw)
    return ReportTypicalCase(**args)


REPORTED = TypicalCaseReported(case_id="c1", unit_id=UNIT, group_id=G1, kind="experience",
                               title="设岗创星", description="…", person_name=None,
                               date="2005-03-01")


def to(recipient):
    return TypicalCaseRecommended(case_id="c1", unit_id=UNIT, group_id=G1, recipient=recipient,
                                  date="2005-03-02")


def recommend(**kw):
    args = dict(case_id="c1", unit_id=UNIT, recipient="unit", date="2005-03-02", actor=SUP1)
    args.update(kw)
    return RecommendTypicalCase(**args)


def publicise(**kw):
    args = dict(case_id="c1", unit_id=UNIT, date="2005-03-05", channel="简报", actor=OFFICE)
    args.update(kw)
    return PubliciseTypicalCase(**args)


def test_case_is_reported_recommended_to_both_then_publicised():
    [reported] = decide(assigned_unit(), case())
    [to_unit] = decide(assigned_unit(reported), recommend())
    [to_office] = decide(assigned_unit(reported, to_unit), recommend(recipient="office"))
    [done] = decide(assigned_unit(reported, to_unit, to_office), publicise())
    assert isinstance(done, TypicalCasePublicised) and done.channel == "简报"
    state = fold_unit([assigned(), reported, to_unit, to_office, done])
    assert state.cases["c1"]["publicised"] is True
    assert set(state.cases["c1"]["recommended_to"]) == {"unit", "office"}


def test_publicising_before_both_recommendations_is_refused():
    error = refused(assigned_unit(REPORTED), publicise(), Rejected)
    assert error.details["not_yet_recommended_to"] == ["unit", "office"]
    error = refused(assigned_unit(REPORTED, to("unit")), publicise(), Rejected)
    assert error.details["not_yet_recommended_to"] == ["office"]


def test_publicising_twice_conflicts_and_only_the_office_publicises():
    done = TypicalCasePublicised(case_id="c1", unit_id=UNIT, group_id=G1, date="2005-03-05",
                                 channel="简报")
    ready = assigned_unit(REPORTED, to("unit"), to("office"))
    refused(assigned_unit(REPORTED, to("unit"), to("office"), done), publicise(), Conflict)
    refused(ready, publicise(actor=SUP1), Forbidden)


def test_recommendation_refusals():
    refused(assigned_unit(REPORTED, to("unit")), recommend(), Conflict)
    refused(assigned_unit(), recommend(), NotFound)
    refused(assigned_unit(REPORTED), recommend(recipient="press"), Rejected)
    refused(assigned_unit(REPORTED), recommend(actor=SUP2), Forbidden)


def test_case_report_refusals():
    refused(assigned_unit(), case(kind="person"), Rejected)
    [person] = decide(assigned_unit(), case(kind="person", person_name="王某"))
    assert person.person_name == "王某"
    refused(assigned_unit(REPORTED), case(), Conflict)
    refused(assigned_unit(), case(actor=SUP2), Forbidden)
    refused(assigned_unit(), case(description=""), Rejected)
    refused(assigned_unit(), case(kind="rumour"), Rejected)


# ------------------------------------------------------------------- briefings
def doc(report_id, kind, date, urgent=False):
    return {"report_id": report_id, "unit_id": UNIT, "group_id": G1, "kind": kind,
            "title": report_id, "body": "…", "date": date, "urgent": urgent, "_id": report_id}


REPORTS = [
    doc("p2", "progress", "2005-02-22"),
    doc("p1", "progress", "2005-02-20"),
    doc("t1", "typical_experience", "2005-02-21"),
    doc("m1", "major_issue", "2005-02-23", urgent=True),
    doc("c1", "contact_details", "2005-02-20"),
    doc("old", "progress", "2005-01-30"),
    doc("pol", "policy_issue", "2005-02-28", urgent=True),
]


def test_briefing_orders_sections_and_reports_within_the_period():
    sections = arrange_briefing(REPORTS, "2005-02-15", "2005-02-28")
    assert [s["kind"] for s in sections] == ["major_issue", "policy_issue", "progress",
                                             "typical_experience"]
    assert [i["report_id"] for i in sections[2]["items"]] == ["p1", "p2"]
    assert sections[0]["label"] == "重大问题"
    assert "_id" not in sections[0]["items"][0]


def compile_(**kw):
    args = dict(briefing_id="b1", title="先进性教育活动简报第1期", period_from="2005-02-15",
                period_to="2005-02-25", today="2005-02-26", actor=OFFICE, reports=REPORTS)
    args.update(kw)
    return CompileBriefing(**args)


def test_office_compiles_a_briefing_from_the_periods_reports():
    [event] = decide(EMPTY_BRIEFING, compile_())
    assert isinstance(event, BriefingCompiled)
    assert event.report_ids == ["m1", "p1", "p2", "t1"]
    assert fold_briefing([event]).briefing_id == "b1"


def test_briefing_refusals():
    refused(EMPTY_BRIEFING, compile_(actor=SUP1), Forbidden)
    refused(EMPTY_BRIEFING, compile_(period_from="2004-12-01", period_to="2004-12-31"), Rejected)
    refused(EMPTY_BRIEFING, compile_(period_from="2005-03-01", period_to="2005-02-01"), Rejected)
    refused(EMPTY_BRIEFING, compile_(title=""), Rejected)
    [event] = decide(EMPTY_BRIEFING, compile_())
    refused(fold_briefing([event]), compile_(), Conflict)
