import dataclasses
import math

import pytest

from services.study.domain import FORMS, StudyConfig, StudyState, UnitRoster, batch_one_calendar, decide
from shared.domain import Conflict, NotFound, Rejected

from .helpers import run, session_cmd, standard_roster


def refused(cmd, error=Rejected, state=None, config=None):
    args = (config,) if config else ()
    with pytest.raises(error) as err:
        decide(state or StudyState(), cmd, *args)
    return err.value


def test_centralised_session_in_the_window_is_recorded_unflagged():
    [event] = decide(StudyState(), session_cmd(study_group_id="g1", title="学习胡锦涛讲话"))
    assert event.type == "StudySessionRecorded"
    assert (event.form, event.mode, event.hours, event.date) == ("lecture", "centralised", "4",
                                                                 "2024-02-16")
    assert event.content_keys == ["hu_jintao_speech"]
    assert event.study_group_id == "g1" and event.calendar_flags == []


@pytest.mark.parametrize("form", list(FORMS))
def test_every_listed_form_is_accepted(form):
    [event] = decide(StudyState(), session_cmd(form=form))
    assert event.form == form
    assert event.mode == ("self" if form == "self_study" else "centralised")


@pytest.mark.parametrize("hours,text", [(0.5, "0.5"), (8, "8"), ("3.5", "3.5"), (2.0, "2")])
def test_whole_and_half_hours_up_to_the_bound_are_accepted(hours, text):
    [event] = decide(StudyState(), session_cmd(hours=hours))
    assert event.hours == text


@pytest.mark.parametrize("hours", [0, -2, 8.5, 100, 1.25, "abc", math.nan, math.inf, True, None])
def test_negative_zero_absurd_or_odd_lengths_are_refused(hours):
    refused(session_cmd(hours=hours))


def test_per_session_bound_is_configurable():
    refused(session_cmd(hours=5), config=StudyConfig(max_session_hours=4))


def test_unknown_form_is_refused():
    assert refused(session_cmd(form="karaoke")).details["form"] == "karaoke"


def test_content_outside_the_list_without_a_document_reference_is_refused():
    err = refused(session_cmd(content_keys=("some_magazine",)))
    assert err.details["unknown_content"] == ["some_magazine"]
    err = refused(session_cmd(content_keys=(), local_document={"title": "本办制度汇编"}))
    assert err.details["missing"] == ["reference"]
    refused(session_cmd(content_keys=(), local_document={"title": "x", "reference": "  "}))
    refused(session_cmd(content_keys=(), local_document=None))


def test_local_document_with_a_reference_is_accepted():
    doc = {"title": "县委办公室学习制度", "reference": "县办发〔2005〕3号"}
    [event] = decide(StudyState(), session_cmd(content_keys=(), local_document=doc))
    assert event.local_document == doc and event.content_keys == []


def test_session_for_an_unknown_study_group_is_refused():
    assert refused(session_cmd(study_group_id="g9")).details["study_group_id"] == "g9"


def test_bad_date_is_refused():
    refused(session_cmd(date="2024-02-30"))


def test_same_session_id_twice_is_a_conflict():
    _, state = run(StudyState(), session_cmd())
    refused(session_cmd(), Conflict, state=state)


def test_session_for_a_unit_unknown_to_the_service_is_not_found():
    # the roster the entrypoint found belongs to another unit: this one is unknown
    refused(session_cmd(roster=UnitRoster(unit_id="u9")), NotFound)


def test_missing_roster_is_not_found():
    refused(dataclasses.replace(session_cmd(), roster=None), NotFound)


@pytest.mark.parametrize("date", ["2024-02-15", "2024-02-26", "2024-01-20"])
def test_centralised_session_outside_the_window_is_recorded_but_flagged(date):
    [event] = decide(StudyState(), session_cmd(date=date))
    [flag] = event.calendar_flags
    assert flag["code"] == "centralised_outside_window"
    assert flag["window"] == ["2024-02-16", "2024-02-25"]


def test_self_study_before_the_spring_festival_is_not_flagged():
    [event] = decide(StudyState(), session_cmd(form="self_study", date="2024-02-01"))
    assert event.calendar_flags == []


def test_batch_without_a_configured_calendar_gets_no_flags():
    roster = standard_roster(batch=2)
    only_batch_one = StudyConfig(calendars={1: batch_one_calendar()})
    [event] = decide(StudyState(), session_cmd(roster=roster, date="2024-07-01"), only_batch_one)
    assert event.calendar_flags == []


def test_batch_two_default_window_mirrors_the_units_calendar():
    roster = standard_roster(batch=2)
    [early] = decide(StudyState(), session_cmd(roster=roster, date="2024-07-01"))
    [inside] = decide(StudyState(), session_cmd(roster=roster, date="2024-07-15"))
    assert early.calendar_flags[0]["window"] == ["2024-07-15", "2024-07-24"]
    assert inside.calendar_flags == []


def test_calendar_for_another_year_needs_its_spring_festival():
    with pytest.raises(ValueError):
        batch_one_calendar(2030)
    assert batch_one_calendar(2005).spring_festival == "2005-02-09"
    assert batch_one_calendar(2030, "2030-02-03").centralised_end == "2030-02-25"


def test_command_for_another_units_stream_is_refused():
    _, state = run(StudyState(), session_cmd())
    cmd = dataclasses.replace(session_cmd("s2", roster=UnitRoster(unit_id="u2")), unit_id="u2")
    refused(cmd, state=state)
