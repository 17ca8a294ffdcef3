"""The unit page's forms grouped by the unit's phase (workbench.by_phase): the current
phase's forms (and those for any phase) first under 本阶段办理事项, the rest after under
其他办理事项, every form still offered whatever the phase."""
import re

import pytest

from services.gateway.dashboard import workbench as W
from services.gateway.dashboard.views import Dashboard
from tests.unit.gateway.test_dashboard_actions import SUPERVISOR, UNIT, Services, Sessions, get


def groups_of(html):
    now_at, other_at = html.index("本阶段办理事项"), html.index("其他办理事项")
    assert now_at < other_at
    ids = re.compile(r'<details class="action" id="act-([a-z_]+)"')
    return ids.findall(html[now_at:other_at]), ids.findall(html[other_at:])


def page_in(person, phase):
    services = Services()
    card = services("units", "get_unit", {})["result"]
    html = get(Dashboard(Sessions(person), Services(reads={"get_unit": {**card, "phase": phase}})),
               "/dashboard/units/u-1").get_data(as_text=True)
    return groups_of(html)


def test_every_unit_page_form_names_only_known_phases():
    for action in W.on_page("unit"):
        assert set(action.phases) <= {"registered", "mobilization", "analysis", "rectification",
                                      "survey", "remedial", "accepted"}, action.name


@pytest.mark.parametrize("person, phase, first, later", [
    (UNIT, "mobilization", "schedule_meeting", "record_problem"),
    (UNIT, "rectification", "record_problem", "schedule_meeting"),
    (UNIT, "remedial", "record_problem", "submit_work_plan"),
    (UNIT, "analysis", "record_opinions", "notify_public"),
    (SUPERVISOR, "mobilization", "review_work_plan", "review_measure"),
    (SUPERVISOR, "rectification", "review_measure", "review_work_plan"),
])
def test_the_current_phases_forms_come_first_and_every_form_is_still_offered(person, phase, first, later):
    now, other = page_in(person, phase)
    assert first in now and later in other
    for name in now:
        assert not W.BY_NAME[name].phases or phase in W.BY_NAME[name].phases, name
    for name in other:
        assert W.BY_NAME[name].phases and phase not in W.BY_NAME[name].phases, name
    assert "apply_for_transition" in now or "group_review" in now  # any phase: in the first group
    # the same forms whatever the phase, only their order differs
    assert sorted(now + other) == sorted(sum(page_in(person, "analysis"), []))


def test_the_acceptance_inspection_is_for_the_survey_not_before():
    now, other = page_in(SUPERVISOR, "mobilization")
    assert "record_acceptance_inspection" in other and "record_acceptance_inspection" not in now
    now, other = page_in(SUPERVISOR, "survey")
    assert "record_acceptance_inspection" in now and "review_work_plan" in other
