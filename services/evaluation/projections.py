"""The evaluation service's read models, as pure functions of event envelopes.

Collections (documents keyed by ``_id``):

* ``evaluation_unit_facts`` (from units): per unit its phase, members, latest public
  notification and survey round — the facts ``decide`` needs (``unit_facts_from_docs``).
* ``evaluation_unit_groups`` (from supervision): per unit its supervision group and the
  day the group arrived there (``arrived_on``).
* ``ballot_tokens`` (own, private): per token hash the survey it belongs to, so the
  handler can route ``POST /ballots {token}``. Never served over HTTP.
* ``survey_results`` (own, public): per survey its status and, once closed, the result
  with exact shares, confidence intervals and turnout; ``audit`` holds the frozen frame,
  the revealed seed and the sample with a re-run verification.
* ``evaluation_history`` (own): per unit every survey (a failed one and the one after
  补课 both stay), the phase-2 records (metadata only) and the acceptance inspections.
* ``county_results`` (own): per unit one row of the county's pass/fail table;
  ``county_table`` joins it with unit names and batches for display.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from services.evaluation.domain.analysis import OPINION_SOURCES
from services.evaluation.domain.sampling import verify_draw
from shared.personal_data import scrub
from shared.projection import Projection, by_type

Doc = dict[str, Any]

UNIT_FACTS = "evaluation_unit_facts"
UNIT_GROUPS = "evaluation_unit_groups"
BALLOT_TOKENS = "ballot_tokens"
SURVEY_RESULTS = "survey_results"
HISTORY = "evaluation_history"
COUNTY_RESULTS = "county_results"


def _payload(env: Mapping[str, Any]) -> dict:
    return env["payload"]


# Every handler returns a new document and leaves the one it is given (and the envelope)
# untouched: Projection's contract, the runners no longer copy documents.

# ---------------------------------------------------------------- unit facts (from units)

def _unit_base(unit_id: str) -> Doc:
    return {"unit_id": unit_id, "name": None, "org_type": None, "batch": None,
            "phase": "registered", "survey_round": 0, "members": [], "latest_notification": None}


def _unit_registered(doc, env):
    p = _payload(env)
    return {**(doc or _unit_base(p["unit_id"])),
            "name": p.get("name"), "org_type": p.get("org_type"), "batch": p.get("batch")}


def _member_enrolled(doc, env):
    p = _payload(env)
    doc = doc or _unit_base(p["unit_id"])
    member = {"member_id": p["member_id"], "name": p.get("name", ""), "section": p.get("section"),
              "is_leader": bool(p.get("is_leader")), "is_retired": bool(p.get("is_retired"))}
    return {**doc, "members": [m for m in doc["members"] if m["member_id"] != p["member_id"]] + [member]}


def _personal_data_erased(doc, env):
    """The office forgot a member's name (shared.personal_data): 已删除 in its place."""
    return None if doc is None else scrub(doc, _payload(env)["subject_id"])


def _phase_entered(doc, env):
    p = _payload(env)
    doc = {**(doc or _unit_base(p["unit_id"])), "phase": p["phase"]}
    if p["phase"] == "survey":
        # each entry into phase survey allows one survey (the first, or the one after 补课)
        doc["survey_round"] = doc.get("survey_round", 0) + 1
    return doc


def _respondents_erased(doc, env):
    """The retention after acceptance passed (units' RespondentNamesErased): 已删除 in place
    of every name of the people notified; their pseudonymous ids (the frame) stay."""
    if doc is None:
        return None
    for subject in _payload(env)["subject_ids"]:
        doc = scrub(doc, subject)
    return doc


def _public_notified(doc, env):
    p = _payload(env)
    doc = doc or _unit_base(p["unit_id"])
    phase = p.get("phase")  # absent in notifications logged before the phase was recorded
    # who the pseudonymous ids of the scope name (the draw's slips print the names); the
    # ids of every notification are kept, a survey's frame being an earlier one's
    known = {r["person_id"] for r in doc.get("respondents", [])}
    respondents = [*doc.get("respondents", []),
                   *({"person_id": r["person_id"], "name": r.get("name", "")}
                     for r in p.get("people") or [] if r["person_id"] not in known)]
    return {**doc, "respondents": respondents,
            "latest_notification": {
                "notification_id": p["notification_id"], "scope": list(p.get("scope", [])),
                "date": p.get("date"), "phase": phase,
                # the entry into phase survey it frames: the units log is read in order, so
                # the round counted so far is the one the unit was in when it notified
                "survey_round": doc.get("survey_round", 0) if phase == "survey" else None,
                "rectification_status": p.get("rectification_status") or ""}}


_facts_keys, _facts_apply = by_type({
    "UnitRegistered": _unit_registered,
    "MemberEnrolled": _member_enrolled,
    "PersonalDataErased": _personal_data_erased,
    "RespondentNamesErased": _respondents_erased,
    "PhaseEntered": _phase_entered,
    "PublicNotified": _public_notified,
}, "unit_id")

UNIT_FACTS_PROJECTION = Projection(collection=UNIT_FACTS, source="units", keys=_facts_keys,
                                   apply=_facts_apply, indexes=([("phase", 1)],),
                                   new_on=frozenset({"UnitRegistered"}))  # the unit's first event


# ---------------------------------------------------------------- unit groups (from supervision)

def _unit_assigned(doc, env):
    p = _payload(env)
    return {**(doc or {}), "unit_id": p["unit_id"], "group_id": p["group_id"]}


def _group_arrived(doc, env):
    p = _payload(env)
    return {**(doc or {"unit_id": p["unit_id"], "group_id": p["group_id"]}), "arrived_on": p["date"]}


_groups_keys, _groups_apply = by_type({"UnitAssigned": _unit_assigned,
                                       "GroupArrived": _group_arrived}, "unit_id")

UNIT_GROUPS_PROJECTION = Projection(collection=UNIT_GROUPS, source="supervision",
                                    keys=_groups_keys, apply=_groups_apply,
                                    indexes=([("group_id", 1)],))


# ---------------------------------------------------------------- ballot tokens (private)

def _token_keys(env) -> list[str]:
    if env["type"] in ("SlipsIssued", "SampleDrawn"):  # SampleDrawn: logs before issue 19
        return list(_payload(env).get("token_hashes", []))
    if env["type"] == "BallotCast":
        return [_payload(env)["token_hash"]]
    return []


def _token_apply(doc, env, key):
    p = _payload(env)
    if env["type"] in ("SlipsIssued", "SampleDrawn"):
        return {"token_hash": key, "survey_id": p["survey_id"], "unit_id": p["unit_id"], "spent": False}
    return {**(doc or {"token_hash": key, "survey_id": p["survey_id"], "unit_id": p["unit_id"]}),
            "spent": True}


BALLOT_TOKENS_PROJECTION = Projection(collection=BALLOT_TOKENS, source="evaluation",
                                      keys=_token_keys, apply=_token_apply,
                                      indexes=([("survey_id", 1)],))


# ---------------------------------------------------------------- survey results (public)

def _survey_opened(doc, env):
    p = _payload(env)
    return {
        "survey_id": p["survey_id"], "unit_id": p["unit_id"], "group_id": p["group_id"],
        "survey_round": p.get("survey_round"), "status": "open", "outcome": None,
        "opened_on": p.get("opened_on"), "drawn_on": None, "closed_on": None,
        "notification_id": p["notification_id"], "frame_size": len(p["frame"]),
        "sample_size": p["sample_size"], "seed_hash": p["seed_hash"], "ballots_cast": 0,
        "slips": {"issued": 0, "used": 0, "unused": 0},
        "result": None,
        "audit": {"algorithm": p.get("algorithm"), "frame": list(p["frame"]), "seed": None,
                  "public_entropy": None, "sample": None, "verification": None},
    }


def _sample_drawn(doc, env):
    p = _payload(env)
    audit = doc["audit"]
    opened = {"survey_id": doc["survey_id"], "frame": audit["frame"],
              "sample_size": doc["sample_size"], "seed_hash": doc["seed_hash"]}
    check = verify_draw(opened, p)
    audit = {**audit, "seed": p["seed"], "public_entropy": p.get("public_entropy", ""),
             "sample": list(p["sample"]), "verification": {"ok": check["ok"], "checks": check["checks"]}}
    issued = len(p.get("token_hashes") or [])  # logs before issue 19; now SlipsIssued
    return {**doc, "audit": audit, "status": "drawn", "drawn_on": p.get("drawn_on"),
            "slips": _slips(doc, issued=issued) if issued else doc.get("slips")}


def _slips(doc, issued: int | None = None, used: int | None = None) -> dict:
    """Slips issued, used (ballots cast), unused: counts only, never a hash or a person."""
    old = doc.get("slips") or {"issued": 0, "used": doc.get("ballots_cast", 0)}
    issued = old["issued"] if issued is None else issued
    used = old["used"] if used is None else used
    return {"issued": issued, "used": used, "unused": max(issued - used, 0)}


def _slips_issued(doc, env):
    return {**doc, "slips": _slips(doc, issued=len(_payload(env)["token_hashes"]))}


def _ballot_counted(doc, env):
    # only the running count: ratings stay unpublished until the survey closes
    cast = doc.get("ballots_cast", 0) + 1
    return {**doc, "ballots_cast": cast, "slips": _slips(doc, used=cast)}


def _outcome(p: Mapping[str, Any]) -> str:
    """passed | failed | invalid (under the minimum turnout; logs before the gate were valid)."""
    if not p.get("valid", True):
        return "invalid"
    return "passed" if p["passed"] else "failed"


def _survey_closed(doc, env):
    p = _payload(env)
    result = {k: p[k] for k in ("eligible", "ballots_cast", "frame_size", "turnout",
                                "threshold", "leadership", "campaign", "passed")}
    result["satisfied_means"] = ["satisfied", "basically_satisfied"]  # 满意 + 基本满意
    result.update(valid=p.get("valid", True), min_turnout=p.get("min_turnout"),
                  invalid_reasons=list(p.get("invalid_reasons") or []))
    return {**doc, "status": "closed", "closed_on": p.get("closed_on"), "ballots_cast": p["ballots_cast"],
            "outcome": _outcome(p), "result": result}


_results_keys, _results_apply = by_type({
    "SurveyOpened": _survey_opened,
    "SampleDrawn": _sample_drawn,
    "SlipsIssued": _slips_issued,
    "BallotCast": _ballot_counted,
    "SurveyClosed": _survey_closed,
}, "survey_id")

SURVEY_RESULTS_PROJECTION = Projection(collection=SURVEY_RESULTS, source="evaluation",
                                       keys=_results_keys, apply=_results_apply,
                                       indexes=([("unit_id", 1)], [("status", 1)]))


# ---------------------------------------------------------------- a unit's evaluation history

def history_base(unit_id: str) -> Doc:
    return {"unit_id": unit_id, "surveys": [],
            "analysis": {"opinions": [], "talks": [], "party_spirit_analyses": [],
                         "democratic_life_meetings": []},
            "inspections": []}


def _history_handler(update):
    def handler(doc, env):
        p = _payload(env)
        return update(doc or history_base(p["unit_id"]), p)
    return handler


def _with_survey(doc: Doc, survey_id: str, **changes) -> Doc:
    """``doc`` with the (first) entry of ``survey_id`` changed; StopIteration when absent."""
    i = next(i for i, s in enumerate(doc["surveys"]) if s["survey_id"] == survey_id)
    surveys = list(doc["surveys"])
    surveys[i] = {**surveys[i], **changes}
    return {**doc, "surveys": surveys}


def _with_analysis(doc: Doc, field: str, entry: Doc) -> Doc:
    analysis = doc["analysis"]
    return {**doc, "analysis": {**analysis, field: [*analysis[field], entry]}}


def _h_opened(doc, p):
    return {**doc, "surveys": [*doc["surveys"], {
        "survey_id": p["survey_id"], "survey_round": p.get("survey_round"),
        "group_id": p["group_id"], "opened_on": p.get("opened_on"),
        "closed_on": None, "status": "open", "outcome": None,
        "sample_size": p["sample_size"], "frame_size": len(p["frame"]),
        "share_leadership": None, "share_campaign": None}]}


def _h_drawn(doc, p):
    return _with_survey(doc, p["survey_id"], status="drawn")


def _h_closed(doc, p):
    outcome = _outcome(p)
    shares = ((None, None) if outcome == "invalid"  # no verdict, so no share to show as one
              else (p["leadership"]["share"], p["campaign"]["share"]))
    return _with_survey(doc, p["survey_id"], status="closed", closed_on=p.get("closed_on"),
                        outcome=outcome, share_leadership=shares[0], share_campaign=shares[1],
                        turnout=p["turnout"], invalid_reasons=list(p.get("invalid_reasons") or []))


def _h_inspected(doc, p):
    return {**doc, "inspections": [*doc["inspections"], {
        k: p.get(k) for k in ("inspection_id", "survey_id", "group_id", "result", "notes", "date")}]}


def _h_opinions(doc, p):
    return _with_analysis(doc, "opinions", {
        "record_id": p["record_id"], "source": p["source"],
        "source_label": OPINION_SOURCES.get(p["source"]), "source_name": p.get("source_name"),
        "led_by_member_id": p["led_by_member_id"], "led_by_leader": p["led_by_leader"],
        "date": p["date"], "opinion_count": p["opinion_count"]})


def _h_talk(doc, p):
    # who the talk was with stays out of the read model: 谈心 is confidential
    return _with_analysis(doc, "talks", {"talk_id": p["talk_id"], "member_id": p["member_id"],
                                         "by_leader": p["by_leader"], "date": p["date"]})


def _h_analysis(doc, p):
    return _with_analysis(doc, "party_spirit_analyses",
                          {"member_id": p["member_id"], "is_leader": p["is_leader"], "date": p["date"]})


def _h_meeting(doc, p):
    return _with_analysis(doc, "democratic_life_meetings",
                          {"meeting_id": p["meeting_id"], "date": p["date"],
                           "participant_member_ids": list(p["participant_member_ids"])})


_history_keys, _history_apply = by_type({t: _history_handler(f) for t, f in {
    "SurveyOpened": _h_opened,
    "SampleDrawn": _h_drawn,
    "SurveyClosed": _h_closed,
    "AcceptanceInspectionRecorded": _h_inspected,
    "OpinionsSolicited": _h_opinions,
    "HeartToHeartTalkHeld": _h_talk,
    "PartySpiritAnalysisSubmitted": _h_analysis,
    "DemocraticLifeMeetingHeld": _h_meeting,
}.items()}, "unit_id")

HISTORY_PROJECTION = Projection(collection=HISTORY, source="evaluation", keys=_history_keys,
                                apply=_history_apply)


# ---------------------------------------------------------------- county pass/fail table

def _county_base(unit_id: str) -> Doc:
    return {"unit_id": unit_id, "status": "no_survey", "surveys_held": 0, "failed_surveys": 0,
            "invalid_surveys": 0, "latest_survey_id": None, "passed_on": None, "share_leadership": None,
            "share_campaign": None, "acceptance": None}


def _county_handler(update):
    def handler(doc, env):
        p = _payload(env)
        return update(doc or _county_base(p["unit_id"]), p)
    return handler


def _c_opened(doc, p):
    return {**doc, "status": "survey_open", "latest_survey_id": p["survey_id"],
            "surveys_held": doc["surveys_held"] + 1}


def _c_closed(doc, p):
    if _outcome(p) == "invalid":
        # no verdict: the shares of an invalid survey are not the unit's result
        return {**doc, "status": "invalid", "invalid_surveys": doc.get("invalid_surveys", 0) + 1}
    doc = {**doc, "status": "passed" if p["passed"] else "failed",
           "share_leadership": p["leadership"]["share"], "share_campaign": p["campaign"]["share"]}
    if p["passed"]:
        doc["passed_on"] = p.get("closed_on")
    else:
        doc["failed_surveys"] += 1
    return doc


def _c_inspected(doc, p):
    return {**doc, "acceptance": {"result": p["result"], "date": p.get("date"),
                                  "inspection_id": p["inspection_id"]}}


_county_keys, _county_apply = by_type({t: _county_handler(f) for t, f in {
    "SurveyOpened": _c_opened,
    "SurveyClosed": _c_closed,
    "AcceptanceInspectionRecorded": _c_inspected,
}.items()}, "unit_id")

COUNTY_RESULTS_PROJECTION = Projection(collection=COUNTY_RESULTS, source="evaluation",
                                       keys=_county_keys, apply=_county_apply,
                                       indexes=([("status", 1)],))


def county_table(rows: Iterable[Mapping[str, Any]], unit_facts: Iterable[Mapping[str, Any]]) -> list[Doc]:
    """The county's pass/fail table: every known unit (surveyed or not) with its name and
    batch, ordered by batch then name. Pure join of two collections' documents."""
    by_unit = {r["unit_id"]: r for r in rows}
    table = []
    for facts in unit_facts:
        row = dict(by_unit.get(facts["unit_id"]) or _county_base(facts["unit_id"]))
        row.pop("_id", None)
        row.update(name=facts.get("name"), batch=facts.get("batch"), phase=facts.get("phase"))
        table.append(row)
    known = {r["unit_id"] for r in table}
    for unit_id, r in by_unit.items():
        if unit_id not in known:  # surveyed but its registration has not reached us yet
            row = {k: v for k, v in r.items() if k != "_id"}
            table.append({**row, "name": None, "batch": None, "phase": None})
    return sorted(table, key=lambda r: (r["batch"] or 0, r["name"] or "", r["unit_id"]))


PROJECTIONS = [UNIT_FACTS_PROJECTION, UNIT_GROUPS_PROJECTION, BALLOT_TOKENS_PROJECTION,
               SURVEY_RESULTS_PROJECTION, HISTORY_PROJECTION, COUNTY_RESULTS_PROJECTION]
