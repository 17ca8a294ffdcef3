"""R7 as a recorded fact: the attendance or exemption that brings the unit's last member to
the 40-学时 floor (or exempts the last one short) records StudyFloorReached in the same
append, once; a revoked exemption, or members enrolled since and noticed at the next
attendance or exemption, records StudyFloorLapsed."""
from __future__ import annotations

from services.study.domain import GrantExemption, RevokeExemption, StudyState, roster_from

from .helpers import OFFICE, UNIT, attend_cmd, enrolled, run, session_cmd, standard_roster, standard_units_log

EVERYONE_BUT_THE_RETIRED = ["m1", "m2", "m3"]


def ten_sessions(attendees, state=None, roster=None):
    """Ten half-days of 4 学时 (the 40-学时 floor), each attended by ``attendees``."""
    state = state or StudyState()
    events = []
    for i in range(10):
        new, state = run(state, session_cmd(f"s{i}", date=f"2024-02-{16 + i}", roster=roster))
        events += new
        new, state = run(state, attend_cmd(f"s{i}", attendees, roster=roster))
        events += new
    return events, state


def types(events) -> list[str]:
    return [e.type for e in events]


def exempt(member_id, today="2024-02-27", roster=None):
    return GrantExemption(unit_id=UNIT, member_id=member_id, reason="年老体弱，长期卧病", actor=OFFICE,
                          roster=roster or standard_roster(), today=today)


def revoke(member_id, today="2024-03-02", roster=None):
    return RevokeExemption(unit_id=UNIT, member_id=member_id, reason="身体康复，补学", actor=OFFICE,
                           today=today, roster=roster or standard_roster())


def test_the_attendance_that_brings_the_last_member_to_the_floor_records_it_once():
    events, state = ten_sessions(["m1", "m2", "m3", "m4"])
    assert types(events).count("StudyFloorReached") == 1
    assert types(events)[-2:] == ["StudyAttendanceRecorded", "StudyFloorReached"]
    reached = events[-1]
    assert (reached.reached_on, reached.member_count, reached.exempted_count) == ("2024-02-25", 4, 0)
    assert state.floor_reached_on == "2024-02-25"
    _, state = run(state, session_cmd("s-extra", date="2024-02-27"))
    more, _ = run(state, attend_cmd("s-extra", ["m1"]))
    assert types(more) == ["StudyAttendanceRecorded"]  # met already: not recorded again


def test_members_short_of_the_floor_record_nothing():
    events, state = ten_sessions(EVERYONE_BUT_THE_RETIRED)
    assert "StudyFloorReached" not in types(events) and state.floor_reached_on is None


def test_exempting_the_last_member_short_reaches_it_on_the_day_of_the_exemption():
    _, state = ten_sessions(EVERYONE_BUT_THE_RETIRED)
    events, state = run(state, exempt("m4"))
    assert types(events) == ["StudyExemptionGranted", "StudyFloorReached"]
    assert (events[-1].reached_on, events[-1].exempted_count) == ("2024-02-27", 1)


def test_revoking_that_exemption_lapses_it():
    _, state = ten_sessions(EVERYONE_BUT_THE_RETIRED)
    _, state = run(state, exempt("m4"))
    events, state = run(state, revoke("m4"))
    assert types(events) == ["StudyExemptionRevoked", "StudyFloorLapsed"]
    assert (events[-1].lapsed_on, events[-1].members_below) == ("2024-03-02", ["m4"])
    assert state.floor_reached_on is None


def test_a_member_enrolled_since_is_noticed_at_the_next_attendance():
    _, state = ten_sessions(["m1", "m2", "m3", "m4"])
    grown = roster_from([*standard_units_log(), enrolled("m5", "孙新", section="综合科")], UNIT)
    events, state = run(state, session_cmd("s-new", date="2024-03-01", roster=grown))
    assert types(events) == ["StudySessionRecorded"]  # a session alone changes nobody's hours
    events, state = run(state, attend_cmd("s-new", ["m5"], roster=grown))
    assert types(events) == ["StudyAttendanceRecorded", "StudyFloorLapsed"]
    assert events[-1].members_below == ["m5"]
