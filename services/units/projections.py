"""Read models of the units service, as pure functions of event envelopes.

- ``unit_cards``: one card per unit (phase, deadlines, group, arrival, open
  application, overdue obligations, flags). Fed by the units log and by supervision's
  and evaluation's logs (four Projection objects on one collection).
  The county overview is a query over cards: ``county_overview(cards)``.
- ``unit_members``: one document per member (unit, section, study group, flags).
"""
from __future__ import annotations

from typing import Iterable

from shared.personal_data import scrub
from shared.projection import Projection, by_type

from .domain import phases as P
from .domain.work_plan import missing_items

CARDS = "unit_cards"
MEMBERS = "unit_members"


def _date(env) -> str:
    return (env.get("occurred_at") or "")[:10]


# --- unit card: the units service's own events ---------------------------------

def _new_card(p: dict) -> dict:
    return {
        "unit_id": p["unit_id"], "name": p["name"], "org_type": p["org_type"], "batch": p["batch"],
        "sections": list(p.get("sections") or []),
        "phase": P.REGISTERED, "phase_label": P.LABELS[P.REGISTERED], "phase_entered_on": None,
        "deadlines": dict(p.get("deadlines") or {}), "deadline": None,
        "group_id": None, "group_over_soft_limit": False, "arrival": None,
        "mobilization_meeting": {"scheduled": None, "held": None},
        "work_plan": None, "requirements_set": False,
        "open_application": None, "last_application": None, "agreed_transitions": [],
        "members": {"count": 0, "leaders": 0, "retired": 0},
        "retired_without_group": [], "study_groups": {}, "contact_points": {},
        "rectification": {"total": 0, "completed": 0, "open": []},
        "notifications": [], "current_survey_id": None, "history": [], "flags": [],
        # obligations the scheduler recorded overdue and not since met or waived (supervision)
        "overdue": {"count": 0, "types": [], "obligations": {}},
    }


def _flags(card: dict) -> list[str]:
    flags = []
    plan = card["work_plan"]
    if plan and plan["status"] == "returned":
        flags.append("work_plan_returned")
    if plan and plan["missing"]["guarantee_systems"]:
        flags.append("work_plan_missing_guarantee_systems")
    if card["arrival"] and card["arrival"].get("late"):
        flags.append("late_arrival")
    if card["retired_without_group"]:
        flags.append("retired_members_without_group")
    if set(card["sections"]) - set(card["study_groups"].values()):
        flags.append("sections_without_study_group")
    if card["phase"] == P.MOBILIZATION and not card["requirements_set"]:
        flags.append("requirements_missing")
    if card["phase"] == P.REMEDIAL:
        flags.append("remedial")
    if (card.get("overdue") or {}).get("count"):
        flags.append("overdue")
    return flags


def _card_handler(change):
    """Wrap a card change so that every handler ends by recomputing the flags."""
    def handler(doc, env):
        if doc is None and env["type"] != "UnitRegistered":
            return None  # a card appears with its registration, never from a stray event
        doc = change(doc, env)
        return {**doc, "flags": _flags(doc)}
    return handler


# Handlers return a new card and never change the one they are given (Projection's
# contract): each copies the fields it changes, e.g. {**doc, "sections": [...]}.

def _registered(doc, env):
    return _new_card(env["payload"])


def _section_added(doc, env):
    return {**doc, "sections": [*doc["sections"], env["payload"]["section"]]}


def _member_enrolled(doc, env):
    p = env["payload"]
    m = doc["members"]
    members = {**m, "count": m["count"] + 1, "leaders": m["leaders"] + int(bool(p["is_leader"])),
               "retired": m["retired"] + int(bool(p["is_retired"]))}
    retired = doc["retired_without_group"]
    if p["is_retired"]:
        retired = [*retired, p["member_id"]]
    return {**doc, "members": members, "retired_without_group": retired}


def _grouped(doc, member_ids, study_group_id, section=None):
    doc = {**doc, "retired_without_group": [m for m in doc["retired_without_group"] if m not in member_ids]}
    if section is not None:
        doc["study_groups"] = {**doc["study_groups"], study_group_id: section}
    return doc


def _group_formed(doc, env):
    p = env["payload"]
    return _grouped(doc, p["member_ids"], p["study_group_id"], p["section"])


def _member_placed(doc, env):
    p = env["payload"]
    return _grouped(doc, [p["member_id"]], p["study_group_id"])


def _contact_points(doc, env):
    p = env["payload"]
    return {**doc, "contact_points": {**doc["contact_points"], p["member_id"]: list(p["sections"])}}


def _plan_submitted(doc, env):
    p = env["payload"]
    return {**doc, "work_plan": {"version": p["plan_version"], "status": "submitted",
                                 "submitted_on": _date(env), "missing": missing_items(p["plan"]),
                                 "review_comments": None, "review_missing": []}}


def _plan_reviewed(doc, env):
    p = env["payload"]
    plan = doc["work_plan"]
    if not (plan and plan["version"] == p["plan_version"]):
        return doc
    return {**doc, "work_plan": {**plan, "status": "approved" if p["decision"] == "approve" else "returned",
                                 "review_comments": p["comments"], "review_missing": list(p["missing"])}}


def _requirements(doc, env):
    return {**doc, "requirements_set": True}


def _scheduled(doc, env):
    meeting = doc["mobilization_meeting"]
    return {**doc, "mobilization_meeting": {**meeting, "scheduled": env["payload"]["date"]}}


def _held(doc, env):
    meeting = doc["mobilization_meeting"]
    return {**doc, "mobilization_meeting": {**meeting, "held": env["payload"]["date"]}}


def _applied(doc, env):
    p = env["payload"]
    status = "agreed" if p["transition_id"] in doc["agreed_transitions"] else "applied"
    return {**doc, "open_application": {"transition_id": p["transition_id"], "from_phase": p["from_phase"],
                                        "to_phase": p["to_phase"], "summary": p["summary"],
                                        "applied_on": _date(env), "status": status}}


def _closed(doc, env):
    p = env["payload"]
    doc = {**doc, "last_application": {"transition_id": p["transition_id"], "outcome": p["outcome"],
                                       "comments": p["comments"]}}
    if doc["open_application"] and doc["open_application"]["transition_id"] == p["transition_id"]:
        doc["open_application"] = None
    return doc


def _phase_entered(doc, env):
    p = env["payload"]
    entered_on = p.get("entered_on") or _date(env)
    deadlines = {**doc["deadlines"], p["phase"]: p["deadline"]} if p["deadline"] else doc["deadlines"]
    return {**doc, "phase": p["phase"], "phase_label": P.LABELS.get(p["phase"], p["phase"]),
            "phase_entered_on": entered_on, "deadlines": deadlines, "deadline": p["deadline"],
            "history": [*doc["history"], {"phase": p["phase"], "previous_phase": p["previous_phase"],
                                          "reason": p["reason"], "entered_on": entered_on}]}


def _deadline_applied(doc, env):
    p = env["payload"]
    doc = {**doc, "deadlines": {**doc["deadlines"], p["phase"]: p["until"]}}
    if p["phase"] == doc["phase"]:
        doc["deadline"] = p["until"]
    return doc


def _measure_added(doc, env):
    p = env["payload"]
    r = doc["rectification"]
    return {**doc, "rectification": {**r, "total": r["total"] + 1, "open": [
        *r["open"], {"measure_id": p["measure_id"], "kind": p["kind"],
                     "owner_member_id": p["owner_member_id"], "due": p["due"]}]}}


def _measure_completed(doc, env):
    p = env["payload"]
    r = doc["rectification"]
    return {**doc, "rectification": {**r, "completed": r["completed"] + 1,
                                     "open": [m for m in r["open"] if m["measure_id"] != p["measure_id"]],
                                     # kept while it awaits 复查, so a return restores it to open
                                     "reported": [*_without(r.get("reported", []), p), _open_entry(r, p)]}}


def _without(entries: list, p: dict) -> list:
    return [m for m in entries if m["measure_id"] != p["measure_id"]]


def _open_entry(r, p):
    """The open-list entry of a measure (ids hold dots: a list, never field names)."""
    found = [m for m in [*r["open"], *r.get("reported", [])] if m["measure_id"] == p["measure_id"]]
    return found[0] if found else {"measure_id": p["measure_id"]}


def _ledger(r: dict) -> dict:
    return {"problems": 0, "problems_open": 0, "signed_off": 0, "returns": 0, "problem_status": {}, **r}


def _measure_back(doc, env):
    """Returned by the group (or reopened by the office): open again, no longer completed."""
    p = env["payload"]
    r = _ledger(doc["rectification"])
    entry = _open_entry({"open": [], **r}, p)
    reported = _without(r.get("reported", []), p)
    returned = env["type"] == "MeasureReturned"
    return {**doc, "rectification": {
        **r, "completed": max(r["completed"] - 1, 0), "open": [*r["open"], entry], "reported": reported,
        "returns": r["returns"] + (1 if returned else 0),
        "signed_off": r["signed_off"] - (0 if returned else 1)}}


def _measure_signed_off(doc, env):
    r = _ledger(doc["rectification"])
    return {**doc, "rectification": {**r, "signed_off": r["signed_off"] + 1}}


def _problem_status(status):
    def handle(doc, env):
        p = env["payload"]
        r = _ledger(doc["rectification"])
        statuses = {**r["problem_status"], p["problem_id"].replace(".", "_"): status}
        return {**doc, "rectification": {**r, "problem_status": statuses, "problems": len(statuses),
                                         "problems_open": sum(v == "open" for v in statuses.values())}}
    return handle


def _notified(doc, env):
    p = env["payload"]
    return {**doc, "notifications": [*doc["notifications"], {
        "notification_id": p["notification_id"], "date": p["date"],
        "scope_size": len(p["scope"]), "subject": p.get("subject", ""), "phase": p.get("phase"),
        "rectification_status": p.get("rectification_status", "")}]}


_UNIT_HANDLERS = {
    "UnitRegistered": _registered, "UnitSectionAdded": _section_added, "MemberEnrolled": _member_enrolled,
    "StudyGroupFormed": _group_formed, "MemberPlacedInStudyGroup": _member_placed,
    "ContactPointsAssigned": _contact_points, "WorkPlanSubmitted": _plan_submitted,
    "WorkPlanReviewNoted": _plan_reviewed, "RequirementsSet": _requirements,
    "MobilizationMeetingScheduled": _scheduled, "MobilizationMeetingHeld": _held,
    "TransitionApplied": _applied, "TransitionApplicationClosed": _closed, "PhaseEntered": _phase_entered,
    "DeadlineApplied": _deadline_applied, "RectificationMeasureAdded": _measure_added,
    "RectificationMeasureCompleted": _measure_completed, "PublicNotified": _notified,
    "MeasureReturned": _measure_back, "MeasureReopened": _measure_back,
    "MeasureSignedOff": _measure_signed_off,
    "ProblemRecorded": _problem_status("open"), "ProblemReopened": _problem_status("open"),
    "ProblemSignedOff": _problem_status("signed_off"), "ProblemCarriedForward": _problem_status("carried"),
}


# --- unit card: supervision's and evaluation's events --------------------------

def _unit_assigned(doc, env):
    p = env["payload"]
    return {**doc, "group_id": p["group_id"], "group_over_soft_limit": bool(p.get("over_soft_limit"))}


def _group_arrived(doc, env):
    p = env["payload"]
    return {**doc, "arrival": {"group_id": p["group_id"], "date": p["date"], "deadline": p.get("deadline"),
                               "late": bool(p.get("late"))}}


def _transition_agreed(doc, env):
    tid = env["payload"]["transition_id"]
    doc = dict(doc)
    if tid not in doc["agreed_transitions"]:
        doc["agreed_transitions"] = [*doc["agreed_transitions"], tid]
    if doc["open_application"] and doc["open_application"]["transition_id"] == tid:
        doc["open_application"] = {**doc["open_application"], "status": "agreed"}
    return doc


def _overdue(obligations: dict) -> dict:
    return {"count": len(obligations), "types": sorted(set(obligations.values())),
            "obligations": obligations}


def _obligation_handler(overdue: bool):
    """The card's overdue obligations, as supervision's scheduler records them: one fell
    overdue; one is no longer (met, moved) or was waived. Only a unit's obligations reach a
    card (a group's own directives have none)."""
    def handler(doc, env):
        if doc is None:
            return None
        p = env["payload"]
        current = dict((doc.get("overdue") or {}).get("obligations") or {})
        if overdue:
            current[p["obligation_id"]] = p["kind"]
        else:
            current.pop(p["obligation_id"], None)
        doc = {**doc, "overdue": _overdue(current)}
        return {**doc, "flags": _flags(doc)}
    return handler


def _survey_opened(doc, env):
    return {**doc, "current_survey_id": env["payload"]["survey_id"]}


def _foreign_handler(change):
    def handler(doc, env):
        if doc is None:
            # the unit's registration has not reached its card yet: keep what we learn in
            # a stub that UnitRegistered completes (see _registered_over_stub)
            doc = {**_new_card({"unit_id": env["payload"]["unit_id"], "name": None, "org_type": None,
                                "batch": None}), "stub": True}
        doc = change(doc, env)
        return {**doc, "flags": _flags(doc)}
    return handler


def _registered_over_stub(doc, env):
    """UnitRegistered may find a stub made by a supervision event that overtook it."""
    card = _new_card(env["payload"])
    if doc:
        for key in ("group_id", "group_over_soft_limit", "arrival", "agreed_transitions"):
            card[key] = doc.get(key, card[key])
    card["flags"] = _flags(card)
    return card


def _units_apply_table() -> dict:
    table = {t: _card_handler(h) for t, h in _UNIT_HANDLERS.items()}
    table["UnitRegistered"] = _registered_over_stub
    return table


_card_keys, _card_apply = by_type(_units_apply_table(), "unit_id")
_sup_keys, _sup_apply = by_type({
    "UnitAssigned": _foreign_handler(_unit_assigned),
    "GroupArrived": _foreign_handler(_group_arrived),
    "TransitionAgreed": _foreign_handler(_transition_agreed),
}, "unit_id")
_eval_keys, _eval_apply = by_type({"SurveyOpened": _foreign_handler(_survey_opened)}, "unit_id")
_obligation_keys, _obligation_apply = by_type({
    "ObligationBecameOverdue": _obligation_handler(True),
    "ObligationNoLongerOverdue": _obligation_handler(False),
    "ObligationWaived": _obligation_handler(False),
}, "party")

CARD_INDEXES = ([("batch", 1), ("phase", 1)], [("group_id", 1)])

# a card is new at the unit's registration, unless an overtaking supervision event made a
# stub first (_registered_over_stub): then the insert collides and the append reads it
UNIT_CARDS = Projection(collection=CARDS, source="units", keys=_card_keys, apply=_card_apply,
                        indexes=CARD_INDEXES, new_on=frozenset({"UnitRegistered"}))
UNIT_CARDS_FROM_SUPERVISION = Projection(collection=CARDS, source="supervision", keys=_sup_keys,
                                         apply=_sup_apply)
UNIT_CARDS_FROM_EVALUATION = Projection(collection=CARDS, source="evaluation", keys=_eval_keys,
                                        apply=_eval_apply)
UNIT_CARDS_OVERDUE = Projection(collection=CARDS, source="supervision", keys=_obligation_keys,
                                apply=_obligation_apply)


# --- member list ----------------------------------------------------------------

def _member_keys(env) -> list[str]:
    p = env["payload"]
    if env["type"] in ("MemberEnrolled", "MemberPlacedInStudyGroup", "ContactPointsAssigned"):
        return [p["member_id"]]
    if env["type"] == "StudyGroupFormed":
        return list(p["member_ids"])
    if env["type"] == "PersonalDataErased":
        return [p["subject_id"]]
    return []


def _member_apply(doc, env, key):
    p = env["payload"]
    if env["type"] == "PersonalDataErased":
        return None if doc is None else {**scrub(doc, key), "erased": True}
    if env["type"] == "MemberEnrolled":
        return {"member_id": p["member_id"], "unit_id": p["unit_id"], "name": p["name"],
                "section": p["section"], "study_group_id": None, "is_leader": p["is_leader"],
                "is_retired": p["is_retired"], "contact_sections": [], "leads_study_group": False}
    if doc is None:
        return None
    if env["type"] in ("StudyGroupFormed", "MemberPlacedInStudyGroup"):
        return {**doc, "study_group_id": p["study_group_id"],
                "leads_study_group": env["type"] == "StudyGroupFormed" and p["leader_member_id"] == key}
    if env["type"] == "ContactPointsAssigned":
        return {**doc, "contact_sections": list(p["sections"])}
    return doc


UNIT_MEMBERS = Projection(collection=MEMBERS, source="units", keys=_member_keys, apply=_member_apply,
                          indexes=([("unit_id", 1), ("section", 1)], [("unit_id", 1), ("study_group_id", 1)]))

# --- retention of the people notified (issue 19) -------------------------------------------
# ``units_retention``, one doc per unit that notified people under pseudonymous ids:
# {unit_id, accepted_on (while accepted), respondents: [person_id], erased: [person_id]};
# what the scheduler (handlers.observe_retention) looks at. Ids only, never a name.
RETENTION = "units_retention"


def _retention_keys(env) -> list[str]:
    p = env["payload"]
    if env["type"] == "PublicNotified" and not p.get("people"):
        return []
    return [p["unit_id"]] if env["type"] in ("PhaseEntered", "PublicNotified", "RespondentNamesErased") else []


def _retention_apply(doc, env, key):
    p = env["payload"]
    if env["type"] == "PhaseEntered":
        if doc is None and p["phase"] != P.ACCEPTED:
            return None
        doc = doc or {"unit_id": key, "accepted_on": None, "respondents": [], "erased": []}
        return {**doc, "accepted_on": (p.get("entered_on") or env.get("occurred_at", "")[:10])
                if p["phase"] == P.ACCEPTED else None}
    doc = doc or {"unit_id": key, "accepted_on": None, "respondents": [], "erased": []}
    if env["type"] == "PublicNotified":
        ids = [person["person_id"] for person in p["people"]]
        return {**doc, "respondents": doc["respondents"] + [i for i in ids if i not in doc["respondents"]]}
    erased = set(doc["erased"]) | set(p["subject_ids"])
    return {**doc, "erased": sorted(erased)}


UNITS_RETENTION = Projection(collection=RETENTION, source="units", keys=_retention_keys,
                             apply=_retention_apply, indexes=([("accepted_on", 1)],))

PROJECTIONS = [UNIT_CARDS, UNIT_CARDS_FROM_SUPERVISION, UNIT_CARDS_FROM_EVALUATION, UNIT_CARDS_OVERDUE,
               UNIT_MEMBERS, UNITS_RETENTION]


# --- queries over the read models ------------------------------------------------

def county_overview(cards: Iterable[dict]) -> dict:
    """Units by batch and phase (the office's overview), with the flagged ones named."""
    by_batch: dict = {}
    by_phase: dict = {}
    flagged = []
    total = 0
    for card in cards:
        if card.get("stub"):
            continue
        total += 1
        batch = str(card["batch"])
        by_batch.setdefault(batch, {}).setdefault(card["phase"], 0)
        by_batch[batch][card["phase"]] += 1
        by_phase[card["phase"]] = by_phase.get(card["phase"], 0) + 1
        if card["flags"]:
            flagged.append({"unit_id": card["unit_id"], "flags": list(card["flags"])})
    return {"total": total, "by_batch": by_batch, "by_phase": by_phase, "flagged": flagged}
