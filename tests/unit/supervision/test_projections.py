"""The read models, folded purely from envelopes."""
import itertools
import uuid

from services.supervision.domain import (
    ArrivalTaskCompleted,
    BriefingCompiled,
    DeadlineExtended,
    GroupArrived,
    InspectionRecorded,
    LeaveDecided,
    LeaveRequested,
    MemberBatchJoined,
    ReportFiled,
    SupervisionConfig,
    TemporaryBranchEstablished,
    TransitionAgreed,
    TransitionApproved,
    TypicalCaseRecommended,
    TypicalCaseReported,
    UnitAssigned,
    WorkPlanReviewed,
    group_stream,
    unit_stream,
)
from services.supervision.projections import (
    BRIEFINGS,
    CONSOLE_GROUPS,
    CONSOLE_UNITS,
    HISTORY,
    PORTFOLIOS,
    PROJECTIONS,
    REPORTS,
    TRANSITION_FACTS,
    UNIT_FACTS,
    UNIT_GROUPS,
    build_projections,
    speech_draft,
    transition_application,
)
from shared.projection import MemoryProjectionRunner, envelope_for
from tests.unit.supervision.helpers import FULL_PLAN, G1, UNIT, formed

_positions = itertools.count(1)


def own(event, stream=None):
    stream = stream or (group_stream(event.group_id) if not hasattr(event, "unit_id")
                        else unit_stream(event.unit_id))
    return envelope_for(event, stream_id=stream, position=next(_positions),
                        actor={"id": "p-lead", "name": "张组长", "role": "supervisor",
                               "scope": G1})


def foreign(type_, payload, actor_id="unit-u1"):
    return {"event_id": str(uuid.uuid4()), "type": type_, "schema_version": 1,
            "stream_id": f"unit-{payload.get('unit_id')}", "version": 1,
            "position": next(_positions), "occurred_at": "2005-02-01T00:00:00.000Z",
            "recorded_at": "2005-02-01T00:00:00.000Z",
            "actor": {"id": actor_id, "name": "unit", "role": "unit", "scope": UNIT},
            "correlation_id": "c", "causation_id": None, "payload": payload, "hash": "",
            "prev_hash": ""}


def runner(*envelopes, projections=PROJECTIONS):
    r = MemoryProjectionRunner(projections)
    for env in envelopes:
        source = "supervision" if env["type"] in _OWN else "units"
        r.apply(env, source)
    return r


_OWN = {"GroupFormed", "UnitAssigned", "GroupArrived", "ArrivalTaskCompleted", "WorkPlanReviewed",
        "TransitionAgreed", "TransitionApproved", "ReportFiled", "TemporaryBranchEstablished",
        "LeaveRequested", "LeaveDecided", "MemberBatchJoined", "InspectionRecorded",
        "TypicalCaseReported", "TypicalCaseRecommended", "BriefingCompiled", "DeadlineExtended"}


def assign(unit_id, count, over=False):
    return own(UnitAssigned(group_id=G1, unit_id=unit_id, over_soft_limit=over, unit_count=count,
                            soft_limit=2, assigned_on="2005-01-25"))


# ---------------------------------------------------------------- console
def test_console_group_warns_beyond_the_soft_limit():
    r = runner(own(formed()), assign("u1", 1), assign("u2", 2), assign("u3", 3, over=True))
    doc = r.collections[CONSOLE_GROUPS][G1]
    assert (doc["name"], doc["leader_name"], doc["unit_count"]) == ("第一督导组", "张组长", 3)
    assert doc["over_soft_limit"] is True and "soft limit of 2" in doc["warnings"][0]
    assert r.collections[PORTFOLIOS][G1]["over_soft_limit"] is True


def test_console_recomputes_the_arrival_deadline_when_the_meeting_moves():
    r = runner(assign(UNIT, 1),
               foreign("MobilizationMeetingScheduled", {"unit_id": UNIT, "date": "2005-02-18"}))
    assert r.collections[CONSOLE_UNITS][UNIT]["arrival_deadline"] == "2005-02-16"
    r.apply(foreign("MobilizationMeetingScheduled", {"unit_id": UNIT, "date": "2005-02-25",
                                                     "previous_date": "2005-02-18"}), "units")
    doc = r.collections[CONSOLE_UNITS][UNIT]
    assert (doc["meeting_date"], doc["arrival_deadline"], doc["group_id"]) == (
        "2005-02-25", "2005-02-23", G1)


def test_console_deadline_uses_the_configured_lead_days():
    r = runner(foreign("MobilizationMeetingScheduled", {"unit_id": UNIT, "date": "2005-02-18"}),
               projections=build_projections(SupervisionConfig(arrival_lead_days=5)))
    assert r.collections[CONSOLE_UNITS][UNIT]["arrival_deadline"] == "2005-02-13"


def test_late_arrival_is_reported_on_the_console():
    late = GroupArrived(group_id=G1, unit_id=UNIT, date="2005-02-17", deadline="2005-02-16",
                        late=True, meeting_date="2005-02-18",
                        tasks=["review_work_plan", "supervise_mobilization_meeting",
                               "prepare_leader_speech"])
    r = runner(own(formed()), assign(UNIT, 1), own(late))
    assert r.collections[CONSOLE_GROUPS][G1]["late_arrivals"] == [
        {"unit_id": UNIT, "date": "2005-02-17", "deadline": "2005-02-16"}]
    unit = r.collections[CONSOLE_UNITS][UNIT]
    assert unit["late"] is True and unit["tasks"]["review_work_plan"] == "open"


def test_pending_plan_review_appears_on_submission_and_clears_on_review():
    r = runner(assign(UNIT, 1),
               foreign("WorkPlanSubmitted", {"unit_id": UNIT, "plan_version": 1,
                                             "plan": FULL_PLAN}))
    assert r.collections[CONSOLE_UNITS][UNIT]["plan"]["pending_review"] is True
    r.apply(own(WorkPlanReviewed(unit_id=UNIT, group_id=G1, plan_version=1, decision="approve",
                                 comments="", missing=[], date="2005-02-16")), "supervision")
    plan = r.collections[CONSOLE_UNITS][UNIT]["plan"]
    assert plan["pending_review"] is False and plan["reviews"] == {"1": "approve"}
    r.apply(foreign("WorkPlanSubmitted", {"unit_id": UNIT, "plan_version": 2, "plan": {}}),
            "units")
    assert r.collections[CONSOLE_UNITS][UNIT]["plan"]["pending_review"] is True


def transition_applied(tid="t1"):
    return foreign("TransitionApplied", {"unit_id": UNIT, "transition_id": tid,
                                         "from_phase": "mobilization", "to_phase": "analysis",
                                         "summary": "总结"})


AGREED = TransitionAgreed(transition_id="t1", unit_id=UNIT, group_id=G1, comments="",
                          from_phase="mobilization", to_phase="analysis")
APPROVED = TransitionApproved(transition_id="t1", unit_id=UNIT, from_phase="mobilization",
                              to_phase="analysis", comments="", group_id=G1)


def test_transition_moves_from_group_review_to_office_approval_to_done():
    r = runner(assign(UNIT, 1), transition_applied())
    doc = r.collections[CONSOLE_UNITS][UNIT]
    assert (doc["pending_group_reviews"], doc["pending_office_approvals"]) == (["t1"], [])
    r.apply(own(AGREED), "supervision")
    doc = r.collections[CONSOLE_UNITS][UNIT]
    assert (doc["pending_group_reviews"], doc["pending_office_approvals"]) == ([], ["t1"])
    r.apply(own(APPROVED), "supervision")
    doc = r.collections[CONSOLE_UNITS][UNIT]
    assert doc["transitions"]["t1"]["status"] == "approved"
    assert doc["pending_office_approvals"] == []


def test_a_late_delivered_application_does_not_undo_the_groups_review():
    r = runner(assign(UNIT, 1), own(AGREED), transition_applied())
    assert r.collections[CONSOLE_UNITS][UNIT]["transitions"]["t1"]["status"] == "agreed"


def urgent_report():
    return ReportFiled(report_id="r1", unit_id=UNIT, group_id=G1, kind="major_issue",
                       title="群众集体上访", body="…", date="2005-02-20", urgent=True)


def test_urgent_reports_are_flagged_for_the_office():
    progress = ReportFiled(report_id="r2", unit_id=UNIT, group_id=G1, kind="progress", title="p",
                           body="b", date="2005-02-21", urgent=False)
    r = runner(own(formed()), assign(UNIT, 1), own(urgent_report()), own(progress))
    assert [x["report_id"] for x in r.collections[CONSOLE_GROUPS][G1]["urgent_reports"]] == ["r1"]
    assert [x["report_id"] for x in r.collections[CONSOLE_UNITS][UNIT]["urgent_reports"]] == ["r1"]
    assert set(r.collections[REPORTS]) == {"r1", "r2"}
    assert r.collections[REPORTS]["r1"]["kind"] == "major_issue"


def test_deadline_extension_shows_on_the_unit():
    r = runner(foreign("PhaseEntered", {"unit_id": UNIT, "phase": "analysis",
                                        "previous_phase": "mobilization",
                                        "deadline": "2005-04-30", "reason": "approved"}),
               own(DeadlineExtended(unit_id=UNIT, phase="analysis", until="2005-05-10",
                                    reason="质量")))
    doc = r.collections[CONSOLE_UNITS][UNIT]
    assert doc["phase_deadline"] == "2005-05-10" and doc["extensions"][0]["reason"] == "质量"


# -------------------------------------------------------------- portfolio
def test_portfolio_tracks_people_branch_leave_batches_and_units():
    branch = TemporaryBranchEstablished(group_id=G1, secretary_member_id="p-lead",
                                        rules={"study": "a", "deliberation": "b", "leave": "c"},
                                        established_on="2005-01-21")
    leave = LeaveRequested(group_id=G1, leave_id="l1", member_id="p-m1", from_date="2005-03-01",
                           to_date="2005-03-02", reason="事", requested_on="2005-02-27")
    decided = LeaveDecided(group_id=G1, leave_id="l1", member_id="p-m1", decision="approve",
                           comments="", decided_by="p-lead", decided_on="2005-02-28")
    batch = MemberBatchJoined(group_id=G1, member_id="p-m2", batch=3, home_unit="县水利局")
    arrived = GroupArrived(group_id=G1, unit_id=UNIT, date="2005-02-15", deadline="2005-02-16",
                           late=False, tasks=["review_work_plan", "prepare_leader_speech"])
    done = ArrivalTaskCompleted(group_id=G1, unit_id=UNIT, task="prepare_leader_speech",
                                date="2005-02-17", note="要点")
    inspection = InspectionRecorded(inspection_id="i1", unit_id=UNIT, group_id=G1,
                                    date="2005-03-10", scores={}, total=55, max_total=70,
                                    notes={}, findings="")
    case = TypicalCaseReported(case_id="c1", unit_id=UNIT, group_id=G1, kind="experience",
                               title="设岗创星", description="…", person_name=None,
                               date="2005-03-01")
    rec = TypicalCaseRecommended(case_id="c1", unit_id=UNIT, group_id=G1, recipient="unit",
                                 date="2005-03-02")
    r = runner(own(formed()), own(branch), own(leave), own(decided), own(batch), assign(UNIT, 1),
               own(arrived), own(done), own(inspection), own(case), own(rec), own(AGREED))
    doc = r.collections[PORTFOLIOS][G1]
    assert doc["people"]["p-lead"]["is_leader"] is True
    assert doc["people"]["p-m1"]["released_from_post"] is True
    assert doc["people"]["p-m2"]["later_batch"] == 3
    assert doc["branch"]["rules"]["leave"] == "c"
    assert doc["leaves"]["l1"]["status"] == "approved"
    unit = doc["units"][UNIT]
    assert unit["tasks"] == {"review_work_plan": "open", "prepare_leader_speech": "done"}
    assert unit["inspections"] == [{"inspection_id": "i1", "date": "2005-03-10", "total": 55,
                                    "max_total": 70}]
    assert unit["cases"]["c1"]["recommended_to"] == ["unit"]
    assert unit["transitions"] == {"t1": "agreed"}


# ------------------------------------------------- history, lookup, briefings
def test_unit_history_lists_supervision_events_in_order_and_lookup_names_the_group():
    envs = [assign(UNIT, 1), own(AGREED), own(APPROVED)]
    r = runner(*envs)
    history = r.collections[HISTORY][UNIT]
    assert [e["type"] for e in history["entries"]] == ["UnitAssigned", "TransitionAgreed",
                                                       "TransitionApproved"]
    assert history["group_id"] == G1 and history["entries"][1]["actor"]["role"] == "supervisor"
    r.apply(envs[1], "supervision")  # a replayed envelope is not listed twice
    assert len(r.collections[HISTORY][UNIT]["entries"]) == 3
    assert r.collections[UNIT_GROUPS][UNIT] == {"unit_id": UNIT, "group_id": G1,
                                                "assigned_on": "2005-01-25", "_id": UNIT}


def test_briefing_doc_is_kept():
    event = BriefingCompiled(briefing_id="b1", title="简报第1期", period_from="2005-02-15",
                             period_to="2005-02-25", compiled_on="2005-02-26", sections=[],
                             report_ids=["r1"])
    r = runner(own(event, stream="briefing-b1"))
    assert r.collections[BRIEFINGS]["b1"]["report_ids"] == ["r1"]


# ------------------------------------------------------------------ facts
def test_unit_facts_feed_the_commands():
    r = runner(
        foreign("UnitRegistered", {"unit_id": UNIT, "name": "县委办公室", "org_type": "党支部",
                                   "batch": 1}),
        foreign("MobilizationMeetingScheduled", {"unit_id": UNIT, "date": "2005-02-18"}),
        foreign("WorkPlanSubmitted", {"unit_id": UNIT, "plan_version": 2, "plan": FULL_PLAN}),
        foreign("WorkPlanSubmitted", {"unit_id": UNIT, "plan_version": 1, "plan": {}}),
        foreign("RequirementsSet", {"unit_id": UNIT, "text": "具体要求", "items": ["a"]}),
        foreign("RectificationMeasureAdded", {"unit_id": UNIT, "measure_id": "m1"}),
        foreign("RectificationMeasureAdded", {"unit_id": UNIT, "measure_id": "m2"}),
        foreign("RectificationMeasureCompleted", {"unit_id": UNIT, "measure_id": "m1"}),
        transition_applied(),
    )
    facts = r.collections[UNIT_FACTS][UNIT]
    assert (facts["name"], facts["meeting_date"], facts["plan_version"]) == (
        "县委办公室", "2005-02-18", 2)
    assert facts["requirements_present"] is True and facts["open_rectifications"] == ["m2"]
    assert facts["open_problems"] == [f"{UNIT}.before-ledger"]  # old measures: the legacy problem
    assert speech_draft(facts) == FULL_PLAN["speech_draft"]
    app = transition_application(r.collections[TRANSITION_FACTS]["t1"])
    assert (app.unit_id, app.from_phase, app.to_phase, app.applicant_id) == (
        UNIT, "mobilization", "analysis", "unit-u1")
    assert transition_application(None) is None and speech_draft(None) is None


def test_projections_ignore_events_they_do_not_know():
    r = runner(foreign("StudySessionRecorded", {"unit_id": UNIT}))
    assert all(not docs for docs in r.collections.values())


# ------------------------------------------------------- a legacy event type
def test_a_log_holding_a_legacy_acceptance_inspection_verifies_folds_and_projects():
    """AcceptanceInspected is no longer written (检查验收 is the evaluation service's):
    a supervision log that holds one still verifies, folds and projects, the event
    changing nothing but the unit's history, where it stays listed as logged."""
    from services.supervision.domain import AcceptanceInspected, fold_unit
    from shared.eventstore.memory import MemoryEventStore
    from tests.unit.supervision.helpers import arrived, assigned

    legacy = AcceptanceInspected(unit_id=UNIT, group_id=G1, date="2005-06-20", result="pass",
                                 office_participants=["宋善玺"], survey_id="s1", notes="合格")
    actor = {"id": "p-lead", "name": "张组长", "role": "supervisor", "scope": G1}

    def log(*events):
        store = MemoryEventStore("supervision")
        store.append(group_stream(G1), 0, [formed()], actor=actor)
        store.append(unit_stream(UNIT), 0, [assigned(), arrived()], actor=actor)
        if events:
            store.append(unit_stream(UNIT), 2, list(events), actor=actor)
        return store

    with_legacy, without = log(legacy), log()
    assert with_legacy.verify()["ok"] is True
    assert fold_unit(with_legacy.read_stream(unit_stream(UNIT))) == fold_unit(
        without.read_stream(unit_stream(UNIT)))

    def project(store):
        r = MemoryProjectionRunner(PROJECTIONS)
        for env in store.events_since(0):
            r.apply(env, "supervision")
        return r.collections

    projected, expected = project(with_legacy), project(without)
    for collection in expected:
        if collection != HISTORY:
            assert projected[collection] == expected[collection], collection
    entries = projected[HISTORY][UNIT]["entries"]
    assert [e["type"] for e in entries] == ["UnitAssigned", "GroupArrived", "AcceptanceInspected"]
    assert "acceptance" not in projected[PORTFOLIOS][G1]["units"][UNIT]


def test_unit_facts_keep_the_ledgers_open_problems():
    r = runner(
        foreign("ProblemRecorded", {"unit_id": UNIT, "problem_id": "u.p-1"}),
        foreign("ProblemRecorded", {"unit_id": UNIT, "problem_id": "u.p-2"}),
        foreign("ProblemSignedOff", {"unit_id": UNIT, "problem_id": "u.p-1"}),
        foreign("ProblemCarriedForward", {"unit_id": UNIT, "problem_id": "u.p-2"}),
        foreign("ProblemReopened", {"unit_id": UNIT, "problem_id": "u.p-1"}),
    )
    assert r.collections[UNIT_FACTS][UNIT]["open_problems"] == ["u.p-1"]


def test_unit_facts_a_proposed_problem_is_open_until_the_unit_answers_it():
    proposed = foreign("ProblemRecorded", {"unit_id": UNIT, "problem_id": "u.p-3", "status": "proposed"})
    assert runner(proposed).collections[UNIT_FACTS][UNIT]["open_problems"] == ["u.p-3"]
    r = runner(proposed, foreign("ProblemAnswered", {"unit_id": UNIT, "problem_id": "u.p-3", "reply": "理由",
                                                     "date": "2024-05-01"}))
    assert r.collections[UNIT_FACTS][UNIT]["open_problems"] == []
    r = runner(proposed, foreign("ProblemAccepted", {"unit_id": UNIT, "problem_id": "u.p-3",
                                                     "category": "livelihood", "date": "2024-05-01"}))
    assert r.collections[UNIT_FACTS][UNIT]["open_problems"] == ["u.p-3"]
