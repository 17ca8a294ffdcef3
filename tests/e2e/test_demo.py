"""The demo county (issue 9) loaded into a real stack through the HTTP API: the promised
mix of states is there, read back through the API, and loading twice adds nothing.

Loaded as `make run` loads it (issue 15): every service's clock HISTORY_DAYS behind the wall
while the county is loaded, then the stack restarted on the wall's time, when what fell due
in between is recorded overdue."""
from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from fractions import Fraction
from pathlib import Path

import pytest

from assembly import demo
from assembly.demo import county
from assembly.stack import Stack, wait_until
from shared import launcher

# the day the county stands at when loaded, HISTORY_DAYS before today; batch 1 began then
LOADED_ON = (dt.date.today() - dt.timedelta(days=demo.HISTORY_DAYS)).isoformat()

PHASES = {"registered", "mobilization", "analysis", "rectification", "survey", "accepted",
          "remedial"}
# where each target leaves a unit
PHASE_OF_TARGET = {"registered": "registered", "scheduled": "registered",
                   "group_absent": "registered", "mobilization": "mobilization",
                   "plan_returned": "registered",
                   "mobilization_applied": "mobilization", "analysis": "analysis",
                   "rectification": "rectification", "survey": "survey",
                   "accepted_clear": "accepted", "accepted_exact": "accepted",
                   "remedial": "remedial"}
SERVICES = ("units", "supervision", "study", "evaluation")


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    """The e2e stack (tests/e2e/conftest.py) with the campaign calendar `make run` gives
    it: batch 1's centralised study starts the day the county is loaded as of
    (DUDAO_CAMPAIGN_START, shared/campaign_calendar.py)."""
    vhost = "dudao-e2e-" + uuid.uuid4().hex[:8]
    amqp = launcher.create_vhost(amqp_base_uri, vhost)
    with tempfile.TemporaryDirectory(prefix="dudao-e2e-") as tmp:
        running = Stack(mongo_uri, amqp, "e" + uuid.uuid4().hex[:9], Path(tmp),
                        extra_env={"DUDAO_CAMPAIGN_START": LOADED_ON})
        try:
            running.start_all(DUDAO_CLOCK_OFFSET=f"-{demo.HISTORY_DAYS}d")
            yield running
        finally:
            running.stop_all()
            launcher.delete_vhost(amqp_base_uri, vhost)


@pytest.fixture(scope="module")
def loaded(stack):
    summary = demo.load(stack.base_url, stack.token("office", "demo office"), seed=7,
                        days_ago=demo.HISTORY_DAYS)
    assert summary["loaded"] is True
    # then on to today, as `make run` does (assembly/devstack.py, _run_on_to_today)
    stack.stop_all()
    stack.start_all(DUDAO_SCHEDULER_SECONDS="0.5")
    print(f"\ndemo loaded in {summary['seconds']}s")
    for key, (n, secs) in summary["timings"]:
        print(f"  {key:50s} {n:5d} {secs:7.1f}s {secs / n * 1000:6.0f}ms")
    return summary


@pytest.fixture(scope="module")
def office(stack):
    return stack.as_role("office")


@pytest.fixture(scope="module")
def units(loaded, office) -> dict:
    response = office.get("/units")
    assert response.status_code == 200, response.text
    return {c["name"]: c for c in response.json()}


def share(stored: dict) -> Fraction:
    return Fraction(stored["numerator"], stored["denominator"])


def test_thirty_units_in_three_batches_and_every_phase(units, office):
    assert len(units) == len(county.UNITS) == 30
    assert {c["batch"] for c in units.values()} == {1, 2, 3}
    assert {c["phase"] for c in units.values()} == PHASES
    for spec in county.UNITS:
        card = units[spec.name]
        assert (card["batch"], card["phase"]) == (spec.batch, PHASE_OF_TARGET[spec.target]), spec
    overview = office.get("/overview").json()
    assert overview["total"] == 30 and set(overview["by_phase"]) == PHASES
    # B's own unit with its sections
    assert units["县委办公室"]["sections"][:3] == ["领导班子", "秘书科", "综合科"]


def test_three_groups_led_by_section_level_cadres_about_ten_units_each(units, office):
    groups = office.get("/groups").json()
    assert len(groups) == 3
    for group in groups:
        portfolio = office.get(f"/groups/{group['group_id']}").json()
        leaders = [p for p in portfolio["people"].values() if p["is_leader"]]
        assert len(leaders) == 1 and leaders[0]["rank"] in ("section", "deputy_section")
    assigned = [c["group_id"] for c in units.values()]
    assert all(assigned) and sorted(assigned.count(g["group_id"]) for g in groups) == [10, 10, 10]


def test_several_hundred_members_with_sections_study_groups_and_retired_cadres(units, office):
    total = 0
    for name, card in units.items():
        listing = office.get(f"/units/{card['unit_id']}/members").json()
        members = listing["members"]
        total += len(members)
        assert any(m["is_leader"] for m in members), name
        assert any(m["is_retired"] for m in members), name
        assert listing["retired_without_group"] == [], name
        assert {g["section"] for g in listing["study_groups"]} == set(card["sections"]), name
        assert "sections_without_study_group" not in card["flags"], name
    assert 300 <= total <= 600, total


def test_the_late_arrival_is_reported(units, office):
    console = office.get("/console").json()
    late = {a["unit_id"] for a in console["late_arrivals"]}
    assert late == {units["县公安局"]["unit_id"]}
    arrived = [u for g in console["groups"] for u in g["units"] if u["arrived_on"]]
    assert [u["unit_id"] for u in arrived if u["late"]] == [units["县公安局"]["unit_id"]]
    # every unit past registration, and those with a meeting scheduled, saw its group arrive,
    # but for the one whose group never came
    assert len(arrived) == sum(1 for s in county.UNITS if s.target not in ("registered", "group_absent"))


def test_bs_plan_is_returned_for_its_missing_acceptance_system(units, office):
    card = units["县委办公室"]
    assert "work_plan_missing_guarantee_systems" in card["flags"]
    assert card["work_plan"]["missing"]["guarantee_systems"] == ["acceptance"]
    unit_id = card["unit_id"]
    checklist = office.get(f"/units/{unit_id}/work-plan/checklist").json()
    assert checklist["missing"] == ["guarantee_systems:acceptance"]
    assert "成果验收制度" in checklist["missing_labels"][0]
    history = office.get(f"/units/{unit_id}/supervision").json()
    reviews = [e["payload"] for e in history["entries"] if e["type"] == "WorkPlanReviewed"]
    assert [r["decision"] for r in reviews] == ["return"] and "成果验收制度" in reviews[0]["comments"]
    # every other plan reviewed so far was approved, complete
    for name in ("县委组织部", "县公安局", "县水利局"):
        assert "work_plan_missing_guarantee_systems" not in units[name]["flags"], name


def test_members_below_the_floor_and_units_that_reached_it(units, office):
    for name in ("县委办公室", "县公安局", "县人民法院"):
        sheet = office.get(f"/units/{units[name]['unit_id']}/study").json()
        assert sheet["below_floor_count"] > 0 and sheet["ready"] is False, name
        assert sheet["members"][0]["below_floor"] is True  # members below the floor first
    for name in ("县水利局", "县教育局", "县委组织部"):
        sheet = office.get(f"/units/{units[name]['unit_id']}/study").json()
        assert sheet["ready"] is True and sheet["below_floor_count"] == 0, name
        assert sheet["exempted_count"] == 1, name  # one retired cadre, exempted on record
    table = office.get("/study/county").json()["units"]
    assert sum(1 for row in table if row["below_floor_count"]) >= 3
    # the unit that applied to leave 学习动员 waits for its group's review
    assert units["县水利局"]["open_application"] is not None


def test_three_survey_outcomes_with_exact_shares(units, office):
    table = {row["name"]: row for row in office.get("/evaluation/county").json()}
    clear, exact, failed = table["县委组织部"], table["县委宣传部"], table["县纪委"]
    assert clear["status"] == "passed"
    assert share(clear["share_leadership"]) == Fraction(27, 30)
    assert share(clear["share_campaign"]) == Fraction(25, 30)
    assert clear["acceptance"]["result"] == "pass"
    assert exact["status"] == "passed"
    assert share(exact["share_leadership"]) == share(exact["share_campaign"]) == Fraction(2, 3)
    assert failed["status"] == "failed" and failed["failed_surveys"] == 1
    assert share(failed["share_campaign"]) == Fraction(19, 30) < Fraction(2, 3)
    assert share(failed["share_leadership"]) == Fraction(21, 30)
    # the public result carries confidence intervals; the failed unit is in 补课 because of it
    result = office.get(f"/surveys/{failed['latest_survey_id']}").json()
    campaign = result["result"]["campaign"]
    assert campaign["passed"] is False and campaign["ci"]["low"] < 19 / 30 < campaign["ci"]["high"]
    card = office.get(f"/units/{units['县纪委']['unit_id']}").json()
    assert card["phase"] == "remedial" and "补课" in card["history"][-1]["reason"]
    assert card["rectification"]["open"], "补课 starts with a measure"
    assert {name for name, row in table.items() if row["status"] != "no_survey"} \
        == {"县委组织部", "县委宣传部", "县纪委"}


def test_urgent_reports_reach_the_office(units, office):
    console = office.get("/console").json()
    urgent = {r["unit_id"] for r in console["urgent_reports"]}
    assert {units["县纪委"]["unit_id"], units["县公安局"]["unit_id"]} <= urgent


def test_the_campaign_runs_on_the_calendar_make_run_sets(units, office):
    """Batch 1 started the day the county was loaded as of: its meetings and sessions sit in
    its calendar; batches 2 and 3 wait for theirs."""
    for spec in county.UNITS:
        card = units[spec.name]
        if card["deadline"]:
            assert card["deadline"] >= LOADED_ON, (spec.name, card["deadline"])
    table = office.get("/study/county").json()["units"]
    batch_one = [row for row in table if row["batch"] == 1]
    assert len(batch_one) == 12
    assert all(row["conflict_codes"] == [] for row in batch_one), batch_one
    sheet = office.get(f"/units/{units['县委组织部']['unit_id']}/study").json()
    assert sheet["calendar"]["centralised_start"] == LOADED_ON
    assert {s["date"] for s in sheet["sessions"]} == {LOADED_ON}
    assert units["县委统战部"]["deadlines"]["mobilization"] > LOADED_ON


def overdue_in_the_county(office) -> dict:
    found: dict = {}
    for obligation in office.get("/obligations", params={"status": "overdue"}).json():
        found.setdefault(obligation["type"], set()).update({obligation["unit_id"], obligation["group_id"]})
    return found


def test_what_fell_due_in_the_weeks_since_is_overdue_and_urged(units, office):
    """Issue 15's demo: overdue arrivals and plans, a passed phase deadline, an overdue
    measure, and an answered and an unanswered directive (the latter overdue itself)."""
    ids = {name: card["unit_id"] for name, card in units.items()}
    expected = {"arrival", "contact_details", "work_plan", "phase_deadline", "study_floor", "measure",
                "directive"}
    wait_until(lambda: expected <= set(overdue_in_the_county(office)), 60,
               message="the scheduler to record what fell due")
    found = overdue_in_the_county(office)
    assert ids["县农业局"] in found["arrival"] & found["work_plan"]  # its group never came
    assert ids["县公安局"] in found["phase_deadline"]  # still in 学习动员 after batch 1's deadline
    assert {ids["县发改局"], ids["县财政局"]} <= found["measure"]  # due three weeks in, still open
    assert units["县农业局"]["group_id"] in found["directive"]  # to its group, never answered
    mine = office.get("/obligations", params={"unit_id": ids["县发改局"], "type": "directive"}).json()
    assert [o["status"] for o in mine] == ["met_on_time"]  # answered the day it came
    late = office.get("/obligations", params={"unit_id": ids["县公安局"], "type": "arrival"}).json()
    assert [o["status"] for o in late] == ["met_late"]
    # R7, followed from the study log: met where study recorded every member at the floor
    for name, status in (("县水利局", "met_on_time"), ("县公安局", "overdue")):
        floor = office.get("/obligations", params={"unit_id": ids[name], "type": "study_floor"}).json()
        assert [o["status"] for o in floor] == [status], name
    # every other arrived group reported its contact details the day it came (R16)
    contacts = office.get("/obligations", params={"status": "overdue", "type": "contact_details"}).json()
    assert [o["unit_id"] for o in contacts] == [ids["县公安局"]]
    # the unit's card learns of it from supervision's events: a hop later than the list above
    card = wait_until(lambda: (c := office.get(f"/units/{ids['县农业局']}").json())
                      and {"arrival", "work_plan"} <= set(c["overdue"]["types"]) and c, 30,
                      message="the units service to hear what fell overdue") or {}
    assert {"arrival", "work_plan"} <= set(card["overdue"]["types"]) and "overdue" in card["flags"]
    console = office.get("/console").json()
    assert {o["obligation_id"] for o in console["overdue"]} >= {f"{ids['县农业局']}:arrival"}
    assert all(o["days_overdue"] > 0 for o in console["overdue"])


def test_loading_again_adds_nothing(stack, units, office):
    def logged():
        return {s: stack.db(s)["events"].count_documents({}) for s in SERVICES}
    wait_until(lambda: (lambda a: a == logged())(logged()), message="the logs to settle")
    before = logged()
    again = demo.load(stack.base_url, stack.token("office", "demo office"), seed=7)
    assert again == {"loaded": False, "existing_units": 30}
    assert logged() == before
    assert len(office.get("/units").json()) == 30


def settled(stack) -> bool:
    """Every consumer has applied every source's whole log (nothing in flight)."""
    heads = {s: stack.db(s)["meta"].find_one({"_id": "log_head"}) for s in SERVICES}
    for service in SERVICES:
        for cp in stack.db(service)["inbox_checkpoints"].find():
            head = heads.get(cp["_id"])
            if head is not None and cp["position"] != head["position"]:
                return False
    return True


@pytest.mark.parametrize("service", SERVICES)
def test_rebuilding_each_service_from_its_log_matches_the_live_projections(stack, units, service):
    """Issue 7: after a whole demo campaign, replaying the logs gives exactly the live read models."""
    import json
    import subprocess
    import sys
    wait_until(lambda: settled(stack), timeout=60, message="consumers to catch up")
    done = subprocess.run([sys.executable, "-m", "assembly.cli", "audit", "rebuild", service, "--json",
                           "--quiet"], env=stack.env, capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    differing = {c: r for c, r in report["collections"].items() if not r["identical"]}
    assert report["events"] > 0 and not report["errors"]
    assert differing == {}, differing
    assert done.returncode == 0
