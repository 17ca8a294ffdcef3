"""Builders shared by the evaluation unit tests."""
from __future__ import annotations

import hashlib
from fractions import Fraction

from services.evaluation.domain import (
    CastBallot,
    CloseSurvey,
    DrawSample,
    EvaluationConfig,
    MemberFact,
    NotificationFact,
    OpenSurvey,
    UnitFacts,
    fold,
)
from services.evaluation.domain import decide as domain_decide
from services.evaluation.domain import survey as survey_module
from shared.domain import Actor

UNIT = "u1"
GROUP = "g1"
SUPERVISOR = Actor(id="s1", name="督导员", role="supervisor", scope=GROUP)
OTHER_SUPERVISOR = Actor(id="s2", name="别组督导员", role="supervisor", scope="g2")
UNIT_ACTOR = Actor(id="unit-office", name="办公室", role="unit", scope=UNIT)
OFFICE = Actor(id="o1", name="领导小组办公室", role="office")

FRAME = [f"群众{i:02d}" for i in range(1, 31)]

# The survey's validity gate (minimum sample and turnout, issue 15) is tested on its own
# with the default config in test_validity.py; the tests of the other rules (draw, tokens,
# tallies, history) sample a few people of a 30-person frame and decide with it lifted.
PRE_GATE_CONFIG = EvaluationConfig(min_sample=1, min_turnout=Fraction(0))
RECTIFICATION_STATUS = "整改措施12项已完成10项，解决群众反映的问题8个"


def decide(state, command, config: EvaluationConfig = PRE_GATE_CONFIG):
    return domain_decide(state, command, config)


def seed_for(n: int) -> str:
    return hashlib.sha256(f"seed-{n}".encode()).hexdigest()


def tokens_for(survey_id: str, n: int) -> list[str]:
    return [f"token-{survey_id}-{i:04d}-xxxxxxxx" for i in range(n)]


def members(leaders=("L1", "L2"), others=("M1", "M2", "M3")) -> tuple:
    return tuple([MemberFact(m, f"name-{m}", True) for m in leaders]
                 + [MemberFact(m, f"name-{m}", False) for m in others])


def facts(phase="survey", *, group_id=GROUP, scope=tuple(FRAME), survey_round=1,
          notification_id="n1", member_list=None, arrived_on="2005-02-15",
          notified_in="survey", notified_round=None,
          rectification_status=RECTIFICATION_STATUS) -> UnitFacts:
    # by default the notification was made in the current entry into phase survey and
    # states the rectification status, as the survey's validity gate asks
    if notified_round is None and notified_in == "survey":
        notified_round = survey_round
    note = (NotificationFact(notification_id, tuple(scope), "2005-06-01", phase=notified_in,
                             survey_round=notified_round, rectification_status=rectification_status)
            if scope is not None else None)
    return UnitFacts(unit_id=UNIT, phase=phase, group_id=group_id, group_arrived_on=arrived_on,
                     members=member_list if member_list is not None else members(),
                     latest_notification=note, survey_round=survey_round)


def apply(state, command, config: EvaluationConfig = PRE_GATE_CONFIG):
    """decide then fold: returns (events, new state)."""
    events = decide(state, command, config)
    return events, fold(events, state)


def open_cmd(survey_id="s-1", sample_size=10, seed=None, unit=None, actor=SUPERVISOR,
             group_id=GROUP) -> OpenSurvey:
    return OpenSurvey(survey_id=survey_id, unit_id=UNIT, group_id=group_id, sample_size=sample_size,
                      seed=seed or seed_for(1), unit=unit or facts(), today="2005-06-10", actor=actor)


def draw_cmd(survey_id="s-1", seed=None, tokens=None, n=10, public_entropy="") -> DrawSample:
    return DrawSample(survey_id=survey_id, unit_id=UNIT, group_id=GROUP, seed=seed or seed_for(1),
                      tokens=tuple(tokens if tokens is not None else tokens_for(survey_id, n)),
                      today="2005-06-11", public_entropy=public_entropy, actor=SUPERVISOR)


def ballot(survey_id, token, leadership="satisfied", campaign="satisfied") -> CastBallot:
    return CastBallot(survey_id=survey_id, unit_id=UNIT, token=token,
                      ratings={"leadership": leadership, "campaign": campaign})


def close_cmd(survey_id="s-1") -> CloseSurvey:
    return CloseSurvey(survey_id=survey_id, unit_id=UNIT, group_id=GROUP, today="2005-06-20",
                       actor=SUPERVISOR)


def drawn_state(survey_id="s-1", n=10, state=None, unit=None, seed=None):
    state = state if state is not None else survey_module.INITIAL
    _, state = apply(state, open_cmd(survey_id, n, seed=seed, unit=unit))
    _, state = apply(state, draw_cmd(survey_id, seed=seed, n=n))
    return state


def voted_state(votes, survey_id="s-1", n=None, state=None, unit=None, seed=None):
    """votes: list of (leadership, campaign) ratings; one token each."""
    n = n if n is not None else max(len(votes), 1)
    state = drawn_state(survey_id, n, state=state, unit=unit, seed=seed)
    for token, (lead, camp) in zip(tokens_for(survey_id, n), votes):
        _, state = apply(state, ballot(survey_id, token, lead, camp))
    return state
