import pytest

from services.study.domain import StudyState, decide
from shared.domain import Conflict, NotFound, Rejected

from .helpers import attend_cmd, run, session_cmd


@pytest.fixture
def state():
    _, state = run(StudyState(), session_cmd("s1", content_keys=("party_constitution",),
                                             hours=3.5))
    return state


def test_attendance_including_a_retired_member_is_recorded(state):
    events, state = run(state, attend_cmd("s1", ["m1", "m4"]))
    [event] = events
    assert event.type == "StudyAttendanceRecorded"
    assert event.member_ids == ["m1", "m4"]
    # the session's figures travel with the attendance, so hours fold from events alone
    assert (event.hours, event.mode, event.date) == ("3.5", "centralised", "2024-02-16")
    assert event.content_keys == ["party_constitution"]
    assert state.sessions["s1"].attendees == {"m1", "m4"}


def test_later_attendance_for_other_members_adds_to_the_session(state):
    _, state = run(state, attend_cmd("s1", ["m1"]))
    _, state = run(state, attend_cmd("s1", ["m2"]))
    assert state.sessions["s1"].attendees == {"m1", "m2"}


def test_attendance_for_an_unknown_session_is_not_found(state):
    with pytest.raises(NotFound) as err:
        decide(state, attend_cmd("s9", ["m1"]))
    assert err.value.details["session_id"] == "s9"


def test_attendance_for_a_non_member_is_refused(state):
    with pytest.raises(Rejected) as err:
        decide(state, attend_cmd("s1", ["m1", "outsider"]))
    assert err.value.details["non_members"] == ["outsider"]


def test_duplicate_attendance_record_is_a_conflict(state):
    _, state = run(state, attend_cmd("s1", ["m1", "m2"]))
    with pytest.raises(Conflict) as err:
        decide(state, attend_cmd("s1", ["m2", "m3"]))
    assert err.value.details["duplicates"] == ["m2"]


def test_member_listed_twice_in_one_record_is_refused(state):
    with pytest.raises(Rejected) as err:
        decide(state, attend_cmd("s1", ["m1", "m1"]))
    assert err.value.details["duplicates"] == ["m1"]


@pytest.mark.parametrize("member_ids", [[], [""], [None]])
def test_empty_or_blank_attendance_is_refused(state, member_ids):
    with pytest.raises(Rejected):
        decide(state, attend_cmd("s1", member_ids))


def test_attendance_before_the_session_takes_place_is_refused(state):
    with pytest.raises(Rejected) as err:
        decide(state, attend_cmd("s1", ["m1"], today="2024-02-15"))
    assert err.value.details == {"session_date": "2024-02-16", "today": "2024-02-15"}
    assert decide(state, attend_cmd("s1", ["m1"], today="2024-02-16"))
