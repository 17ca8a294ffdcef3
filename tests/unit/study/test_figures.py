from services.study.domain import (
    REQUIRED_CONTENT,
    GrantExemption,
    StudyConfig,
    StudyState,
    calendar_conflicts,
    compliance_sheet,
    county_row,
    county_table,
    readiness,
    roster_from,
)

from .helpers import OFFICE, UNIT, meeting, run, standard_roster, standard_units_log, with_sessions

ALL = ["m1", "m2", "m3", "m4"]


def ten_half_days(attendees=ALL, hours=4):
    """The batch-1 pattern: 10 half-days of 4 学时 from 16 Feb = 40 学时."""
    keys = list(REQUIRED_CONTENT)
    return [(f"s{d}", {"date": f"2024-02-{16 + d:02d}", "hours": hours,
                       "content_keys": (keys[d],)}, attendees) for d in range(10)]


def test_ten_half_days_meet_the_floor_and_cover_the_list():
    state, _ = with_sessions(*ten_half_days())
    answer = readiness(state, standard_roster(), StudyConfig())
    assert answer == {"unit_id": UNIT, "ready": True, "floor": 40, "members_below": [],
                      "exempted": [], "member_count": 4}
    sheet = compliance_sheet(state, standard_roster(), StudyConfig())
    assert all(m["centralised_hours"] == 40 and m["coverage"]["complete"]
               for m in sheet["members"])
    assert sheet["coverage"]["complete"] and sheet["coverage"]["members_complete"] == 4


def test_self_study_is_counted_apart_and_not_towards_the_floor():
    state, _ = with_sessions(
        ("c1", {"hours": 4}, ["m1"]),
        ("h1", {"form": "self_study", "date": "2024-02-01", "hours": 8}, ["m1"]),
        ("h2", {"form": "self_study", "date": "2024-02-02", "hours": 2.5}, ["m1"]))
    [row] = [r for r in compliance_sheet(state, standard_roster(), StudyConfig())["members"]
             if r["member_id"] == "m1"]
    assert row["centralised_hours"] == 4 and row["self_study_hours"] == 10.5
    assert row["short_by"] == 36 and row["below_floor"] is True


def test_readiness_names_members_below_the_floor_furthest_short_first():
    state, _ = with_sessions(*ten_half_days(attendees=["m1", "m2"]),
                             ("x", {"hours": 3.5}, ["m3"]))
    answer = readiness(state, standard_roster(), StudyConfig())
    assert answer["ready"] is False
    assert answer["members_below"] == [
        {"member_id": "m4", "name": "赵老", "hours": 0, "short_by": 40},
        {"member_id": "m3", "name": "王干事", "hours": 3.5, "short_by": 36.5}]


def test_exemption_counts_for_readiness_and_is_named():
    state, _ = with_sessions(*ten_half_days(attendees=["m1", "m2", "m3"]))
    _, state = run(state, GrantExemption(unit_id=UNIT, member_id="m4", reason="长期卧病",
                                         actor=OFFICE, roster=standard_roster(),
                                         today="2024-02-20"))
    answer = readiness(state, standard_roster(), StudyConfig())
    assert answer["ready"] is True and answer["exempted"] == ["m4"]
    [row] = [r for r in compliance_sheet(state, standard_roster(), StudyConfig())["members"]
             if r["member_id"] == "m4"]
    assert row["exempted"] and not row["below_floor"] and row["short_by"] == 40
    assert row["exemption"]["granted_by"]["name"] == OFFICE.name


def test_floor_is_configurable():
    state, _ = with_sessions(("s", {"hours": 8}, ALL), ("t", {"hours": 8, "date": "2024-02-17"}, ALL))
    assert readiness(state, standard_roster(), StudyConfig(floor_hours=16))["ready"] is True
    assert readiness(state, standard_roster(), StudyConfig())["ready"] is False


def test_unit_without_members_is_not_ready():
    roster = roster_from(standard_units_log()[:1], UNIT)
    answer = readiness(StudyState(), roster, StudyConfig())
    assert answer["ready"] is False and answer["member_count"] == 0


def test_bs_meeting_on_18_february_conflicts_with_the_centralised_window():
    roster = standard_roster(meeting_date="2024-02-18")
    [conflict] = calendar_conflicts(StudyState(), roster, StudyConfig())
    assert conflict["code"] == "mobilization_after_centralised_start"
    assert (conflict["meeting_date"], conflict["centralised_start"]) == ("2024-02-18",
                                                                         "2024-02-16")


def test_meeting_on_or_before_the_window_start_is_no_conflict():
    for date in ("2024-02-16", "2024-02-10"):
        assert calendar_conflicts(StudyState(), standard_roster(meeting_date=date),
                                  StudyConfig()) == []


def test_held_date_decides_the_conflict():
    log = standard_units_log(meeting_date="2024-02-14") + [meeting("Held", "2024-02-18")]
    roster = roster_from(log, UNIT)
    assert [c["code"] for c in calendar_conflicts(StudyState(), roster, StudyConfig())] == \
        ["mobilization_after_centralised_start"]


def test_sessions_outside_the_window_appear_among_the_conflicts():
    state, _ = with_sessions(("late", {"date": "2024-02-27"}, ["m1"]))
    [conflict] = calendar_conflicts(state, standard_roster(), StudyConfig())
    assert conflict["code"] == "centralised_outside_window"
    assert conflict["session_id"] == "late" and conflict["date"] == "2024-02-27"


def test_compliance_sheet_puts_members_below_the_floor_first():
    state, _ = with_sessions(*ten_half_days(attendees=["m1", "m3"]), ("x", {"hours": 6}, ["m2"]))
    sheet = compliance_sheet(state, standard_roster(), StudyConfig())
    assert [m["member_id"] for m in sheet["members"]] == ["m4", "m2", "m1", "m3"]  # then by name
    assert sheet["below_floor_count"] == 2 and sheet["compliance"] == 0.5
    assert sheet["readiness"]["members_below"][0]["member_id"] == "m4"


def test_unit_coverage_counts_members_per_required_item():
    state, _ = with_sessions(("a", {"content_keys": ("party_constitution",)}, ["m1", "m2"]),
                             ("b", {"content_keys": ("central_document_20",)}, ["m1"]))
    coverage = compliance_sheet(state, standard_roster(), StudyConfig())["coverage"]
    items = {i["key"]: i["members_covered"] for i in coverage["items"]}
    assert items["party_constitution"] == 2 and items["central_document_20"] == 1
    assert items["hu_jintao_speech"] == 0
    assert coverage["covered"] == ["central_document_20", "party_constitution"]
    assert not coverage["complete"]


def test_county_table_lists_least_compliant_units_first():
    rows = [{"unit_id": "a", "name": "甲", "compliance": 1.0},
            {"unit_id": "b", "name": "乙", "compliance": 0.25},
            {"unit_id": "c", "name": "丙", "compliance": None}]
    assert [r["unit_id"] for r in county_table(rows)] == ["c", "b", "a"]


def test_county_row_summarises_the_unit():
    state, _ = with_sessions(*ten_half_days(attendees=["m1", "m2", "m3"]))
    row = county_row(state, standard_roster(meeting_date="2024-02-18"), StudyConfig())
    assert (row["member_count"], row["below_floor_count"], row["compliance"]) == (4, 1, 0.75)
    assert row["conflict_codes"] == ["mobilization_after_centralised_start"]
    assert row["coverage_complete"] is True and row["ready"] is False
