"""The unit's floor as a recorded fact (R7, issue 15): ``StudyFloorReached`` with the attendance
or exemption that completes it, ``StudyFloorLapsed`` with the enrolment or revocation that
undoes it, each in the same decision (one append), dated by the command, recorded once per
change. Logs without these events still replay."""
import dataclasses

import pytest

from services.study import domain as D
from services.study import handlers as H
from services.study.domain import GrantExemption, NoteMemberEnrolled, RevokeExemption, StudyState, decide, fold
from services.study.service import WIRING
from shared.domain import NotFound, Rejected, events_of

from .helpers import (
    OFFICE,
    UNIT,
    attend_cmd,
    enrolled,
    roster_from,
    run,
    session_cmd,
    standard_roster,
    standard_units_log,
    study_envelopes,
)

WEEK = [f"2024-02-{d}" for d in range(16, 21)]  # five sessions of 8 学时: the 40-学时 floor


def types(events) -> list[str]:
    return [e.type for e in events]


def grant(member_id="m4", today="2024-02-20", roster=None):
    return GrantExemption(unit_id=UNIT, member_id=member_id, reason="年老体弱，长期卧病", actor=OFFICE,
                          roster=roster or standard_roster(), today=today)


def revoke(member_id="m4", today="2024-03-05", roster=None, with_roster=True):
    return RevokeExemption(unit_id=UNIT, member_id=member_id, reason="身体康复，补学", actor=OFFICE,
                           today=today, roster=(roster or standard_roster()) if with_roster else None)


def week_of_lectures(state=StudyState(), roster=None, prefix="s"):
    """Five 8-学时 lectures recorded, nobody's attendance yet."""
    for i, date in enumerate(WEEK):
        _, state = run(state, session_cmd(f"{prefix}{i}", roster=roster, date=date, hours=8, today=date))
    return state


def attended(state, member_ids, roster=None, prefix="s", today="2024-03-01"):
    """``member_ids`` at all five lectures; (every event decided, state)."""
    events = []
    for i in range(len(WEEK)):
        new, state = run(state, attend_cmd(f"{prefix}{i}", member_ids, roster=roster, today=today))
        events += new
    return events, state


def logged(*commands, attendees=()):
    """Every event of ``commands`` then of ``attendees`` at the week's lectures: (events, state)."""
    events, state = [], StudyState()
    for command in commands:
        new, state = run(state, command)
        events += new
    if attendees:
        new, state = attended(state, attendees)
        events += new
    return events, state


LECTURES = tuple(session_cmd(f"s{i}", date=d, hours=8, today=d) for i, d in enumerate(WEEK))


def reached_with_m4_exempted():
    """m1-m3 at the floor, m4 exempted: the floor reached (by the exemption)."""
    _, state = run(week_of_lectures(), grant())
    events, state = attended(state, ["m1", "m2", "m3"])
    assert types(events).count("StudyFloorReached") == 1
    return state


# ---------------------------------------------------------------- reaching it

def test_the_last_attendance_needed_reaches_the_floor_in_the_same_decision():
    _, state = run(week_of_lectures(), grant())
    events, state = attended(state, ["m1", "m2"])
    assert "StudyFloorReached" not in types(events)  # m3 has not studied yet
    for i in range(4):
        new, state = run(state, attend_cmd(f"s{i}", ["m3"], today="2024-03-02"))
        assert types(new) == ["StudyAttendanceRecorded"]  # 32 学时: still short
    last = decide(state, attend_cmd("s4", ["m3"], today="2024-03-03"))
    assert types(last) == ["StudyAttendanceRecorded", "StudyFloorReached"]
    reached = last[1]
    assert (reached.unit_id, reached.reached_on, reached.floor, reached.member_count, reached.exempted,
            reached.cause) == (UNIT, "2024-03-03", "40", 4, ["m4"], "attendance")
    assert fold(last, state).floor_reached_on == "2024-03-03"


def test_an_exemption_that_completes_the_floor_reaches_it():
    events, state = attended(week_of_lectures(), ["m1", "m2", "m3"])
    assert "StudyFloorReached" not in types(events)  # m4 (retired) neither studied nor is exempted
    events = decide(state, grant(today="2024-03-04"))
    assert types(events) == ["StudyExemptionGranted", "StudyFloorReached"]
    assert (events[1].reached_on, events[1].cause, events[1].exempted) == ("2024-03-04", "exemption_granted",
                                                                           ["m4"])


def test_the_floor_is_not_reached_twice():
    state = reached_with_m4_exempted()
    _, state = run(state, session_cmd("extra", date="2024-02-21", hours=4, today="2024-02-21"))
    assert types(decide(state, attend_cmd("extra", ["m1", "m2"]))) == ["StudyAttendanceRecorded"]
    assert types(decide(state, grant("m1"))) == ["StudyExemptionGranted"]


def test_centralised_hours_only_and_self_study_do_not_reach_it():
    state = StudyState()
    for i, date in enumerate(WEEK):
        _, state = run(state, session_cmd(f"self{i}", form="self_study", date=date, hours=8, today=date))
    _, state = run(state, grant())
    events = []
    for i in range(len(WEEK)):
        new, state = run(state, attend_cmd(f"self{i}", ["m1", "m2", "m3"]))
        events += new
    assert "StudyFloorReached" not in types(events) and state.floor_reached_on is None


def test_a_unit_without_members_never_reaches_it():
    roster = roster_from(standard_units_log()[:1], UNIT)  # registered, nobody enrolled
    assert not roster.members
    assert D.floor_change(StudyState(), [], roster, "2024-03-01", "attendance", D.DEFAULT_CONFIG) == []


def test_the_floor_follows_the_configured_number():
    config = D.StudyConfig(floor_hours=8)
    state = week_of_lectures()
    _, state = run(state, grant(), config)
    events, _ = run(state, attend_cmd("s0", ["m1", "m2", "m3"]), config)
    assert types(events) == ["StudyAttendanceRecorded", "StudyFloorReached"] and events[1].floor == "8"


# ---------------------------------------------------------------- lapsing

def test_revoking_an_exemption_from_a_member_short_of_the_floor_lapses_it():
    state = reached_with_m4_exempted()
    events, state = run(state, revoke())
    assert types(events) == ["StudyExemptionRevoked", "StudyFloorLapsed"]
    lapsed = events[1]
    assert (lapsed.lapsed_on, lapsed.members_below, lapsed.cause, lapsed.floor) == (
        "2024-03-05", ["m4"], "exemption_revoked", "40")
    assert state.floor_reached_on is None
    # reached anew once m4 studies the week
    events, state = attended(state, ["m4"], today="2024-03-10")
    assert types(events)[-1] == "StudyFloorReached" and events[-1].reached_on == "2024-03-10"


def test_revoking_the_exemption_of_a_member_at_the_floor_changes_nothing():
    events, state = attended(week_of_lectures(), ["m1", "m2", "m3", "m4"])
    assert types(events)[-1] == "StudyFloorReached"
    _, state = run(state, grant("m1"))
    assert types(decide(state, revoke("m1"))) == ["StudyExemptionRevoked"]


def test_a_revocation_without_the_roster_does_not_judge_the_floor():
    state = reached_with_m4_exempted()
    assert types(decide(state, revoke(with_roster=False))) == ["StudyExemptionRevoked"]


ROSTER_WITH_M5 = roster_from([*standard_units_log(), enrolled("m5", "新同志", section="综合科")], UNIT)


def enrolment(member_id="m5", roster=ROSTER_WITH_M5, today="2024-03-06"):
    return NoteMemberEnrolled(unit_id=UNIT, member_id=member_id, roster=roster, today=today)


def test_a_member_enrolled_after_the_floor_was_reached_lapses_it():
    state = reached_with_m4_exempted()
    [lapsed] = decide(state, enrolment())
    assert (lapsed.type, lapsed.lapsed_on, lapsed.members_below, lapsed.cause) == (
        "StudyFloorLapsed", "2024-03-06", ["m5"], "member_enrolled")
    state = fold([lapsed], state)
    assert decide(state, enrolment()) == []  # lapsed once
    events, _ = attended(state, ["m5"], roster=ROSTER_WITH_M5, today="2024-03-12")
    assert types(events)[-1] == "StudyFloorReached" and events[-1].member_count == 5


def test_an_enrolment_while_the_floor_is_not_reached_records_nothing():
    assert decide(StudyState(), enrolment()) == []
    _, state = attended(week_of_lectures(), ["m1"])
    assert decide(state, enrolment()) == []


@pytest.mark.parametrize("command, refusal", [
    (enrolment(member_id="m9"), Rejected),          # not on the roster the reaction was given
    (enrolment(roster=None), NotFound),
    (enrolment(today="yesterday"), Rejected),
])
def test_an_enrolment_the_roster_does_not_show_is_refused(command, refusal):
    with pytest.raises(refusal):
        decide(reached_with_m4_exempted(), command)


# ---------------------------------------------------------------- the reaction and old logs

class ReactionContext:
    """What ``shared.service_kit.ReactionContext`` offers a reaction: the projections as the
    inbox transaction sees them (the roster with the new member) and ``execute``."""

    def __init__(self, roster, history):
        self.roster, self.history, self.ran_on = roster, history, None

    def get(self, collection, key):
        assert (collection, key) == ("study_rosters", UNIT)
        return self.roster.to_doc()

    def execute(self, stream_id, decide, fold, command):
        self.ran_on = stream_id
        return decide(fold(self.history), command)


def test_the_study_service_reacts_to_an_enrolment_on_the_units_stream_with_its_date():
    assert WIRING.reactions == {"units": {"MemberEnrolled": H.on_member_enrolled}}
    events, _ = logged(grant(), *LECTURES, attendees=["m1", "m2", "m3"])
    ctx = ReactionContext(ROSTER_WITH_M5, study_envelopes(events))
    envelope = {**enrolled("m5", "新同志", section="综合科"), "occurred_at": "2024-03-07T02:00:00.000Z"}
    [lapsed] = H.on_member_enrolled(ctx, envelope)
    assert ctx.ran_on == "study-u1"
    assert (lapsed.type, lapsed.lapsed_on, lapsed.members_below) == ("StudyFloorLapsed", "2024-03-07", ["m5"])


def test_a_log_without_floor_events_replays_and_the_next_record_reaches_it():
    """A log from before these events: every member at the floor, no StudyFloorReached. It
    folds as before; the unit's next attendance or exemption records the floor reached."""
    events, _ = logged(*LECTURES, attendees=["m1", "m2", "m3", "m4"])
    assert types(events)[-1] == "StudyFloorReached"
    old_log = [e for e in events if e.type not in ("StudyFloorReached", "StudyFloorLapsed")]
    state = D.fold_envelopes(study_envelopes(old_log))
    assert state.floor_reached_on is None and D.readiness(state, standard_roster(), D.DEFAULT_CONFIG)["ready"]
    old_doc = {k: v for k, v in state.to_doc().items() if k != "floor_reached_on"}
    assert StudyState.from_doc(old_doc) == state
    events = decide(state, grant("m1", today="2024-04-01"))
    assert types(events) == ["StudyExemptionGranted", "StudyFloorReached"]
    assert events[1].reached_on == "2024-04-01"


def test_floor_events_round_trip_through_the_log():
    state = reached_with_m4_exempted()
    events, _ = run(state, revoke())
    envelopes = study_envelopes(events)
    assert [e.type for e in events_of(envelopes)] == ["StudyExemptionRevoked", "StudyFloorLapsed"]
    assert dataclasses.asdict(events_of(envelopes)[1]) == dataclasses.asdict(events[1])
