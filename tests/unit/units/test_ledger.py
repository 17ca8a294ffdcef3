"""The rectification ledger (整改台账): problems → measures → completion with evidence →
the group's re-check (复查): sign-off (销号) or return; carry forward (结转); reopening;
the gate out of 整改提高; and old logs (before the ledger) still folding."""
import dataclasses

from services.units.domain import commands as C
from services.units.domain import decide, fold
from services.units.domain import events as E
from services.units.domain.ledger import ledger_figures
from services.units.upcasting import upcasters
from shared.domain import Actor, Conflict, Forbidden, NotFound, Rejected, events_of

from .helpers import (
    OFFICE,
    OTHER_UNIT,
    SUPERVISOR,
    UNIT,
    U,
    done,
    evidence,
    in_phase,
    refused,
    run,
    signed_off,
    step,
)

P1 = "u1.p-1"
OTHER_SUPERVISOR = Actor(id="sup-2", name="另一督导组", role="supervisor", scope="g2")
DAY = "2024-04-21"


def problem(actor=UNIT, problem_id=P1, category="party_and_government_style", source="opinions",
            group_id=None, source_ref="op-7"):
    return C.RecordProblem(actor, U, problem_id, category, "群众反映办事效率低", source, DAY,
                           source_ref=source_ref, group_id=group_id)


def measure(measure_id, owner, problem_id=P1, due="2024-05-30"):
    return C.AddRectificationMeasure(UNIT, U, measure_id, "measure", "推行首问负责制", owner, due, DAY,
                                     problem_id=problem_id)


def review(decision, measure_id="m1", actor=SUPERVISOR, group_id="g1", comments="复查意见"):
    return C.ReviewMeasure(actor, U, measure_id, decision, comments, "2024-05-05", group_id=group_id)


def ledger():
    """A problem with one measure for each leader (L1, L2), in 整改提高."""
    state = step(in_phase("rectification"), problem())
    return step(step(state, measure("m1", "L1")), measure("m2", "L2"))


def test_a_problem_records_its_category_and_source():
    events, state = run(in_phase("rectification"), problem())
    assert events == [E.ProblemRecorded(unit_id=U, problem_id=P1, category="party_and_government_style",
                                        description="群众反映办事效率低", source="opinions", source_ref="op-7",
                                        raised_by="unit", phase="rectification", date=DAY)]
    assert state.problems[P1].status == "open"


def test_the_group_may_propose_a_problem_another_group_may_not():
    events = decide(in_phase("rectification"), problem(SUPERVISOR, group_id="g1", source="inspection"))
    assert events[0].raised_by == "supervisor"
    refused(Forbidden, in_phase("rectification"), problem(OTHER_SUPERVISOR, group_id="g1"))
    refused(Forbidden, in_phase("rectification"), problem(OTHER_UNIT))


def test_problem_refusals():
    state = in_phase("rectification")
    refused(Rejected, state, problem(category="weather"))
    refused(Rejected, state, problem(source="rumour"))
    refused(Rejected, in_phase("mobilization"), problem())
    refused(Conflict, step(state, problem()), problem())


def test_measures_go_under_a_known_problem():
    state = ledger()
    assert state.problems[P1].measure_ids == ("m1", "m2")
    assert state.measures["m1"].problem_id == P1
    refused(NotFound, state, measure("m3", "L1", problem_id="u1.p-none"))


def test_a_measure_done_without_evidence_is_refused():
    state = ledger()
    bare = C.CompleteRectificationMeasure(UNIT, U, "m1", "2024-05-01", "2024-05-02", "已落实")
    err = refused(Rejected, state, bare)
    assert err.details["missing"] == ["attachment_ids"]
    # ids the entrypoint did not find among the unit's measure evidence are refused by name
    err = refused(Rejected, state, dataclasses.replace(bare, attachment_ids=("fu-0000000000aa",), evidence=()))
    assert err.details["missing"] == ["fu-0000000000aa"]
    refused(Rejected, state, dataclasses.replace(bare, note=" ", attachment_ids=("fu-1",),
                                                 evidence=evidence("fu-1")))


def test_sign_off_of_every_measure_signs_the_problem_off():
    state = done(done(ledger(), "m1"), "m2")
    events, state = run(state, review("sign_off", "m1"))
    assert [type(e) for e in events] == [E.MeasureSignedOff]
    events, state = run(state, review("sign_off", "m2"))
    assert [type(e) for e in events] == [E.MeasureSignedOff, E.ProblemSignedOff]
    assert events[0].group_id == "g1" and state.problems[P1].status == "signed_off"


def test_a_returned_measure_is_counted_and_done_again():
    state = done(ledger(), "m1")
    events, state = run(state, review("return", comments="佐证材料不足"))
    assert events == [E.MeasureReturned(unit_id=U, measure_id="m1", problem_id=P1, group_id="g1",
                                        comments="佐证材料不足", date="2024-05-05", returns=1)]
    assert state.measures["m1"].status == "open"
    refused(Conflict, state, review("sign_off"))  # not reported done again yet
    state = step(done(state, "m1"), review("return"))
    assert state.measures["m1"].returns == 2
    refused(Rejected, done(state, "m1"), review("return", comments=" "))  # a return says why


def test_only_the_units_own_group_re_checks():
    state = done(ledger(), "m1")
    refused(Forbidden, state, review("sign_off", actor=UNIT))  # never the unit itself
    refused(Forbidden, state, review("sign_off", actor=OTHER_SUPERVISOR))  # nor another group
    refused(Forbidden, state, review("sign_off", group_id=None))  # a unit with no group yet
    refused(Forbidden, state, review("sign_off", actor=OFFICE))
    refused(Rejected, state, review("approve"))
    refused(Conflict, ledger(), review("sign_off"))  # nothing reported done
    refused(NotFound, state, review("sign_off", measure_id="m9"))


def test_a_signed_off_measure_is_reopened_only_by_the_office_with_a_reason():
    state = signed_off(done(signed_off(done(ledger(), "m1"), "m1"), "m2"), "m2")
    assert state.problems[P1].status == "signed_off"
    reopen = C.ReopenMeasure(OFFICE, U, "m1", "群众再次反映", "2024-05-10")
    refused(Forbidden, state, dataclasses.replace(reopen, actor=UNIT))
    refused(Forbidden, state, dataclasses.replace(reopen, actor=SUPERVISOR))
    err = refused(Rejected, state, dataclasses.replace(reopen, reason="  "))
    assert err.details["missing"] == ["reason"]
    events, reopened = run(state, reopen)
    assert [type(e) for e in events] == [E.MeasureReopened, E.ProblemReopened]
    assert reopened.measures["m1"].status == "open" and reopened.problems[P1].status == "open"
    refused(Conflict, reopened, reopen)  # open: nothing to reopen


def test_carry_forward_needs_the_groups_acceptance():
    state = ledger()
    propose = C.ProposeCarryForward(UNIT, U, P1, "涉及体制改革，需长期推进", DAY)
    accept = C.ReviewCarryForward(SUPERVISOR, U, P1, "accept", "同意结转", DAY, group_id="g1")
    refused(Conflict, state, accept)  # nothing proposed
    refused(Forbidden, state, dataclasses.replace(propose, actor=SUPERVISOR))
    state = step(state, propose)
    refused(Conflict, state, propose)
    refused(Forbidden, state, dataclasses.replace(accept, actor=UNIT))
    refused(Forbidden, state, dataclasses.replace(accept, actor=OTHER_SUPERVISOR))
    refused_state = step(state, dataclasses.replace(accept, decision="refuse"))
    assert refused_state.problems[P1].status == "open" and refused_state.problems[P1].carry_reason is None
    events, carried = run(state, accept)
    assert events[0].reason == "涉及体制改革，需长期推进"
    assert carried.problems[P1].status == "carried"


def test_leaving_rectification_with_an_open_problem_is_refused_naming_it():
    state = signed_off(done(ledger(), "m1"), "m1")
    apply = C.ApplyForTransition(UNIT, U, "t9", "整改总结")
    err = refused(Conflict, state, apply)
    assert err.details["open_problems"][0]["problem_id"] == P1
    assert err.details["open_problems"][0]["open_measures"] == ["m2"]
    state = signed_off(done(state, "m2"), "m2")
    assert decide(state, apply)[0].to_phase == "survey"


def test_a_problem_carried_forward_lets_the_unit_leave():
    state = ledger()
    state = step(state, C.ProposeCarryForward(UNIT, U, P1, "需长期推进", DAY))
    assert ledger_figures(state, "2024-06-30")["overdue"] == 2
    state = step(state, C.ReviewCarryForward(SUPERVISOR, U, P1, "accept", "", DAY, group_id="g1"))
    assert decide(state, C.ApplyForTransition(UNIT, U, "t9", "整改总结"))[0].to_phase == "survey"
    assert ledger_figures(state, "2024-06-30")["overdue"] == 0  # carried forward: no longer due here


def test_the_notification_carries_the_ledgers_figures():
    state = done(ledger(), "m1")
    [event] = decide(state, C.NotifyPublic(UNIT, U, "n1", ("张三",), "2024-06-01"))
    assert event.ledger == {"problems": 1, "signed_off": 0, "carried": 0, "open": 1, "measures": 2,
                            "measures_signed_off": 0, "overdue": 2}


# --- old logs: before the ledger a measure named no problem and its completion no evidence ---

def _stored(kind, payload, version=1):
    return {"type": kind, "schema_version": version, "payload": payload}


def test_an_old_log_folds_under_the_problem_carried_from_before_the_ledger():
    setup = in_phase("rectification")
    old = [_stored("RectificationMeasureAdded", {"unit_id": U, "measure_id": "r-1", "kind": "commitment",
                                                 "description": "带头兑现整改承诺", "owner_member_id": "L1",
                                                 "due": "2024-05-30", "phase": "rectification"}),
           _stored("RectificationMeasureCompleted", {"unit_id": U, "measure_id": "r-1",
                                                     "completed_on": "2024-05-01", "note": "已兑现"})]
    up = upcasters()
    read = [up.upcast(env) for env in old]
    assert read[0]["schema_version"] == 2 and read[0]["payload"]["problem_id"] == "u1.before-ledger"
    assert read[1]["payload"]["legacy"] is True and read[1]["payload"]["attachment_ids"] == []
    state = fold(events_of(read), setup)
    legacy = state.problems["u1.before-ledger"]
    assert legacy.measure_ids == ("r-1",) and legacy.source == "before_ledger" and legacy.status == "open"
    # the unit marked it done itself: it awaits the group's re-check like any other
    assert state.measures["r-1"].status == "completed"
    state = step(state, review("sign_off", "r-1"))
    assert state.problems["u1.before-ledger"].status == "signed_off"
    # and a log read without the upcaster (an old payload as it was stored) folds the same
    raw = fold(events_of(old), setup)
    assert raw.measures["r-1"].problem_id == "u1.before-ledger"
