"""Registration, sections, members, study groups (R20) and contact points (R21)."""
from services.units.domain import DEFAULT_CONFIG, decide
from services.units.domain import commands as C
from services.units.domain import events as E
from shared.domain import Conflict, Forbidden, NotFound, Rejected

from .helpers import OFFICE, OTHER_UNIT, SUPERVISOR, UNIT, U, refused, registered, run, staffed, step

# --- registration ---------------------------------------------------------------

def test_office_registers_a_unit_with_its_batch_calendar():
    events, state = run(None, C.RegisterUnit(OFFICE, U, " 县委办公室 ", "党支部", 1, ("人事科",)))
    assert events == [E.UnitRegistered(unit_id=U, name="县委办公室", org_type="党支部", batch=1,
                                       sections=["人事科"], deadlines=dict(DEFAULT_CONFIG.calendar(1).deadlines),
                                       centralised_study_start="2024-02-16")]
    assert (state.phase, state.batch, state.sections) == ("registered", 1, ("人事科",))
    assert state.deadlines["mobilization"] == "2024-03-20"


def test_registration_refusals():
    good = dict(actor=OFFICE, unit_id=U, name="县委办公室", org_type="党委", batch=2)
    refused(Forbidden, None, C.RegisterUnit(**{**good, "actor": UNIT}))
    refused(Rejected, None, C.RegisterUnit(**{**good, "org_type": "党小组"}))
    refused(Rejected, None, C.RegisterUnit(**{**good, "batch": 4}))
    refused(Rejected, None, C.RegisterUnit(**{**good, "name": "  "}))
    refused(Rejected, None, C.RegisterUnit(**{**good, "sections": ("人事科", "人事科")}))
    refused(Conflict, registered(), C.RegisterUnit(**good))


def test_commands_on_an_unregistered_unit_are_not_found():
    refused(NotFound, None, C.EnrolMember(UNIT, U, "m1", "甲", "人事科"))


# --- sections -------------------------------------------------------------------

def test_unit_adds_a_section_once():
    events, state = run(registered(), C.AddSection(UNIT, U, "信息科"))
    assert events == [E.UnitSectionAdded(unit_id=U, section="信息科")]
    assert "信息科" in state.sections
    refused(Conflict, state, C.AddSection(UNIT, U, "信息科"))
    refused(Rejected, state, C.AddSection(UNIT, U, ""))


def test_a_unit_acts_only_on_itself():
    err = refused(Forbidden, registered(), C.AddSection(OTHER_UNIT, U, "信息科"))
    assert err.details == {"actor_unit": "u2", "unit_id": U}
    refused(Forbidden, registered(), C.AddSection(SUPERVISOR, U, "信息科"))
    refused(Forbidden, registered(), C.AddSection(OFFICE, U, "信息科"))


# --- members ----------------------------------------------------------------------

def test_enrol_member_into_a_section_of_the_unit():
    events, state = run(registered(), C.EnrolMember(UNIT, U, "m1", "甲", "人事科", is_leader=False))
    assert events == [E.MemberEnrolled(unit_id=U, member_id="m1", name="甲", section="人事科",
                                       is_leader=False, is_retired=False)]
    assert state.members["m1"].section == "人事科"


def test_enrolling_into_a_section_of_another_unit_is_refused():
    # 财政局's 预算股 is not a section of 县委办公室
    err = refused(Rejected, registered(), C.EnrolMember(UNIT, U, "m1", "甲", "预算股"))
    assert err.details["section"] == "预算股"


def test_member_refusals():
    state = staffed()
    refused(Conflict, state, C.EnrolMember(UNIT, U, "S1", "重复", "人事科"))
    refused(Rejected, state, C.EnrolMember(UNIT, U, "m9", "无科室", None))  # serving, no section
    refused(Rejected, state, C.EnrolMember(UNIT, U, "m9", "", "人事科"))
    refused(Forbidden, state, C.EnrolMember(OTHER_UNIT, U, "m9", "甲", "人事科"))


def test_retired_cadre_may_be_enrolled_outside_every_section():
    events = decide(registered(), C.EnrolMember(UNIT, U, "r1", "老干部", None, is_retired=True))
    assert events[0].section is None and events[0].is_retired is True


# --- study groups (R20) --------------------------------------------------------------

def test_section_head_forms_the_section_study_group_with_a_retired_cadre():
    events, state = run(staffed(), C.FormStudyGroup(UNIT, U, "g-rs", "人事科", "H1", ("S1", "R1")))
    assert events == [E.StudyGroupFormed(unit_id=U, study_group_id="g-rs", section="人事科",
                                         leader_member_id="H1", member_ids=["H1", "S1", "R1"])]
    assert {m: state.members[m].study_group_id for m in ("H1", "S1", "R1", "S2")} == \
        {"H1": "g-rs", "S1": "g-rs", "R1": "g-rs", "S2": None}
    assert state.retired_without_group() == []


def test_study_group_led_by_someone_outside_the_section_is_refused():
    err = refused(Rejected, staffed(), C.FormStudyGroup(UNIT, U, "g", "人事科", "S2"))
    assert err.details["leader_section"] == "综合科"
    refused(Rejected, staffed(), C.FormStudyGroup(UNIT, U, "g", "人事科", "R1"))  # retired cannot lead


def test_study_group_refusals():
    state = staffed()
    refused(Rejected, state, C.FormStudyGroup(UNIT, U, "g", "预算股", "H1"))          # not our section
    refused(Rejected, state, C.FormStudyGroup(UNIT, U, "g", "人事科", "nobody"))      # unknown leader
    refused(Rejected, state, C.FormStudyGroup(UNIT, U, "g", "人事科", "H1", ("x",)))  # unknown member
    refused(Rejected, state, C.FormStudyGroup(UNIT, U, "g", "人事科", "H1", ("S2",)))  # other section
    refused(Rejected, state, C.FormStudyGroup(UNIT, U, "g", "人事科", "H1", ("S1", "S1")))
    refused(Forbidden, state, C.FormStudyGroup(OTHER_UNIT, U, "g", "人事科", "H1"))
    formed = step(state, C.FormStudyGroup(UNIT, U, "g", "人事科", "H1"))
    refused(Conflict, formed, C.FormStudyGroup(UNIT, U, "g", "综合科", "S2"))       # id reused
    refused(Conflict, formed, C.FormStudyGroup(UNIT, U, "g2", "人事科", "S1"))      # one group per section
    refused(Conflict, formed, C.FormStudyGroup(UNIT, U, "g2", "综合科", "S2", ("R1", "H1")))  # H1 taken


def test_place_retired_cadre_into_a_group_later():
    state = step(staffed(), C.FormStudyGroup(UNIT, U, "g-zh", "综合科", "S2"))
    assert state.retired_without_group() == ["R1"]
    events, state = run(state, C.PlaceMemberInStudyGroup(UNIT, U, "g-zh", "R1"))
    assert events == [E.MemberPlacedInStudyGroup(unit_id=U, study_group_id="g-zh", member_id="R1")]
    assert state.study_groups["g-zh"].member_ids == ("S2", "R1")
    assert state.retired_without_group() == []


def test_placement_refusals():
    state = step(staffed(), C.FormStudyGroup(UNIT, U, "g-zh", "综合科", "S2"))
    err = refused(Rejected, state, C.PlaceMemberInStudyGroup(UNIT, U, "g-of-u2", "R1"))  # another unit's group
    assert err.details["study_group_id"] == "g-of-u2"
    refused(Rejected, state, C.PlaceMemberInStudyGroup(UNIT, U, "g-zh", "ghost"))
    refused(Rejected, state, C.PlaceMemberInStudyGroup(UNIT, U, "g-zh", "S1"))  # 人事科 member
    refused(Conflict, state, C.PlaceMemberInStudyGroup(UNIT, U, "g-zh", "S2"))  # already in it
    refused(Forbidden, state, C.PlaceMemberInStudyGroup(OTHER_UNIT, U, "g-zh", "R1"))


# --- contact points (R21) ---------------------------------------------------------

def test_leader_takes_sections_as_contact_points_and_may_change_them():
    events, state = run(staffed(), C.AssignContactPoints(UNIT, U, "L1", ("人事科", "综合科")))
    assert events == [E.ContactPointsAssigned(unit_id=U, member_id="L1", sections=["人事科", "综合科"])]
    state = step(state, C.AssignContactPoints(UNIT, U, "L1", ("综合科",)))
    assert state.members["L1"].contact_sections == ("综合科",)


def test_contact_point_refusals():
    state = staffed()
    refused(Rejected, state, C.AssignContactPoints(UNIT, U, "S1", ("人事科",)))    # not a leader
    refused(Rejected, state, C.AssignContactPoints(UNIT, U, "ghost", ("人事科",)))
    refused(Rejected, state, C.AssignContactPoints(UNIT, U, "L1", ()))
    refused(Rejected, state, C.AssignContactPoints(UNIT, U, "L1", ("预算股",)))
    refused(Rejected, state, C.AssignContactPoints(UNIT, U, "L1", ("人事科", "人事科")))
    refused(Forbidden, state, C.AssignContactPoints(OTHER_UNIT, U, "L1", ("人事科",)))
