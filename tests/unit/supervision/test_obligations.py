"""Obligations (督促检查), pure: derived from the logs (units, supervision, evaluation, study)
by the projection, statuses from the
record only, the scheduler's tick and the office's waiver decided on the unit's
obligations stream."""
import itertools

import pytest

from services.supervision import domain as D
from services.supervision.domain.obligations import days_overdue, fallen_due
from services.supervision.projections.obligations import OBLIGATIONS, obligation_projections
from shared.domain import SYSTEM, Actor, Conflict, Forbidden, NotFound, Rejected
from shared.projection import MemoryProjectionRunner

CONFIG = D.SupervisionConfig()
UNIT, GROUP = "u-000000000001", "g-000000000001"
OFFICE = Actor(id="office-1", name="王主任", role="office")
SUPERVISOR = Actor(id="sup-1", name="李组长", role="supervisor", scope=GROUP)
_positions = itertools.count(1)


def env(source_type: str, payload: dict, day: str = "2024-02-01") -> dict:
    return {"type": source_type, "payload": {"unit_id": UNIT, **payload}, "position": next(_positions),
            "occurred_at": f"{day}T09:00:00.000Z"}


class County:
    """The obligations projection fed from the three logs."""

    def __init__(self):
        self.runner = MemoryProjectionRunner(obligation_projections(CONFIG), check_purity=True)

    def units(self, event_type, day="2024-02-01", **payload):
        self.runner.apply(env(event_type, payload, day), "units")
        return self

    def supervision(self, event_type, day="2024-02-01", **payload):
        self.runner.apply(env(event_type, payload, day), "supervision")
        return self

    def evaluation(self, event_type, day="2024-02-01", **payload):
        self.runner.apply(env(event_type, payload, day), "evaluation")
        return self

    def study(self, event_type, day="2024-02-01", **payload):
        self.runner.apply(env(event_type, payload, day), "study")
        return self

    @property
    def doc(self) -> dict:
        return self.runner.collections[OBLIGATIONS][UNIT]

    def obligation(self, kind: str, subject: str | None = None) -> dict:
        oid = D.obligations.obligation_id(UNIT, kind, subject)
        return next(o for o in self.doc["obligations"] if o["obligation_id"] == oid)

    def status(self, kind: str, subject: str | None = None) -> str:
        return self.obligation(kind, subject)["status"]


def assigned_with_meeting(meeting="2024-02-18") -> County:
    return (County().supervision("UnitAssigned", group_id=GROUP, assigned_on="2024-02-01")
            .units("MobilizationMeetingScheduled", date=meeting))


# ------------------------------------------------------------------- what is derived

def test_the_meeting_makes_the_arrival_and_the_work_plan_due():
    county = assigned_with_meeting()
    arrival, plan = county.obligation("arrival"), county.obligation("work_plan")
    assert (arrival["due"], arrival["owed_by"], arrival["group_id"]) == ("2024-02-16", "group", GROUP)
    assert (plan["due"], plan["owed_by"]) == ("2024-02-17", "unit")
    assert {arrival["status"], plan["status"]} == {"open"}


def test_moving_the_meeting_moves_the_arrival_and_judges_it_again():
    county = assigned_with_meeting("2024-02-18").supervision("GroupArrived", group_id=GROUP, date="2024-02-17")
    assert county.status("arrival") == "met_late"
    county.units("MobilizationMeetingScheduled", date="2024-02-25", previous_date="2024-02-18")
    assert county.obligation("arrival")["due"] == "2024-02-23"
    assert county.status("arrival") == "met_on_time"


def test_arriving_makes_the_contact_details_due_within_the_configured_days():
    county = assigned_with_meeting().supervision("GroupArrived", group_id=GROUP, date="2024-02-15")
    assert county.obligation("contact_details")["due"] == "2024-02-18"
    county.supervision("ReportFiled", kind="progress", date="2024-02-16", group_id=GROUP)
    assert county.status("contact_details") == "open"
    county.supervision("ReportFiled", kind="contact_details", date="2024-02-19", group_id=GROUP)
    assert county.status("contact_details") == "met_late"


def test_the_plan_is_met_by_its_approval_not_its_return():
    county = assigned_with_meeting()
    county.supervision("WorkPlanReviewed", decision="return", date="2024-02-10", group_id=GROUP)
    assert county.status("work_plan") == "open"
    county.supervision("WorkPlanReviewed", decision="approve", date="2024-02-12", group_id=GROUP)
    assert county.status("work_plan") == "met_on_time"


def test_each_phase_deadline_and_the_requirements_in_phase_one():
    county = County().units("PhaseEntered", phase="mobilization", previous_phase="registered",
                            deadline="2024-04-30", entered_on="2024-02-18")
    assert county.obligation("phase_deadline", "mobilization")["due"] == "2024-04-30"
    assert county.obligation("requirements")["due"] == "2024-04-30"
    county.units("DeadlineApplied", phase="mobilization", until="2024-05-15")
    assert county.obligation("phase_deadline", "mobilization")["due"] == "2024-05-15"
    county.units("RequirementsSet", day="2024-03-01", text="五带头", items=[])
    county.units("PhaseEntered", phase="analysis", previous_phase="mobilization",
                 deadline="2024-06-30", entered_on="2024-05-20")
    assert county.status("requirements") == "met_on_time"
    assert county.obligation("phase_deadline", "mobilization")["met_on"] == "2024-05-20"
    assert county.status("phase_deadline", "mobilization") == "met_late"
    assert county.status("phase_deadline", "analysis") == "open"


def test_measures_and_surveys_fall_due_too():
    county = (County().units("RectificationMeasureAdded", measure_id="r-1", due="2024-07-01")
              .evaluation("SurveyOpened", survey_id="s-1", opened_on="2024-08-01"))
    assert county.obligation("measure", "r-1")["due"] == "2024-07-01"
    assert county.obligation("survey_close", "s-1")["due"] == "2024-08-15"
    county.units("RectificationMeasureCompleted", measure_id="r-1", completed_on="2024-06-20")
    county.evaluation("SurveyClosed", survey_id="s-1", closed_on="2024-08-20")
    assert (county.status("measure", "r-1"), county.status("survey_close", "s-1")) == ("met_on_time", "met_late")


def test_a_ledger_measure_is_met_on_its_sign_off_not_on_the_units_report():
    county = County().units("RectificationMeasureAdded", measure_id="u.m-1", due="2024-07-01", problem_id="u.p-1")
    county.units("RectificationMeasureCompleted", measure_id="u.m-1", completed_on="2024-06-20",
                 attachment_ids=["fu-000000000001"], legacy=False)
    assert county.status("measure", "u.m-1") == "open"  # reported done, not yet re-checked
    county.units("MeasureReturned", measure_id="u.m-1", problem_id="u.p-1", comments="材料不足",
                 date="2024-06-22", returns=1)
    assert county.status("measure", "u.m-1") == "open"  # a returned measure is not met
    county.units("RectificationMeasureCompleted", measure_id="u.m-1", completed_on="2024-06-28",
                 attachment_ids=["fu-000000000002"], legacy=False)
    county.units("MeasureSignedOff", measure_id="u.m-1", problem_id="u.p-1", date="2024-07-03")
    assert county.obligation("measure", "u.m-1")["met_on"] == "2024-07-03"
    assert county.status("measure", "u.m-1") == "met_late"  # met on the sign-off date
    county.units("MeasureReopened", measure_id="u.m-1", problem_id="u.p-1", reason="群众再反映", date="2024-07-05")
    assert county.status("measure", "u.m-1") == "open"


def test_an_old_completion_as_upcast_still_meets_its_measure():
    county = County().units("RectificationMeasureAdded", measure_id="r-1", due="2024-07-01")
    county.units("RectificationMeasureCompleted", measure_id="r-1", completed_on="2024-06-20",
                 attachment_ids=[], legacy=True)
    assert county.status("measure", "r-1") == "met_on_time"


def test_an_invalid_survey_was_still_closed_and_its_repeat_owes_its_own_close():
    # under the minimum turnout the survey is invalid (neither passed nor failed), but closed
    county = (County().evaluation("SurveyOpened", survey_id="s-1", opened_on="2024-08-01")
              .evaluation("SurveyClosed", survey_id="s-1", closed_on="2024-08-10", valid=False,
                          passed=False, invalid_reasons=["turnout 1/3"])
              .evaluation("SurveyInvalidated", survey_id="s-1", reasons=["turnout 1/3"])
              .evaluation("SurveyOpened", survey_id="s-2", opened_on="2024-08-12"))
    assert county.status("survey_close", "s-1") == "met_on_time"
    assert county.status("survey_close", "s-2") == "open"


# ------------------------------------------------ the study floor (R7), from the study log

def in_phase_one(deadline="2024-03-20") -> County:
    return County().units("PhaseEntered", phase="mobilization", previous_phase="registered",
                          deadline=deadline, entered_on="2024-02-18")


def floor_reached(county: County, on: str, cause="attendance") -> County:
    return county.study("StudyFloorReached", day=on, reached_on=on, floor="40", member_count=3,
                        exempted=[], cause=cause)


def floor_lapsed(county: County, on: str, cause="member_enrolled") -> County:
    return county.study("StudyFloorLapsed", day=on, lapsed_on=on, floor="40", members_below=["m9"],
                        cause=cause)


def test_the_study_floor_is_due_at_the_end_of_phase_one_and_moves_with_its_extension():
    county = in_phase_one()
    floor = county.obligation("study_floor")
    assert (floor["due"], floor["owed_by"], floor["status"], floor["met_on"]) == (
        "2024-03-20", "unit", "open", None)
    county.units("DeadlineApplied", phase="mobilization", until="2024-04-10")
    assert county.obligation("study_floor")["due"] == "2024-04-10"
    assert "study_floor" not in {o["type"] for o in County().units(
        "MobilizationMeetingScheduled", date="2024-02-18").doc["obligations"]}  # no phase 1 yet


def test_the_study_floor_met_on_time_on_the_day_it_is_reached():
    county = floor_reached(in_phase_one(), "2024-03-20")
    assert county.obligation("study_floor")["met_on"] == "2024-03-20"
    assert county.status("study_floor") == "met_on_time"


def test_the_study_floor_reached_before_phase_one_is_met_on_time_once_phase_one_is_entered():
    county = floor_reached(County(), "2024-02-10", cause="exemption_granted")
    assert county.doc["obligations"] == []
    county.units("PhaseEntered", phase="mobilization", previous_phase="registered", deadline="2024-03-20",
                 entered_on="2024-02-18")
    assert county.status("study_floor") == "met_on_time"


def test_the_study_floor_reached_after_the_deadline_is_met_late():
    county = floor_reached(in_phase_one(), "2024-03-21")
    assert county.status("study_floor") == "met_late"


def test_the_study_floor_unreached_is_overdue_once_the_scheduler_records_it():
    county = in_phase_one()
    assert [o["type"] for o in fallen_due(county.doc["obligations"], "2024-03-21")] == [
        "phase_deadline", "requirements", "study_floor"]
    overdue(county, "study_floor", "2024-03-21")
    assert county.status("study_floor") == "overdue"
    assert days_overdue(county.obligation("study_floor"), "2024-03-25") == 5
    floor_reached(county, "2024-03-26")
    assert county.status("study_floor") == "met_late"


def test_the_study_floor_waived_by_the_office_stays_waived():
    county = in_phase_one()
    county.supervision("ObligationWaived", party=UNIT, obligation_id=f"{UNIT}:study_floor", kind="study_floor",
                       reason="整建制撤并，市委同意", waived_on="2024-03-10", waived_by="office-1")
    assert county.status("study_floor") == "waived"
    floor_reached(county, "2024-03-25")
    assert county.status("study_floor") == "waived"
    assert "study_floor" not in {o["type"] for o in fallen_due(county.doc["obligations"], "2024-04-01")}


def test_a_lapsed_study_floor_is_open_again_until_reached_anew():
    county = floor_reached(in_phase_one(), "2024-03-01")
    floor_lapsed(county, "2024-03-05")
    assert (county.status("study_floor"), county.obligation("study_floor")["met_on"]) == ("open", None)
    assert county.doc["study_floor"] == {"reached_on": None, "lapsed_on": "2024-03-05"}
    floor_reached(county, "2024-03-25")
    assert (county.status("study_floor"), county.obligation("study_floor")["met_on"]) == ("met_late", "2024-03-25")
    # lapsed after its due date, with the overdue recorded before it was met: overdue again
    overdue_before = in_phase_one()
    overdue(overdue_before, "study_floor", "2024-03-21")
    floor_reached(overdue_before, "2024-03-22")
    floor_lapsed(overdue_before, "2024-03-28", cause="exemption_revoked")
    assert overdue_before.status("study_floor") == "overdue"


# ---------------------------------------------------------------- time passing, recorded

def overdue(county: County, kind: str, on: str, subject: str | None = None) -> County:
    o = county.obligation(kind, subject)
    return county.supervision("ObligationBecameOverdue", party=UNIT, obligation_id=o["obligation_id"],
                              kind=kind, due=o["due"], observed_on=on)


def test_a_passed_due_date_is_open_until_the_scheduler_records_it():
    county = assigned_with_meeting()
    assert [o["type"] for o in fallen_due(county.doc["obligations"], "2024-02-17")] == ["arrival"]
    assert county.status("arrival") == "open"
    overdue(county, "arrival", "2024-02-17")
    assert county.status("arrival") == "overdue"
    assert days_overdue(county.obligation("arrival"), "2024-02-20") == 4
    assert fallen_due(county.doc["obligations"], "2024-02-20") == [county.obligation("work_plan")]
    county.supervision("GroupArrived", group_id=GROUP, date="2024-02-18")
    assert county.status("arrival") == "met_late"
    assert days_overdue(county.obligation("arrival"), "2024-02-20") == 0


def test_an_extension_makes_an_overdue_obligation_open_again():
    county = County().units("PhaseEntered", phase="rectification", previous_phase="analysis",
                            deadline="2024-06-30", entered_on="2024-05-01")
    overdue(county, "phase_deadline", "2024-07-01", "rectification")
    assert county.status("phase_deadline", "rectification") == "overdue"
    county.units("DeadlineApplied", phase="rectification", until="2024-07-31")
    assert county.status("phase_deadline", "rectification") == "open"


def test_a_waived_obligation_stays_waived():
    county = assigned_with_meeting()
    oid = county.obligation("arrival")["obligation_id"]
    county.supervision("ObligationWaived", party=UNIT, obligation_id=oid, kind="arrival", reason="组长住院",
                       waived_on="2024-02-15", waived_by="office-1")
    assert county.status("arrival") == "waived"
    assert fallen_due(county.doc["obligations"], "2024-03-01") == [county.obligation("work_plan")]


# ------------------------------------------------------------ the obligations stream

def tick(history, obligations, today="2024-02-20", actor=SYSTEM):
    state = D.fold_obligations(history)
    return D.decide(state, D.RecordOverdue(party=UNIT, today=today, actor=actor,
                                           obligations=tuple(obligations)), CONFIG)


def test_the_scheduler_records_each_passed_due_date_once():
    arrival = {"obligation_id": f"{UNIT}:arrival", "type": "arrival", "due": "2024-02-16"}
    later = {"obligation_id": f"{UNIT}:work_plan", "type": "work_plan", "due": "2024-02-25"}
    [event] = tick([], [arrival, later])
    assert (event.obligation_id, event.due, event.observed_on) == (arrival["obligation_id"], "2024-02-16",
                                                                   "2024-02-20")
    assert tick([event], [arrival, later]) == []  # a second scheduler finds nothing left
    moved = {**arrival, "due": "2024-02-18"}  # the meeting moved: a new due date, passed too
    assert [e.due for e in tick([event], [moved])] == ["2024-02-18"]


def test_only_the_scheduler_records_time_passing():
    with pytest.raises(Forbidden):
        tick([], [], actor=OFFICE)


def waive(obligation, reason="组长住院", actor=OFFICE, history=()):
    state = D.fold_obligations(history)
    return D.decide(state, D.WaiveObligation(party=UNIT, obligation_id=f"{UNIT}:arrival", reason=reason,
                                             today="2024-02-20", actor=actor, obligation=obligation), CONFIG)


OPEN_ARRIVAL = {"obligation_id": f"{UNIT}:arrival", "type": "arrival", "due": "2024-02-16",
                "status": "overdue", "met_on": None}


def test_the_office_waives_with_a_reason():
    [event] = waive(OPEN_ARRIVAL)
    assert (event.reason, event.waived_by, event.kind) == ("组长住院", "office-1", "arrival")


@pytest.mark.parametrize("obligation, kwargs, refusal", [
    (OPEN_ARRIVAL, {"actor": SUPERVISOR}, Forbidden),
    (OPEN_ARRIVAL, {"reason": "  "}, Rejected),
    (None, {}, NotFound),
    ({**OPEN_ARRIVAL, "status": "met_late", "met_on": "2024-02-17"}, {}, Conflict),
])
def test_waiving_refuses(obligation, kwargs, refusal):
    with pytest.raises(refusal):
        waive(obligation, **kwargs)


def test_an_obligation_is_waived_once():
    [event] = waive(OPEN_ARRIVAL)
    with pytest.raises(Conflict, match="already waived"):
        waive(OPEN_ARRIVAL, history=[event])


def test_the_scheduler_records_an_overdue_obligation_settled_once():
    arrival = {"obligation_id": f"{UNIT}:arrival", "type": "arrival", "due": "2024-02-16"}
    [fell] = tick([], [arrival])
    met = {**arrival, "status": "met_late"}
    state = D.fold_obligations([fell])
    [settled] = D.decide(state, D.RecordOverdue(party=UNIT, today="2024-02-21", actor=SYSTEM,
                                                settled=(met,)), CONFIG)
    assert (settled.obligation_id, settled.due, settled.now) == (arrival["obligation_id"], "2024-02-16", "met_late")
    again = D.decide(D.fold_obligations([fell, settled]),
                     D.RecordOverdue(party=UNIT, today="2024-02-22", actor=SYSTEM, settled=(met,)), CONFIG)
    assert again == []
    never = D.decide(D.fold_obligations([]), D.RecordOverdue(party=UNIT, today="2024-02-22", actor=SYSTEM,
                                                             settled=(met,)), CONFIG)
    assert never == []  # nothing recorded overdue: nothing to settle


def test_what_the_scheduler_settles_is_derived_from_the_record():
    county = assigned_with_meeting()
    overdue(county, "arrival", "2024-02-17")
    assert D.obligations.no_longer_overdue(county.doc["obligations"], county.doc) == []
    county.supervision("GroupArrived", group_id=GROUP, date="2024-02-18")
    [settled] = D.obligations.no_longer_overdue(county.doc["obligations"], county.doc)
    assert settled["type"] == "arrival" and settled["status"] == "met_late"
    county.supervision("ObligationNoLongerOverdue", party=UNIT, obligation_id=settled["obligation_id"],
                       kind="arrival", due="2024-02-16", now="met_late", observed_on="2024-02-19")
    assert D.obligations.no_longer_overdue(county.doc["obligations"], county.doc) == []
