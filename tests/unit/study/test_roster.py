from services.study.domain import UnitRoster, evolve_roster, roster_from

from .helpers import UNIT, enrolled, foreign, meeting, registered, standard_units_log


def test_roster_learns_members_groups_batch_and_meeting_from_units_events():
    roster = roster_from(standard_units_log(meeting_date="2024-02-18"), UNIT)
    assert roster.name == "县委办公室" and roster.batch == 1 and roster.org_type == "党支部"
    assert sorted(roster.members) == ["m1", "m2", "m3", "m4"]
    assert roster.members["m4"].is_retired is True
    assert roster.members["m1"].is_leader is True
    assert roster.study_groups["g1"].member_ids == ("m1", "m2", "m4")
    assert roster.groups_of("m1") == ["g1"] and roster.groups_of("m3") == ["g2"]
    assert roster.meeting_date == "2024-02-18"


def test_held_date_wins_over_scheduled_date():
    log = standard_units_log(meeting_date="2024-02-14") + [meeting("Held", "2024-02-15")]
    assert roster_from(log, UNIT).meeting_date == "2024-02-15"


def test_other_units_and_unused_types_are_ignored():
    log = [registered(), enrolled("x1", "外单位", unit_id="u2"),
           foreign("WorkPlanSubmitted", {"unit_id": UNIT, "plan_version": 1, "plan": {}})]
    roster = roster_from(log, UNIT)
    assert roster.members == {}
    assert evolve_roster(roster, log[2]) is roster


def test_roster_survives_its_document_form():
    roster = roster_from(standard_units_log(), UNIT)
    assert UnitRoster.from_doc(roster.to_doc()) == roster


def test_unknown_unit_has_no_roster():
    assert roster_from(standard_units_log(), "nope") is None


def test_member_placed_in_a_study_group_later_joins_it_once():
    placed = foreign("MemberPlacedInStudyGroup", {"unit_id": UNIT, "study_group_id": "g2",
                                                  "member_id": "m4"})
    roster = roster_from(standard_units_log() + [placed, placed], UNIT)
    assert roster.study_groups["g2"].member_ids == ("m3", "m4")
    assert roster.groups_of("m4") == ["g1", "g2"]


def test_the_stored_roster_evolves_as_the_roster_does_a_member_put_in_its_place():
    """``evolve_roster_doc`` (what the projections fold, one member's doc put in place for an
    enrolment) gives the very doc ``evolve_roster`` then ``to_doc`` gives, and never changes
    the doc it is given."""
    import copy

    from services.study.domain import evolve_roster_doc
    log = [*standard_units_log(), enrolled("m0", "先来"), enrolled("m9", "后到"), enrolled("m25", "中间"),
           enrolled("m2", "李科长", section="人事科", is_leader=True),  # m2 again: replaced in place
           foreign("PersonalDataErased", {"unit_id": UNIT, "subject_id": "m3", "reason": "离职"})]
    doc, roster = None, None
    for env in log:
        before = copy.deepcopy(doc)
        new = evolve_roster_doc(doc, env)
        assert doc == before
        roster = evolve_roster(roster, env)
        assert new == roster.to_doc()
        doc = new
    assert [m["member_id"] for m in doc["members"]] == ["m0", "m1", "m2", "m25", "m3", "m4", "m9"]
    assert doc["members"][2] == {"member_id": "m2", "name": "李科长", "section": "人事科",
                                 "is_leader": True, "is_retired": False}
