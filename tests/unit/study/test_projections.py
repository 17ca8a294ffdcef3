from services.study.domain import (
    GrantExemption,
    RevokeExemption,
    StudyConfig,
    UnitRoster,
    compliance_sheet,
    county_table,
    readiness,
)
from services.study.projections import PROJECTIONS, county_view, member_view, sheet_view
from shared.projection import MemoryProjectionRunner

from .helpers import (
    OFFICE,
    UNIT,
    enrolled,
    foreign,
    run,
    standard_roster,
    standard_units_log,
    study_envelopes,
    with_sessions,
)


def project(units_log, study_events):
    runner = MemoryProjectionRunner(PROJECTIONS)
    runner.fold(units_log, source="units")
    runner.fold(study_envelopes(study_events), source="study")
    return runner.collections


def members_of(cols, config=StudyConfig()):
    """What GET /members/{member}/study answers, for every member."""
    return {key: member_view(doc, config) for key, doc in cols["study_members"].items()}


def unit_sheet(cols, unit=UNIT, config=StudyConfig()):
    """What GET /units/{unit}/study answers: the unit doc rendered with its sessions."""
    sessions = [s for s in cols["study_sessions"].values() if s["unit_id"] == unit]
    return sheet_view(cols["study_units"][unit], sessions, config)


def scenario():
    state, events = with_sessions(
        ("s1", {"hours": 4, "content_keys": ("hu_jintao_speech", "party_constitution"),
                "study_group_id": "g1", "title": "集中学习一"}, ["m1", "m2", "m4"]),
        ("s2", {"hours": 3.5, "date": "2024-02-17"}, ["m1"]),
        ("s3", {"form": "self_study", "date": "2024-02-01", "hours": 2,
                "content_keys": (), "local_document": {"title": "本办制度", "reference": "办发3号"}},
         ["m3"]))
    new, state = run(state, GrantExemption(unit_id=UNIT, member_id="m4", reason="长期卧病",
                                           actor=OFFICE, roster=standard_roster(),
                                           today="2024-02-20"))
    return state, events + new


def test_roster_projection_gives_back_the_roster_commands_carry():
    cols = project(standard_units_log(), [])
    assert UnitRoster.from_doc(cols["study_rosters"][UNIT]) == standard_roster()


def test_member_record_shows_hours_coverage_floor_and_exemption():
    _, events = scenario()
    members = members_of(project(standard_units_log(), events))
    m1 = members["m1"]
    assert (m1["name"], m1["unit_id"], m1["study_group_ids"]) == ("张主任", UNIT, ["g1"])
    assert m1["centralised_hours"] == 7.5 and m1["self_study_hours"] == 0
    assert m1["below_floor"] is True and m1["short_by"] == 32.5
    assert m1["coverage"]["covered"] == ["hu_jintao_speech", "party_constitution"]
    assert [s["session_id"] for s in m1["sessions"]] == ["s1", "s2"]
    assert members["m3"]["self_study_hours"] == 2 and members["m3"]["centralised_hours"] == 0
    assert members["m3"]["sessions"][0]["local_document_reference"] == "办发3号"
    m4 = members["m4"]
    assert m4["is_retired"] and m4["exempted"] and not m4["below_floor"]
    assert m4["exemption"]["reason"] == "长期卧病"


def test_revoked_exemption_disappears_from_the_member_record():
    state, events = scenario()
    revoked, _ = run(state, RevokeExemption(unit_id=UNIT, member_id="m4", reason="康复",
                                            actor=OFFICE, today="2024-02-21"))
    m4 = members_of(project(standard_units_log(), events + revoked))["m4"]
    assert m4["exemption"] is None and m4["below_floor"] is True


def test_unit_sheet_equals_the_pure_figures_over_the_folded_state():
    state, events = scenario()
    sheet = unit_sheet(project(standard_units_log(), events))
    expected = compliance_sheet(state, standard_roster(), StudyConfig())
    assert sheet == expected
    assert sheet["readiness"] == readiness(state, standard_roster(), StudyConfig())
    assert [m["member_id"] for m in sheet["members"]] == ["m3", "m2", "m1", "m4"]


def test_session_docs_list_attendees():
    _, events = scenario()
    sessions = project(standard_units_log(), events)["study_sessions"]
    assert sessions["s1"]["attendee_ids"] == ["m1", "m2", "m4"]
    assert sessions["s1"]["unit_id"] == UNIT and sessions["s1"]["study_group_id"] == "g1"
    assert sessions["s3"]["mode"] == "self" and sessions["s2"]["hours"] == 3.5


def test_county_rows_for_several_units_sort_by_compliance():
    _, events = scenario()
    log = standard_units_log(meeting_date="2024-02-18")
    other_unit = [dict(env, payload={**env["payload"], "unit_id": "u2"})
                  for env in (log[0], log[1], log[-1])]
    other_unit[0]["payload"]["name"] = "县委组织部"
    other_unit[1]["payload"]["member_id"] = "u2-m1"
    cols = project(standard_units_log() + other_unit, events)
    rows = county_table(county_view(d) for d in cols["study_units"].values())
    assert [(r["unit_id"], r["compliance"]) for r in rows] == [("u2", 0.0), (UNIT, 0.25)]
    assert rows[0]["conflict_codes"] == ["mobilization_after_centralised_start"]
    assert rows[1]["conflict_codes"] == [] and rows[1]["exempted_count"] == 1
    assert members_of(cols)["u2-m1"]["unit_id"] == "u2"


def test_member_enrolled_after_attendance_was_projected_still_gets_a_full_record():
    _, events = scenario()
    runner = MemoryProjectionRunner(PROJECTIONS)
    runner.fold(study_envelopes(events), source="study")
    runner.fold(standard_units_log(), source="units")
    m1 = members_of(runner.collections)["m1"]
    assert m1["name"] == "张主任" and m1["centralised_hours"] == 7.5


def test_views_take_the_configured_floor_from_the_same_documents():
    _, events = scenario()
    cols = project(standard_units_log(), events)
    low = StudyConfig(floor_hours=7)
    assert members_of(cols, low)["m1"]["below_floor"] is False
    assert members_of(cols)["m1"]["below_floor"] is True
    assert unit_sheet(cols, config=low)["floor"] == 7
    assert county_view(cols["study_units"][UNIT], low)["floor"] == 7


def test_late_enrolment_adds_a_member_at_zero_hours():
    cols = project(standard_units_log() + [enrolled("m5", "新党员")], [])
    sheet = unit_sheet(cols)
    assert sheet["member_count"] == 5
    assert {m["member_id"]: m["centralised_hours"] for m in sheet["members"]}["m5"] == 0


def test_member_record_follows_placement_in_a_study_group():
    placed = foreign("MemberPlacedInStudyGroup", {"unit_id": UNIT, "study_group_id": "g2",
                                                  "member_id": "m4"})
    cols = project(standard_units_log() + [placed], [])
    assert members_of(cols)["m4"]["study_group_ids"] == ["g1", "g2"]
    m4_row = [m for m in unit_sheet(cols)["members"] if m["member_id"] == "m4"][0]
    assert m4_row["study_group_ids"] == ["g1", "g2"]


def test_as_of_shows_the_rendered_sheet_and_member_records_not_the_stored_basis():
    from shared.audit import asof

    _, events = scenario()
    pairs = [("units", env) for env in standard_units_log()] + \
            [("study", env) for env in study_envelopes(events)]
    folded = asof.fold(pairs, None, ["study"])
    shown = asof.state(folded, UNIT)["study"]
    cols = folded["runners"]["study"].collections
    [sheet] = shown["study_units"]
    assert sheet == {"_id": UNIT, **unit_sheet(cols)}
    assert [m["member_id"] for m in sheet["members"]] == ["m3", "m2", "m1", "m4"]
    records = {m["_id"]: m for m in shown["study_members"]}
    assert records["m1"]["centralised_hours"] == 7.5 and "basis" not in records["m1"]
    assert len(shown["study_sessions"]) == 3
