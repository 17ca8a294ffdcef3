"""Unit cards, member lists and the county overview, folded purely from envelopes."""
import copy
import random

from services.units.domain import UnitState, decide, evolve, unit_stream
from services.units.domain import commands as C
from services.units.projections import CARDS, MEMBERS, PROJECTIONS, county_overview
from shared.domain import Actor
from shared.projection import MemoryProjectionRunner, envelope_for

from .helpers import FULL_PLAN, OFFICE, READY, SYS, UNIT, U

B_PLAN = {**FULL_PLAN, "guarantee_systems": ["leadership_responsibility", "contact_points",
                                             "supervision_inspection", "mass_evaluation"]}


class Log:
    """Runs commands through decide and records the envelopes the store would hold."""

    def __init__(self, state=None):
        self.state, self.envelopes = state, []

    def do(self, command, day="2024-02-10"):
        for event in decide(self.state, command):
            self.state = evolve(self.state, event)
            self.envelopes.append(envelope_for(event, stream_id=unit_stream(command.unit_id),
                                               version=len(self.envelopes) + 1, position=len(self.envelopes) + 1,
                                               occurred_at=f"{day}T09:00:00.000Z"))
        return self


def foreign(type_, payload, day="2024-02-15"):
    return {"type": type_, "payload": payload, "occurred_at": f"{day}T09:00:00.000Z", "stream_id": "x",
            "position": 1}


def runner(units_envelopes, supervision=(), evaluation=()):
    r = MemoryProjectionRunner(PROJECTIONS)
    r.fold(units_envelopes, source="units")
    r.fold(supervision, source="supervision")
    r.fold(evaluation, source="evaluation")
    return r


def registered_log():
    log = Log()
    log.do(C.RegisterUnit(OFFICE, U, "县委办公室", "党支部", 1, ("领导班子", "人事科")))
    for member_id, section, leader, retired in (("L1", "领导班子", True, False), ("H1", "人事科", False, False),
                                                ("R1", None, False, True)):
        log.do(C.EnrolMember(UNIT, U, member_id, member_id, section, leader, retired))
    return log


def test_card_after_registration_and_enrolment():
    card = runner(registered_log().envelopes).collections[CARDS][U]
    assert (card["name"], card["batch"], card["phase"], card["org_type"]) == ("县委办公室", 1, "registered", "党支部")
    assert card["deadlines"]["mobilization"] == "2024-03-20"
    assert card["members"] == {"count": 3, "leaders": 1, "retired": 1}
    assert card["retired_without_group"] == ["R1"]
    assert card["flags"] == ["retired_members_without_group", "sections_without_study_group"]


def test_study_groups_clear_the_retired_flag_and_fill_the_member_list():
    log = registered_log()
    log.do(C.FormStudyGroup(UNIT, U, "g-rs", "人事科", "H1", ("R1",)))
    log.do(C.FormStudyGroup(UNIT, U, "g-ld", "领导班子", "L1"))
    log.do(C.AssignContactPoints(UNIT, U, "L1", ("人事科",)))
    r = runner(log.envelopes)
    assert r.collections[CARDS][U]["flags"] == []
    members = r.collections[MEMBERS]
    assert members["R1"] == {"_id": "R1", "member_id": "R1", "unit_id": U, "name": "R1", "section": None,
                             "study_group_id": "g-rs", "is_leader": False, "is_retired": True,
                             "contact_sections": [], "leads_study_group": False}
    assert members["H1"]["leads_study_group"] is True
    assert members["L1"]["contact_sections"] == ["人事科"]


def test_work_plan_flags_follow_versions_and_reviews():
    log = registered_log()
    log.do(C.SubmitWorkPlan(UNIT, U, B_PLAN))
    card = runner(log.envelopes).collections[CARDS][U]
    assert card["work_plan"]["missing"]["guarantee_systems"] == ["acceptance"]
    assert "work_plan_missing_guarantee_systems" in card["flags"]
    log.do(C.NoteWorkPlanReview(SYS, U, 1, "return", "缺成果验收制度", ("acceptance",), "g1"))
    card = runner(log.envelopes).collections[CARDS][U]
    assert card["work_plan"]["status"] == "returned" and "work_plan_returned" in card["flags"]
    log.do(C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    card = runner(log.envelopes).collections[CARDS][U]
    assert card["work_plan"]["version"] == 2 and card["work_plan"]["status"] == "submitted"
    assert not {"work_plan_returned", "work_plan_missing_guarantee_systems"} & set(card["flags"])


def test_group_assignment_arrival_and_agreement_from_supervision():
    log = registered_log()
    log.do(C.ScheduleMobilizationMeeting(UNIT, U, "2024-02-18", today="2024-02-01"))
    # the meeting is held with the group there and the plan approved (issue 15's gate)
    log.do(C.NoteGroupArrival(SYS, U, "g1", "2024-02-17"))
    log.do(C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    log.do(C.NoteWorkPlanReview(SYS, U, 1, "approve", group_id="g1"))
    log.do(C.HoldMobilizationMeeting(UNIT, U, today="2024-02-18"), day="2024-02-18")
    log.do(C.SetRequirements(UNIT, U, "具体要求", ()))
    log.do(C.ApplyForTransition(UNIT, U, "t1", "总结", READY), day="2024-03-10")
    supervision = [
        foreign("UnitAssigned", {"group_id": "g1", "unit_id": U, "over_soft_limit": False, "unit_count": 3}),
        foreign("GroupArrived", {"group_id": "g1", "unit_id": U, "date": "2024-02-17", "deadline": "2024-02-16",
                                 "late": True}),
        foreign("TransitionAgreed", {"transition_id": "t1", "unit_id": U, "group_id": "g1", "comments": "同意"}),
        foreign("GroupFormed", {"group_id": "g1", "name": "第一督导组", "leader": "x", "members": []}),
    ]
    card = runner(log.envelopes, supervision).collections[CARDS][U]
    assert card["group_id"] == "g1"
    assert card["arrival"] == {"group_id": "g1", "date": "2024-02-17", "deadline": "2024-02-16", "late": True}
    assert "late_arrival" in card["flags"]
    assert card["phase"] == "mobilization" and card["deadline"] == "2024-03-20"
    assert card["mobilization_meeting"] == {"scheduled": "2024-02-18", "held": "2024-02-18"}
    assert card["open_application"]["status"] == "agreed"
    assert card["open_application"]["applied_on"] == "2024-03-10"
    log.do(C.ApplyApprovedTransition(SYS, U, "t1", "mobilization", "analysis", "2024-03-15"), day="2024-03-15")
    card = runner(log.envelopes, supervision).collections[CARDS][U]
    assert card["open_application"] is None
    assert card["last_application"] == {"transition_id": "t1", "outcome": "approved", "comments": ""}
    assert (card["phase"], card["phase_label"], card["deadline"]) == ("analysis", "分析评议", "2024-04-20")
    assert [h["phase"] for h in card["history"]] == ["mobilization", "analysis"]


def test_supervision_event_overtaking_registration_is_kept():
    supervision = [foreign("UnitAssigned", {"group_id": "g9", "unit_id": U, "over_soft_limit": True,
                                            "unit_count": 11})]
    r = MemoryProjectionRunner(PROJECTIONS)
    r.fold(supervision, source="supervision")
    assert r.collections[CARDS][U]["stub"] is True
    assert county_overview(r.collections[CARDS].values())["total"] == 0
    r.fold(registered_log().envelopes, source="units")
    card = r.collections[CARDS][U]
    assert "stub" not in card and (card["group_id"], card["group_over_soft_limit"]) == ("g9", True)
    assert card["name"] == "县委办公室"


def test_replay_in_any_interleaving_of_sources_converges():
    log = registered_log()
    log.do(C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    supervision = [foreign("UnitAssigned", {"group_id": "g1", "unit_id": U, "over_soft_limit": False,
                                            "unit_count": 1}),
                   foreign("GroupArrived", {"group_id": "g1", "unit_id": U, "date": "2024-02-10",
                                            "deadline": "2024-02-16", "late": False})]
    expected = runner(log.envelopes, supervision).collections
    for seed in range(20):
        tagged = [("units", e) for e in log.envelopes] + [("supervision", e) for e in supervision]
        rng = random.Random(seed)
        turns = sorted((source for source, _ in tagged), key=lambda _: rng.random())
        # each source is applied in its own position order; only the interleaving changes
        queues = {"units": iter(log.envelopes), "supervision": iter(supervision)}
        r = MemoryProjectionRunner(PROJECTIONS)
        for source in turns:
            r.apply(next(queues[source]), source=source)
        assert r.collections == expected


def test_foreign_events_for_other_types_are_ignored():
    r = runner(registered_log().envelopes, [foreign("InspectionScored", {"unit_id": U, "points": {}})])
    before = copy.deepcopy(r.collections)
    r.apply(foreign("BallotCast", {"survey_id": "s1"}), source="evaluation")
    assert r.collections == before


def test_county_overview_counts_units_by_batch_and_phase():
    logs = []
    for unit_id, batch in (("a", 1), ("b", 1), ("c", 2)):
        log = Log().do(C.RegisterUnit(OFFICE, unit_id, unit_id, "党委", batch, ("人事科",)))
        logs += log.envelopes
    actor_a = Actor(id="ua", name="a", role="unit", scope="a")
    log_a = Log(UnitState(unit_id="a", name="a", org_type="党委", batch=1, sections=("人事科",)))
    log_a.do(C.ScheduleMobilizationMeeting(actor_a, "a", "2024-02-18", today="2024-02-01"))
    log_a.do(C.NoteGroupArrival(SYS, "a", "g1", "2024-02-15"))
    log_a.do(C.SubmitWorkPlan(actor_a, "a", FULL_PLAN))
    log_a.do(C.NoteWorkPlanReview(SYS, "a", 1, "approve", group_id="g1"))
    log_a.do(C.HoldMobilizationMeeting(actor_a, "a", today="2024-02-18"))
    r = runner(logs + log_a.envelopes)
    overview = county_overview(r.collections[CARDS].values())
    assert overview["total"] == 3
    assert overview["by_batch"] == {"1": {"registered": 1, "mobilization": 1}, "2": {"registered": 1}}
    assert overview["by_phase"] == {"registered": 2, "mobilization": 1}
    assert {f["unit_id"] for f in overview["flagged"]} == {"a", "b", "c"}  # no study groups yet


def test_the_card_carries_what_the_scheduler_recorded_overdue_until_it_is_settled():
    log = registered_log()
    arrival, plan = f"{U}:arrival", f"{U}:work_plan"

    def overdue(obligation_id, kind):
        return foreign("ObligationBecameOverdue", {"party": U, "obligation_id": obligation_id, "kind": kind,
                                                   "due": "2024-02-16", "observed_on": "2024-02-17"})

    fallen = [overdue(arrival, "arrival"), overdue(plan, "work_plan"),
              foreign("ObligationBecameOverdue", {"party": "g-1", "obligation_id": "g-1:directive:d",
                                                  "kind": "directive", "due": "2024-02-16",
                                                  "observed_on": "2024-02-17"})]
    cards = runner(log.envelopes, fallen).collections[CARDS]
    assert set(cards) == {U}  # a group's own directive makes no card
    card = cards[U]
    assert (card["overdue"]["count"], card["overdue"]["types"]) == (2, ["arrival", "work_plan"])
    assert "overdue" in card["flags"]
    settled = [*fallen,
               foreign("ObligationNoLongerOverdue", {"party": U, "obligation_id": arrival, "kind": "arrival",
                                                     "due": "2024-02-16", "now": "met_late",
                                                     "observed_on": "2024-02-18"}),
               foreign("ObligationWaived", {"party": U, "obligation_id": plan, "kind": "work_plan",
                                            "reason": "x", "waived_on": "2024-02-18", "waived_by": "o"})]
    card = runner(log.envelopes, settled).collections[CARDS][U]
    assert card["overdue"] == {"count": 0, "types": [], "obligations": {}}
    assert "overdue" not in card["flags"]
