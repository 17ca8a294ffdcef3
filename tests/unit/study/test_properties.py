"""Hours are derived from events only: folding, replaying from JSON and
rebuilding the projections under any interleaving of the two logs (each log's
own order preserved) give the same figures."""
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from services.study.domain import (
    EMPTY_BASIS,
    FORMS,
    REQUIRED_CONTENT,
    StudyConfig,
    StudyState,
    basis_of,
    compliance_sheet,
    evolve_basis,
    fold,
    readiness,
)
from services.study.domain.hours import hours_number
from services.study.projections import PROJECTIONS, member_view
from shared.domain import event_from
from shared.projection import MemoryProjectionRunner

from .helpers import attend_cmd, run, session_cmd, standard_roster, standard_units_log, study_envelopes
from .test_projections import unit_sheet

MEMBERS = ["m1", "m2", "m3", "m4"]

session_specs = st.lists(
    st.fixed_dictionaries({
        "form": st.sampled_from(list(FORMS)),
        "half_hours": st.integers(1, 16),
        "day": st.integers(1, 28),
        "content": st.lists(st.sampled_from(list(REQUIRED_CONTENT)), min_size=1, max_size=3,
                            unique=True),
        "attendance": st.lists(st.lists(st.sampled_from(MEMBERS), unique=True, max_size=4),
                               max_size=3),
    }), max_size=8)


def build(specs):
    """Run the specs through decide; returns (events, expected half-hours per member)."""
    state, events = StudyState(), []
    roster = standard_roster()
    expected = {m: {"centralised": 0, "self": 0, "covered": set()} for m in MEMBERS}
    for i, spec in enumerate(specs):
        new, state = run(state, session_cmd(
            f"s{i}", roster=roster, form=spec["form"], hours=spec["half_hours"] / 2,
            date=f"2024-02-{spec['day']:02d}", content_keys=tuple(spec["content"])))
        events += new
        seen = set()
        for batch in spec["attendance"]:
            batch = [m for m in batch if m not in seen]
            if not batch:
                continue
            seen |= set(batch)
            new, state = run(state, attend_cmd(f"s{i}", batch, roster=roster))
            events += new
            for m in batch:
                mode = "self" if spec["form"] == "self_study" else "centralised"
                expected[m][mode] += spec["half_hours"]
                expected[m]["covered"] |= set(spec["content"])
    return events, expected


@settings(max_examples=60, deadline=None)
@given(session_specs)
def test_folded_hours_equal_the_sum_of_attended_sessions(specs):
    events, expected = build(specs)
    answer = readiness(fold(events), standard_roster(), StudyConfig())
    below = {b["member_id"]: b for b in answer["members_below"]}
    for m, figures in expected.items():
        short = max(0, 80 - figures["centralised"])
        assert (m in below) == (short > 0)
        if short:
            assert below[m]["hours"] == hours_number(figures["centralised"])
            assert below[m]["short_by"] == hours_number(short)


@settings(max_examples=40, deadline=None)
@given(session_specs)
def test_replay_from_stored_json_gives_the_same_state(specs):
    events, _ = build(specs)
    stored = [json.loads(json.dumps({"type": e.type, "payload": e.payload()})) for e in events]
    replayed = fold(event_from(s["type"], s["payload"]) for s in stored)
    assert replayed == fold(events)


@settings(max_examples=40, deadline=None)
@given(session_specs, st.data())
def test_projections_are_the_same_under_any_order_preserving_interleaving(specs, data):
    events, expected = build(specs)
    units_log, study_log = standard_units_log(), study_envelopes(events)
    baseline = MemoryProjectionRunner(PROJECTIONS)
    baseline.fold(units_log, source="units").fold(study_log, source="study")

    picks = data.draw(st.permutations(["u"] * len(units_log) + ["s"] * len(study_log)))
    queues = {"u": list(units_log), "s": list(study_log)}
    runner = MemoryProjectionRunner(PROJECTIONS)
    for pick in picks:
        runner.apply(queues[pick].pop(0), source="units" if pick == "u" else "study")

    assert runner.collections == baseline.collections
    for m, figures in expected.items():
        doc = member_view(runner.collections["study_members"][m])
        assert doc["centralised_hours"] == hours_number(figures["centralised"])
        assert doc["self_study_hours"] == hours_number(figures["self"])
        assert set(doc["coverage"]["covered"]) == figures["covered"]
    sheet = unit_sheet(runner.collections)
    assert sheet["readiness"] == readiness(fold(events), standard_roster(), StudyConfig())
    assert sheet == compliance_sheet(fold(events), standard_roster(), StudyConfig())


@settings(max_examples=30, deadline=None)
@given(session_specs)
def test_folding_is_deterministic(specs):
    events, _ = build(specs)
    assert fold(events) == fold(list(events))
    assert fold(events).to_doc() == StudyState.from_doc(fold(events).to_doc()).to_doc()


@settings(max_examples=40, deadline=None)
@given(session_specs)
def test_the_incremental_basis_equals_the_basis_of_the_folded_state(specs):
    """The projections' per-event basis and the commands' folded state agree."""
    events, _ = build(specs)
    basis = EMPTY_BASIS
    for env in study_envelopes(events):
        basis = evolve_basis(basis, env)
    assert basis == basis_of(fold(events))
