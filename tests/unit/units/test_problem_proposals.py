"""Problems the group proposes (issue 16): by hand (POST /units/{unit}/problems by a supervisor)
or by an inspection that scored a point at or below the threshold (R14, supervision's
InspectionRecorded). A proposed problem is the unit's to accept (open, it needs measures) or
answer (a reasoned reply: closed as answered); until then it holds the gate out of 整改提高."""
import dataclasses
import io

from openpyxl import load_workbook

from services.units.domain import commands as C
from services.units.domain import decide
from services.units.domain import events as E
from services.units.domain.config import DEFAULT_CONFIG, config_from_environment
from services.units.domain.ledger import inspection_problem_id
from services.units.ledger_view import ledger_view
from services.units.ledger_workbook import workbook_bytes
from services.units.translate import command_for
from shared.domain import SYSTEM, Conflict, Forbidden, Rejected

from .helpers import OTHER_UNIT, SUPERVISOR, UNIT, U, done, in_phase, refused, run, signed_off, step
from .test_ledger import DAY, P1, ledger, measure, problem

SCORES = {"leadership_responsibility": 8, "leaders_set_example": 7, "working_strength": 4,
          "measures_in_place": 9, "problems_solved": 2, "results_evident": 5, "work_promoted": 10}


def inspection_env(scores=SCORES, inspection_id="i-1"):
    return {"type": "InspectionRecorded", "occurred_at": "2024-04-22T09:00:00+00:00",
            "payload": {"inspection_id": inspection_id, "unit_id": U, "group_id": "g1", "date": "2024-04-22",
                        "scores": scores, "total": sum(scores.values()), "max_total": 70,
                        "notes": {"problems_solved": "群众反映的问题无进展"}, "findings": ""}}


def inspected(state=None, **kw):
    return command_for(inspection_env(**kw))


def proposed():
    """In 整改提高, a problem the group proposed by hand."""
    return step(in_phase("rectification"), problem(SUPERVISOR, group_id="g1", source="inspection"))


def test_the_groups_own_proposal_starts_proposed_the_units_own_problem_open():
    state = proposed()
    assert state.problems[P1].status == "proposed"
    assert step(in_phase("rectification"), problem()).problems[P1].status == "open"


def test_a_low_score_proposes_a_problem_for_each_point_at_or_below_the_threshold():
    events, state = run(in_phase("rectification"), inspected())
    points = sorted(e.source_ref for e in events)
    assert points == ["i-1#problems_solved", "i-1#working_strength"]  # 2 and 4; 5 is above the default 4
    solved = state.problems[inspection_problem_id(U, "i-1", "problems_solved")]
    assert (solved.status, solved.source, solved.raised_by, solved.category) == (
        "proposed", "inspection", "supervisor", "party_and_government_style")
    assert "突出问题是否解决" in solved.description and "2/10" in solved.description
    assert "群众反映的问题无进展" in solved.description


def test_redelivered_the_inspection_proposes_nothing_twice():
    state = step(in_phase("rectification"), inspected())
    assert decide(state, inspected()) == []


def test_the_threshold_is_configurable():
    config = dataclasses.replace(DEFAULT_CONFIG, low_score_threshold=5)
    events, _ = run(in_phase("rectification"), inspected(), config)
    assert len(events) == 3
    high = {k: 9 for k in SCORES}
    assert decide(in_phase("rectification"), inspected(scores=high)) == []


def test_the_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DUDAO_LOW_SCORE_THRESHOLD", "6")
    assert config_from_environment().low_score_threshold == 6
    monkeypatch.delenv("DUDAO_LOW_SCORE_THRESHOLD")
    assert config_from_environment().low_score_threshold == DEFAULT_CONFIG.low_score_threshold == 4


def test_only_the_system_notes_an_inspection_and_an_accepted_unit_takes_none():
    refused(Forbidden, in_phase("rectification"), dataclasses.replace(inspected(), actor=UNIT))
    assert decide(in_phase("accepted"), inspected()) == []
    assert inspected().actor == SYSTEM


def test_the_unit_accepts_a_proposed_problem_and_it_takes_measures():
    state = proposed()
    refused(Conflict, state, measure("m1", "L1"))  # not before it is accepted
    events, state = run(state, C.AcceptProblem(UNIT, U, P1, DAY))
    assert events == [E.ProblemAccepted(unit_id=U, problem_id=P1, category="party_and_government_style", date=DAY)]
    assert state.problems[P1].status == "open"
    assert step(state, measure("m1", "L1")).problems[P1].measure_ids == ("m1",)


def test_accepting_may_set_another_category():
    state = step(proposed(), C.AcceptProblem(UNIT, U, P1, DAY, category="internal_management"))
    assert state.problems[P1].category == "internal_management"


def test_the_unit_answers_a_proposed_problem_with_a_reply():
    events, state = run(proposed(), C.AnswerProblem(UNIT, U, P1, "该问题已于上月整改到位，附整改报告", DAY))
    assert events == [E.ProblemAnswered(unit_id=U, problem_id=P1, reply="该问题已于上月整改到位，附整改报告", date=DAY)]
    assert (state.problems[P1].status, state.problems[P1].closed_on) == ("answered", DAY)
    view = ledger_view(state, DAY)
    assert view["problems"][0]["reply"] == "该问题已于上月整改到位，附整改报告"
    assert view["proposals"] == {"proposed": 0, "answered": 1}
    refused(Conflict, state, measure("m1", "L1"))  # an answered problem takes no measures


def test_acceptance_and_answer_refusals():
    state = proposed()
    for command in (C.AcceptProblem, lambda *a: C.AnswerProblem(a[0], a[1], a[2], "理由", a[3])):
        refused(Forbidden, state, command(OTHER_UNIT, U, P1, DAY))   # another unit
        refused(Forbidden, state, command(SUPERVISOR, U, P1, DAY))   # the group itself
    refused(Rejected, state, C.AnswerProblem(UNIT, U, P1, "   ", DAY))  # an empty reply
    opened = step(in_phase("rectification"), problem())  # the unit's own: not proposed
    refused(Conflict, opened, C.AcceptProblem(UNIT, U, P1, DAY))
    refused(Conflict, opened, C.AnswerProblem(UNIT, U, P1, "理由", DAY))
    accepted = step(state, C.AcceptProblem(UNIT, U, P1, DAY))
    refused(Conflict, accepted, C.AcceptProblem(UNIT, U, P1, DAY))  # twice


def test_a_proposed_problem_holds_the_gate_an_answered_one_does_not():
    state = signed_off(done(signed_off(done(ledger(), "m1"), "m1"), "m2"), "m2")  # P1 signed off
    state = step(state, problem(SUPERVISOR, problem_id="u1.p-2", group_id="g1", source="inspection"))
    apply = C.ApplyForTransition(UNIT, U, "t9", "整改总结")
    err = refused(Conflict, state, apply)
    assert [p["problem_id"] for p in err.details["open_problems"]] == ["u1.p-2"]
    answered = step(state, C.AnswerProblem(UNIT, U, "u1.p-2", "非本单位职责范围", DAY))
    assert decide(answered, apply)[0].to_phase == "survey"


def test_the_workbook_labels_proposed_and_answered_problems():
    state = step(in_phase("rectification"), inspected())
    state = step(state, C.AnswerProblem(UNIT, U, inspection_problem_id(U, "i-1", "working_strength"), "已增配专职人员",
                                        DAY))
    book = load_workbook(io.BytesIO(workbook_bytes([ledger_view(state, DAY)])))
    rows = list(book["整改台账"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[4] for r in rows) == ["已答复", "待认领"]
    assert "已增配专职人员" in [r[14] for r in rows]
    stats = list(book["统计"].iter_rows(values_only=True))
    assert stats[0][5:7] == ("待认领", "已答复") and stats[1][5:7] == (1, 1)
