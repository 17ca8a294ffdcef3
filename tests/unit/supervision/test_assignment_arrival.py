"""R1 soft limit, R2 arrival deadline, R3 the three tasks."""
import pytest

from services.supervision.domain import (
    ArrivalTaskCompleted,
    AssignUnit,
    CompleteArrivalTask,
    GroupArrived,
    ReadSpeechDraft,
    RecordArrival,
    SpeechDraftRead,
    SupervisionConfig,
    UnitAssigned,
    arrival_deadline,
    decide,
    fold_unit,
)
from services.supervision.domain.unit_state import EMPTY_UNIT
from shared.domain import Conflict, Forbidden, NotFound, Rejected
from tests.unit.supervision.helpers import (
    FULL_PLAN,
    G1,
    G2,
    OFFICE,
    SUP1,
    SUP2,
    UNIT,
    UNIT_ACTOR,
    arrived,
    arrived_unit,
    assigned,
    assigned_unit,
)


def refused(state, command, error, config=None):
    with pytest.raises(error) as caught:
        decide(state, command, config) if config else decide(state, command)
    return caught.value


# ------------------------------------------------------------------ assignment
def assign(**kw):
    args = dict(group_id=G1, unit_id=UNIT, today="2005-01-25", actor=OFFICE, group_exists=True,
                group_unit_count=3, unit_registered=True, meeting_date="2005-02-18")
    args.update(kw)
    return AssignUnit(**args)


def test_office_assigns_a_unit_within_the_soft_limit():
    [event] = decide(EMPTY_UNIT, assign())
    assert isinstance(event, UnitAssigned)
    assert (event.unit_count, event.over_soft_limit, event.soft_limit) == (4, False, 10)
    assert event.arrival_deadline == "2005-02-16"
    assert fold_unit([event]).group_id == G1


def test_the_tenth_unit_is_still_within_about_ten():
    [event] = decide(EMPTY_UNIT, assign(group_unit_count=9))
    assert (event.unit_count, event.over_soft_limit) == (10, False)


def test_beyond_the_soft_limit_the_assignment_stands_with_a_warning():
    [event] = decide(EMPTY_UNIT, assign(group_unit_count=10))
    assert (event.unit_count, event.over_soft_limit) == (11, True)


def test_the_soft_limit_is_configurable():
    config = SupervisionConfig(soft_unit_limit=3)
    [event] = decide(EMPTY_UNIT, assign(group_unit_count=3), config)
    assert event.over_soft_limit is True and event.soft_limit == 3


def test_a_unit_without_a_scheduled_meeting_has_no_deadline_yet():
    [event] = decide(EMPTY_UNIT, assign(meeting_date=None))
    assert event.arrival_deadline is None


def test_assigning_a_unit_of_another_group_conflicts():
    error = refused(unit_of(G2), assign(), Conflict)
    assert error.details["assigned_group"] == G2


def unit_of(group_id):
    return fold_unit([assigned(group_id=group_id)])


def test_assigning_the_same_unit_to_the_same_group_twice_conflicts():
    refused(assigned_unit(), assign(), Conflict)


def test_only_the_office_assigns():
    refused(EMPTY_UNIT, assign(actor=SUP1), Forbidden)


def test_unknown_group_or_unit_is_not_found():
    refused(EMPTY_UNIT, assign(group_exists=False), NotFound)
    refused(EMPTY_UNIT, assign(unit_registered=False), NotFound)


# -------------------------------------------------------------------- arrival
def arrive(**kw):
    args = dict(group_id=G1, unit_id=UNIT, date="2005-02-16", actor=SUP1,
                meeting_date="2005-02-18", today="2005-02-20")
    args.update(kw)
    return RecordArrival(**args)


def test_deadline_is_two_days_before_the_mobilisation_meeting():
    assert arrival_deadline("2005-02-18", SupervisionConfig()) == "2005-02-16"
    assert arrival_deadline("2005-03-01", SupervisionConfig()) == "2005-02-27"
    assert arrival_deadline("2005-02-18", SupervisionConfig(arrival_lead_days=3)) == "2005-02-15"


def test_arriving_on_the_deadline_is_on_time_and_opens_three_tasks():
    [event] = decide(assigned_unit(), arrive())
    assert isinstance(event, GroupArrived)
    assert (event.deadline, event.late) == ("2005-02-16", False)
    assert event.tasks == ["review_work_plan", "supervise_mobilization_meeting",
                           "prepare_leader_speech"]
    state = fold_unit([assigned(), event])
    assert {t: v["status"] for t, v in state.tasks.items()} == dict.fromkeys(event.tasks, "open")


def test_arriving_one_day_after_the_deadline_is_late():
    [event] = decide(assigned_unit(), arrive(date="2005-02-17"))
    assert event.late is True and event.deadline == "2005-02-16"


def test_the_deadline_follows_the_meeting_when_it_moves():
    # the meeting moved from 18 Feb to 25 Feb: arriving on the 20th is now on time
    [event] = decide(assigned_unit(), arrive(date="2005-02-20", meeting_date="2005-02-25"))
    assert (event.deadline, event.late) == ("2005-02-23", False)


def test_arrival_before_any_meeting_is_scheduled_is_not_late():
    [event] = decide(assigned_unit(), arrive(meeting_date=None))
    assert (event.deadline, event.late) == (None, False)


def test_arrival_at_a_unit_of_another_group_is_forbidden():
    refused(unit_of(G2), arrive(), Forbidden)
    refused(assigned_unit(), arrive(actor=SUP2, group_id=G2), Forbidden)


def test_arrival_at_an_unassigned_unit_is_forbidden():
    refused(EMPTY_UNIT, arrive(), Forbidden)


def test_arrival_naming_another_group_is_forbidden():
    refused(assigned_unit(), arrive(group_id=G2), Forbidden)


def test_only_supervisors_arrive():
    refused(assigned_unit(), arrive(actor=OFFICE), Forbidden)
    refused(assigned_unit(), arrive(actor=UNIT_ACTOR), Forbidden)


def test_arriving_twice_conflicts():
    refused(arrived_unit(), arrive(), Conflict)


def test_arrival_with_a_bad_date_is_refused():
    refused(assigned_unit(), arrive(date="yesterday"), Rejected)


def test_an_arrival_dated_before_the_assignment_is_refused():
    # issue 15: "an arrival dated a year before the assignment is 'on time'"
    for date in ("2004-01-25", "2005-01-24"):
        error = refused(assigned_unit(), arrive(date=date), Conflict)
        assert error.details["missing"] == ["arrival_on_or_after_assignment"]
        assert error.details["assigned_on"] == "2005-01-25"
    [event] = decide(assigned_unit(), arrive(date="2005-01-25"))  # the day of the assignment
    assert event.late is False


def test_an_arrival_dated_after_today_is_refused():
    error = refused(assigned_unit(), arrive(date="2005-02-16", today="2005-02-15"), Conflict)
    assert error.details["missing"] == ["arrival_not_after_today"]
    [event] = decide(assigned_unit(), arrive(date="2005-02-15", today="2005-02-15"))
    assert event.date == "2005-02-15"


def test_the_office_may_record_an_assignment_made_earlier_but_not_a_future_one():
    [event] = decide(EMPTY_UNIT, assign(date="2005-01-22", group_formed_on="2005-01-20"))
    assert event.assigned_on == "2005-01-22"
    assert fold_unit([event]).assigned_on == "2005-01-22"
    error = refused(EMPTY_UNIT, assign(date="2005-01-26"), Conflict)
    assert error.details["missing"] == ["assignment_not_after_today"]
    error = refused(EMPTY_UNIT, assign(date="2005-01-19", group_formed_on="2005-01-20"), Conflict)
    assert error.details["missing"] == ["assignment_on_or_after_group_formation"]
    [event] = decide(EMPTY_UNIT, assign())
    assert event.assigned_on == "2005-01-25"  # today, unless the office says otherwise


# ------------------------------------------------------------------ the tasks
def read(**kw):
    args = dict(unit_id=UNIT, date="2005-02-16", comments="讲话稿较好", actor=SUP1,
                speech_draft=FULL_PLAN["speech_draft"])
    args.update(kw)
    return ReadSpeechDraft(**args)


def task(**kw):
    args = dict(unit_id=UNIT, task="supervise_mobilization_meeting", date="2005-02-18",
                note="", actor=SUP1, meeting_held=True)
    args.update(kw)
    return CompleteArrivalTask(**args)


READ = SpeechDraftRead(group_id=G1, unit_id=UNIT, date="2005-02-16", comments="")


def test_group_reads_the_secretarys_speech_draft():
    [event] = decide(arrived_unit(), read())
    assert isinstance(event, SpeechDraftRead) and event.comments == "讲话稿较好"


def test_reading_a_draft_never_submitted_is_refused():
    refused(arrived_unit(), read(speech_draft=None), Rejected)


def test_reading_before_arrival_is_refused():
    error = refused(assigned_unit(), read(), Conflict)
    assert error.details["missing"] == ["group_arrival"]


def test_supervising_the_meeting_is_done_after_reading_the_draft_and_the_meeting():
    [event] = decide(arrived_unit(READ), task())
    assert isinstance(event, ArrivalTaskCompleted)
    state = fold_unit([assigned(), arrived(), READ, event])
    assert state.tasks["supervise_mobilization_meeting"] == {"status": "done",
                                                            "done_on": "2005-02-18"}


def test_supervising_the_meeting_without_reading_the_draft_is_refused():
    error = refused(arrived_unit(), task(), Rejected)
    assert error.details["missing"] == ["speech_draft_read"]


def test_supervising_a_meeting_not_yet_held_is_refused():
    error = refused(arrived_unit(READ), task(meeting_held=False), Rejected)
    assert error.details["missing"] == ["meeting_held"]


def test_preparing_the_leaders_speech_needs_the_speech():
    [event] = decide(arrived_unit(), task(task="prepare_leader_speech", note="讲话要点：……"))
    assert event.note == "讲话要点：……"
    refused(arrived_unit(), task(task="prepare_leader_speech", note=""), Rejected)


def test_work_plan_task_is_done_only_by_approving_the_plan():
    refused(arrived_unit(), task(task="review_work_plan"), Rejected)


def test_task_done_twice_conflicts_and_unknown_task_is_refused():
    done = ArrivalTaskCompleted(group_id=G1, unit_id=UNIT, task="prepare_leader_speech",
                                date="2005-02-17", note="要点")
    refused(arrived_unit(done), task(task="prepare_leader_speech", note="x"), Conflict)
    refused(arrived_unit(), task(task="dance"), Rejected)


def test_tasks_need_arrival_and_the_right_group():
    refused(assigned_unit(), task(), Conflict)
    refused(arrived_unit(READ), task(actor=SUP2), Forbidden)
    refused(arrived_unit(), read(actor=SUP2), Forbidden)
