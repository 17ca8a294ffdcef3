"""Every obligation type in every status (issue 15, "Done when"): each type is made due by
the events that make it, then met on its due date (met on time), met the day after (met late),
left unmet and recorded overdue by the scheduler, or waived by the office. A type added to
``OWED_BY`` without a recipe here fails ``test_every_type_has_a_recipe``."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pytest

from services.supervision import domain as D
from tests.unit.supervision.test_obligations import GROUP, UNIT, County, assigned_with_meeting


def _next_day(iso: str) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Recipe:
    """``make`` makes the obligation due (on ``due``); ``meet(county, day)`` does what it asks."""
    make: Callable[[], County]
    subject: str | None
    due: str
    meet: Callable[[County, str], County]


def _directive() -> County:
    return County().supervision("DirectiveSent", directive_id="d-1", recipient="unit", reply_by="2024-03-05",
                                sent_on="2024-03-01", group_id=GROUP)


def _accepted() -> County:
    """A unit that notified people under pseudonymous ids, then was accepted (issue 19)."""
    return (County().units("PublicNotified", notification_id="n-1", scope=["r-1", "r-2"],
                           people=[{"person_id": "r-1", "name": "甲"}, {"person_id": "r-2", "name": "乙"}])
            .units("PhaseEntered", phase="accepted", previous_phase="survey", deadline=None,
                   entered_on="2024-07-01"))


RECIPES = {
    "arrival": Recipe(assigned_with_meeting, None, "2024-02-16",
                      lambda c, day: c.supervision("GroupArrived", group_id=GROUP, date=day)),
    "contact_details": Recipe(
        lambda: assigned_with_meeting().supervision("GroupArrived", group_id=GROUP, date="2024-02-15"),
        None, "2024-02-18",
        lambda c, day: c.supervision("ReportFiled", kind="contact_details", date=day, group_id=GROUP)),
    "work_plan": Recipe(assigned_with_meeting, None, "2024-02-17",
                        lambda c, day: c.supervision("WorkPlanReviewed", decision="approve", date=day,
                                                     group_id=GROUP)),
    "requirements": Recipe(
        lambda: County().units("PhaseEntered", phase="mobilization", previous_phase="registered",
                               deadline="2024-04-30", entered_on="2024-02-18"),
        None, "2024-04-30",
        lambda c, day: c.units("RequirementsSet", day=day, text="五带头", items=[])),
    "study_floor": Recipe(
        lambda: County().units("PhaseEntered", phase="mobilization", previous_phase="registered",
                               deadline="2024-03-20", entered_on="2024-02-18"),
        None, "2024-03-20",
        lambda c, day: c.study("StudyFloorReached", day=day, reached_on=day, floor="40", member_count=2,
                               exempted=[], cause="attendance")),
    "phase_deadline": Recipe(
        lambda: County().units("PhaseEntered", phase="mobilization", previous_phase="registered",
                               deadline="2024-04-30", entered_on="2024-02-18"),
        "mobilization", "2024-04-30",
        lambda c, day: c.units("PhaseEntered", phase="analysis", previous_phase="mobilization",
                               deadline="2024-06-30", entered_on=day)),
    "measure": Recipe(
        lambda: County().units("RectificationMeasureAdded", measure_id="r-1", due="2024-07-01"),
        "r-1", "2024-07-01",
        lambda c, day: c.units("RectificationMeasureCompleted", measure_id="r-1", completed_on=day)),
    "survey_close": Recipe(
        lambda: County().evaluation("SurveyOpened", survey_id="s-1", opened_on="2024-08-01"),
        "s-1", "2024-08-15",
        lambda c, day: c.evaluation("SurveyClosed", survey_id="s-1", closed_on=day)),
    "respondent_erasure": Recipe(
        _accepted, None, "2025-07-01",  # DUDAO_RETENTION_DAYS' default: 365 days after acceptance
        lambda c, day: c.units("RespondentNamesErased", subject_ids=["r-1", "r-2"], accepted_on="2024-07-01",
                               retention_days=365, due="2025-07-01", erased_on=day)),
    "directive": Recipe(_directive, "d-1", "2024-03-05",
                        lambda c, day: c.supervision("DirectiveReplied", directive_id="d-1", replied_on=day)),
}


def test_every_type_has_a_recipe():
    assert set(RECIPES) == set(D.obligations.TYPES)


def made(kind: str) -> tuple[County, Recipe]:
    recipe = RECIPES[kind]
    county = recipe.make()
    obligation = county.obligation(kind, recipe.subject)
    assert (obligation["due"], obligation["status"]) == (recipe.due, "open")
    return county, recipe


@pytest.mark.parametrize("kind", sorted(RECIPES))
def test_met_on_its_due_date_is_on_time(kind):
    county, recipe = made(kind)
    recipe.meet(county, recipe.due)
    assert county.status(kind, recipe.subject) == "met_on_time"


@pytest.mark.parametrize("kind", sorted(RECIPES))
def test_met_the_day_after_is_late(kind):
    county, recipe = made(kind)
    recipe.meet(county, _next_day(recipe.due))
    obligation = county.obligation(kind, recipe.subject)
    assert (obligation["status"], obligation["met_on"]) == ("met_late", _next_day(recipe.due))


@pytest.mark.parametrize("kind", sorted(RECIPES))
def test_unmet_it_is_overdue_once_the_scheduler_records_the_day_after(kind):
    county, recipe = made(kind)
    obligation = county.obligation(kind, recipe.subject)
    assert obligation in D.obligations.fallen_due(county.doc["obligations"], _next_day(recipe.due))
    assert obligation not in D.obligations.fallen_due(county.doc["obligations"], recipe.due)
    county.supervision("ObligationBecameOverdue", party=UNIT, obligation_id=obligation["obligation_id"],
                       kind=kind, due=recipe.due, observed_on=_next_day(recipe.due))
    assert county.status(kind, recipe.subject) == "overdue"


@pytest.mark.parametrize("kind", sorted(RECIPES))
def test_waived_by_the_office_it_stays_waived_when_met_later(kind):
    county, recipe = made(kind)
    obligation = county.obligation(kind, recipe.subject)
    county.supervision("ObligationWaived", party=UNIT, obligation_id=obligation["obligation_id"], kind=kind,
                       reason="县委先进办批准", waived_on=recipe.due, waived_by="office-1")
    assert county.status(kind, recipe.subject) == "waived"
    assert obligation["obligation_id"] not in {
        o["obligation_id"] for o in D.obligations.fallen_due(county.doc["obligations"], "2025-01-01")}
