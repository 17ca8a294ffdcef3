"""Builders shared by the supervision domain tests."""
from __future__ import annotations

import copy

from services.supervision.domain import (
    GroupArrived,
    GroupFormed,
    SupervisedUnitState,
    UnitAssigned,
    fold_group,
    fold_unit,
)
from services.supervision.domain.commands import Readiness, TransitionApplication
from shared.domain import Actor

OFFICE = Actor(id="office-1", name="宋善玺", role="office")
G1 = "g1"
G2 = "g2"
UNIT = "u1"
SUP1 = Actor(id="p-lead", name="组长", role="supervisor", scope=G1)
SUP1_MEMBER = Actor(id="p-m1", name="组员", role="supervisor", scope=G1)
SUP2 = Actor(id="p-other", name="他组", role="supervisor", scope=G2)
UNIT_ACTOR = Actor(id="unit-u1", name="县委办", role="unit", scope=UNIT)

LEADER = {"member_id": "p-lead", "name": "张组长", "rank": "section", "home_unit": "县财政局",
          "post": "副局长"}
MEMBER = {"member_id": "p-m1", "name": "李干事", "rank": "staff", "home_unit": "县教育局",
          "post": "科员"}
MEMBER2 = {"member_id": "p-m2", "name": "王干事", "rank": "staff", "home_unit": "县水利局",
           "post": "科员"}

FULL_PLAN = {
    "leader_measures": ["participate_as_ordinary_member", "lead_study", "give_party_lecture",
                        "find_problems", "lead_criticism", "set_rectification"],
    "problems": [
        {"category": "party_and_government_style", "description": "工作方法简单，联系群众不够",
         "measures": ["领导班子成员联系科室", "征求群众意见"]},
        {"category": "internal_management", "description": "少数党员观念因循守旧",
         "measures": ["设岗创星"]},
    ],
    "guarantee_systems": ["leadership_responsibility", "contact_points", "supervision_inspection",
                          "mass_evaluation", "acceptance"],
    "speech_draft": "同志们：今天，我们在这里召开保持共产党员先进性教育活动动员大会……",
}


def plan_b() -> dict:
    """B's plan: four systems only, no 成果验收制度."""
    plan = copy.deepcopy(FULL_PLAN)
    plan["guarantee_systems"].remove("acceptance")
    return plan


def formed(group_id: str = G1):
    leader = {**LEADER, "released_from_post": True}
    members = [{**MEMBER, "released_from_post": True}, {**MEMBER2, "released_from_post": True}]
    return GroupFormed(group_id=group_id, name="第一督导组", leader=leader, members=members,
                       formed_on="2005-01-20")


def group_state(*more):
    return fold_group([formed(), *more])


def assigned(group_id: str = G1, unit_id: str = UNIT) -> UnitAssigned:
    return UnitAssigned(group_id=group_id, unit_id=unit_id, over_soft_limit=False, unit_count=1,
                        soft_limit=10, assigned_on="2005-01-25", meeting_date="2005-02-18",
                        arrival_deadline="2005-02-16")


def arrived(date: str = "2005-02-15") -> GroupArrived:
    return GroupArrived(group_id=G1, unit_id=UNIT, date=date, deadline="2005-02-16", late=False,
                        meeting_date="2005-02-18",
                        tasks=["review_work_plan", "supervise_mobilization_meeting",
                               "prepare_leader_speech"])


def unit_state(*events) -> SupervisedUnitState:
    return fold_unit(list(events))


def assigned_unit(*more) -> SupervisedUnitState:
    return unit_state(assigned(), *more)


def arrived_unit(*more) -> SupervisedUnitState:
    return unit_state(assigned(), arrived(), *more)


def application(transition_id: str = "t1", from_phase: str = "mobilization",
                to_phase: str = "analysis", applicant_id: str = "unit-u1") -> TransitionApplication:
    return TransitionApplication(transition_id=transition_id, unit_id=UNIT, from_phase=from_phase,
                                 to_phase=to_phase, summary="学习动员阶段总结",
                                 applicant_id=applicant_id)


READY_STUDY = {"unit_id": UNIT, "ready": True, "floor": 40, "members_below": [], "exempted": []}
READY_ANALYSIS = {"unit_id": UNIT, "ready": True, "missing": []}
READY = Readiness(study=READY_STUDY, requirements_present=True, open_rectifications=0,
                  analysis=READY_ANALYSIS)
