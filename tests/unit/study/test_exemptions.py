import dataclasses

import pytest

from services.study.domain import GrantExemption, RevokeExemption, StudyState, decide
from shared.domain import Actor, Conflict, Forbidden, NotFound, Rejected

from .helpers import OFFICE, SUPERVISOR, UNIT, UNIT_ACTOR, run, standard_roster

GROUP = SUPERVISOR.scope  # the unit's supervision group


def grant(member_id="m4", reason="年老体弱，长期卧病", actor=OFFICE, unit_group_id=GROUP):
    return GrantExemption(unit_id=UNIT, member_id=member_id, reason=reason, actor=actor,
                          roster=standard_roster(), today="2024-02-20", unit_group_id=unit_group_id)


def revoke(member_id="m4", reason="身体康复，补学", actor=OFFICE, unit_group_id=GROUP):
    return RevokeExemption(unit_id=UNIT, member_id=member_id, reason=reason, actor=actor,
                           today="2024-02-22", unit_group_id=unit_group_id)


@pytest.mark.parametrize("actor", [SUPERVISOR, OFFICE])
def test_exemption_is_recorded_with_reason_and_grantor(actor):
    events, state = run(StudyState(), grant(actor=actor))
    [event] = events
    assert event.type == "StudyExemptionGranted"
    assert event.reason == "年老体弱，长期卧病"
    assert event.granted_by == {"id": actor.id, "name": actor.name, "role": actor.role}
    assert state.exemptions["m4"].date == "2024-02-20"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_exemption_without_a_reason_is_refused(reason):
    with pytest.raises(Rejected) as err:
        decide(StudyState(), grant(reason=reason))
    assert err.value.details["field"] == "reason"


@pytest.mark.parametrize("actor", [
    UNIT_ACTOR, Actor(id="a-u2", name="其他单位", role="unit", scope="u2"),
    Actor(id="r", name="r", role="respondent"), Actor(id="au", name="au", role="auditor")])
def test_exemption_by_anyone_but_the_group_or_office_is_forbidden(actor):
    with pytest.raises(Forbidden):
        decide(StudyState(), grant(actor=actor))


def test_a_unit_never_exempts_its_own_members():
    # issue 15: "a unit exempts its own members from the 40-学时 floor"
    with pytest.raises(Forbidden) as err:
        decide(StudyState(), grant(actor=UNIT_ACTOR))
    assert "never by the unit" in err.value.message
    _, state = run(StudyState(), grant())
    with pytest.raises(Forbidden):
        decide(state, revoke(actor=UNIT_ACTOR))


@pytest.mark.parametrize("unit_group_id", ["g-2", None])
def test_a_supervisor_exempts_only_at_a_unit_of_its_own_group(unit_group_id):
    with pytest.raises(Forbidden) as err:
        decide(StudyState(), grant(actor=SUPERVISOR, unit_group_id=unit_group_id))
    assert err.value.details["unit_group_id"] == unit_group_id
    _, state = run(StudyState(), grant())
    with pytest.raises(Forbidden):
        decide(state, revoke(actor=SUPERVISOR, unit_group_id=unit_group_id))


def test_exemption_for_a_non_member_is_refused():
    with pytest.raises(Rejected) as err:
        decide(StudyState(), grant(member_id="stranger"))
    assert err.value.details["member_id"] == "stranger"


def test_second_exemption_for_the_same_member_is_a_conflict():
    _, state = run(StudyState(), grant())
    with pytest.raises(Conflict):
        decide(state, grant())


def test_exemption_can_be_revoked_with_a_reason():
    _, state = run(StudyState(), grant())
    events, state = run(state, revoke())
    assert events[0].type == "StudyExemptionRevoked"
    assert events[0].revoked_by["role"] == "office"
    _, again = run(StudyState(), grant())
    events, _ = run(again, revoke(actor=SUPERVISOR))
    assert events[0].revoked_by["role"] == "supervisor"
    assert "m4" not in state.exemptions


def test_revoking_a_missing_exemption_is_not_found():
    with pytest.raises(NotFound):
        decide(StudyState(), revoke())


def test_revoking_without_reason_or_by_the_unit_is_refused():
    _, state = run(StudyState(), grant())
    with pytest.raises(Rejected):
        decide(state, revoke(reason=" "))
    with pytest.raises(Forbidden):
        decide(state, revoke(actor=UNIT_ACTOR))


def test_exemption_for_an_unknown_unit_is_not_found():
    with pytest.raises(NotFound):
        decide(StudyState(), dataclasses.replace(grant(), roster=None))
