"""The mass satisfaction survey (群众满意度测评, R12) and acceptance inspection (R13).

One aggregate per unit, stream ``surveys-<unit_id>``: it holds every survey the unit
has had (the history keeps a failed survey and the one after 补课) and the acceptance
inspections, so that "one open survey at a time", "one survey per entry into phase
survey", "a token from another survey" and "inspection only after a passed survey"
are checked against one consistent, version-guarded state.

Life of a survey: OpenSurvey (frame frozen, sha256(seed) committed) → DrawSample (seed
revealed, sample drawn, token hashes issued) → CastBallot × n → CloseSurvey (exact
tally; SurveyPassed or SurveyFailed, which the units service turns into readiness for
检查验收 or 补课).

The validity gate (issue 15): a survey opens only on a notification (通报) made in the
current entry into phase survey that states the rectification status, and with a sample
of at least ``min_sample`` (or the whole notified scope when smaller); it closes valid
only when at least ``min_turnout`` of the sample voted. An under-turnout survey closes
invalid (SurveyClosed with ``valid`` false, then SurveyInvalidated): neither passed nor
failed, the unit stays in phase survey and the survey is repeated in the same entry.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from services.evaluation.domain import guards
from services.evaluation.domain.config import EvaluationConfig
from services.evaluation.domain.facts import UnitFacts
from services.evaluation.domain.hashing import seed_problem, sha256_hex, token_problem
from services.evaluation.domain.sampling import ALGORITHM, draw_sample
from services.evaluation.domain.tally import RATINGS, TARGETS, exact, meets_threshold, tally
from shared.domain import SYSTEM, Actor, Conflict, Event, Forbidden, NotFound, Rejected

SURVEY_PHASE = "survey"
INSPECTION_RESULTS = ("pass", "fail")


def survey_stream(unit_id: str) -> str:
    return f"surveys-{unit_id}"


# ---------------------------------------------------------------- events

@dataclasses.dataclass(frozen=True)
class SurveyOpened(Event):
    survey_id: str
    unit_id: str
    group_id: str
    sample_size: int
    frame: list            # the notified scope, copied (frozen) at opening
    seed_hash: str         # sha256 of the seed, committed before the draw
    notification_id: str
    notified_on: str | None
    survey_round: int
    opened_on: str
    algorithm: str = ALGORITHM


@dataclasses.dataclass(frozen=True)
class SampleDrawn(Event):
    survey_id: str
    unit_id: str
    seed: str              # revealed: sha256(seed) == SurveyOpened.seed_hash
    public_entropy: str
    algorithm: str
    sample: list           # in draw order, re-runnable with sampling.draw_sample
    drawn_on: str
    # logs before issue 19 carried the slips' hashes here; since then ``SlipsIssued`` does,
    # so no stored document holds both the sampled people and a token hash
    token_hashes: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class SlipsIssued(Event):
    """The ballot slips of a draw: the hashes of their tokens, sorted, tied to the survey
    and never to a person (the sample is in ``SampleDrawn``, a separate event)."""
    survey_id: str
    unit_id: str
    token_hashes: list     # sorted: nothing in their order follows the sample's


@dataclasses.dataclass(frozen=True)
class BallotCast(Event):
    # deliberately no person: only the spent token's hash, which the log never links
    # to anyone in the sample
    survey_id: str
    unit_id: str
    token_hash: str
    leadership: str
    campaign: str


@dataclasses.dataclass(frozen=True)
class SurveyClosed(Event):
    survey_id: str
    unit_id: str
    closed_on: str
    eligible: int
    ballots_cast: int
    frame_size: int
    turnout: dict          # {numerator, denominator, value}
    threshold: dict        # {numerator, denominator, value}
    leadership: dict       # {counts, satisfied_total, share{numerator,denominator,value}, ci, passed}
    campaign: dict
    passed: bool
    # the validity gate; older logs have none of these and were all valid
    valid: bool = True
    min_turnout: dict | None = None  # {numerator, denominator, value}
    invalid_reasons: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class SurveyPassed(Event):
    survey_id: str
    unit_id: str
    share_leadership: float
    share_campaign: float
    leadership_exact: dict
    campaign_exact: dict


@dataclasses.dataclass(frozen=True)
class SurveyFailed(Event):
    """Below two thirds on either target: the units service sends the unit to 补课."""

    survey_id: str
    unit_id: str
    share_leadership: float
    share_campaign: float
    leadership_exact: dict
    campaign_exact: dict
    failed_targets: list


@dataclasses.dataclass(frozen=True)
class SurveyInvalidated(Event):
    """Too few of the sample voted: neither passed nor failed. The units service leaves the
    unit in phase survey, and a new survey may open in the same entry into that phase."""

    survey_id: str
    unit_id: str
    reasons: list
    ballots_cast: int
    eligible: int
    turnout: dict          # {numerator, denominator, value}
    min_turnout: dict      # {numerator, denominator, value}


@dataclasses.dataclass(frozen=True)
class AcceptanceInspectionRecorded(Event):
    inspection_id: str
    unit_id: str
    survey_id: str         # the passed survey the inspection follows
    group_id: str
    result: str            # pass | fail
    notes: str
    date: str
    recorded_by_role: str


# ---------------------------------------------------------------- commands

class SurveysCommand:
    """A survey or inspection command: it appends to its unit's ``surveys-<unit_id>``
    stream, which folds from ``INITIAL``."""

    @property
    def stream_id(self) -> str:
        return survey_stream(self.unit_id)

    @property
    def initial_state(self) -> "SurveysState":
        return INITIAL


@dataclasses.dataclass(frozen=True)
class OpenSurvey(SurveysCommand):
    survey_id: str
    unit_id: str
    group_id: str
    sample_size: int
    today: str
    seed: str = ""         # generated by the service's handler; only its hash goes into the log now
    unit: UnitFacts | None = None  # filled in by the handler from the service's projections
    actor: Actor = SYSTEM


@dataclasses.dataclass(frozen=True)
class DrawSample(SurveysCommand):
    survey_id: str
    unit_id: str
    group_id: str
    seed: str              # the sealed seed, read back by the handler
    tokens: tuple          # one fresh ballot token per sampled person, generated by the caller
    today: str
    public_entropy: str = ""
    actor: Actor = SYSTEM


@dataclasses.dataclass(frozen=True)
class CastBallot(SurveysCommand):
    survey_id: str
    unit_id: str
    token: str
    ratings: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class CloseSurvey(SurveysCommand):
    survey_id: str
    unit_id: str
    group_id: str
    today: str
    actor: Actor = SYSTEM


@dataclasses.dataclass(frozen=True)
class RecordAcceptanceInspection(SurveysCommand):
    inspection_id: str
    unit_id: str
    group_id: str
    result: str
    notes: str
    date: str
    unit: UnitFacts | None = None  # filled in by the handler from the service's projections
    actor: Actor = SYSTEM


# ---------------------------------------------------------------- state

@dataclasses.dataclass(frozen=True)
class Survey:
    survey_id: str
    group_id: str
    survey_round: int
    sample_size: int
    frame: tuple
    seed_hash: str
    status: str = "open"   # open | drawn | closed
    sample: tuple = ()
    token_hashes: frozenset = frozenset()
    spent: frozenset = frozenset()
    counts: Mapping[str, Mapping[str, int]] = dataclasses.field(
        default_factory=lambda: {t: {r: 0 for r in RATINGS} for t in TARGETS})
    passed: bool | None = None
    valid: bool = True     # False once closed under the minimum turnout


@dataclasses.dataclass(frozen=True)
class SurveysState:
    unit_id: str | None = None
    surveys: Mapping[str, Survey] = dataclasses.field(default_factory=dict)  # in opening order
    inspections: tuple = ()  # AcceptanceInspectionRecorded payloads

    @property
    def open_survey(self) -> Survey | None:
        return next((s for s in self.surveys.values() if s.status != "closed"), None)

    @property
    def latest(self) -> Survey | None:
        return next(reversed(self.surveys.values()), None) if self.surveys else None

    def survey_holding_token(self, token_hash: str) -> Survey | None:
        return next((s for s in self.surveys.values() if token_hash in s.token_hashes), None)


INITIAL = SurveysState()


def sealed_seed(command: OpenSurvey) -> dict[str, Any]:
    """The document the service keeps in its private ``sealed_seeds`` collection
    (never an event, never a projection) until the draw reveals the seed."""
    return {"_id": command.survey_id, "survey_id": command.survey_id,
            "unit_id": command.unit_id, "seed": command.seed}


# ---------------------------------------------------------------- decide

def _open(state: SurveysState, c: OpenSurvey, config: EvaluationConfig) -> list[Event]:
    guards.require_group_member(c.actor, c.group_id)
    guards.require_unit_group(c.unit.group_id, c.group_id, c.unit_id)
    if c.survey_id in state.surveys:
        raise Conflict(f"survey {c.survey_id} already exists", survey_id=c.survey_id)
    if c.unit.group_arrived_on is None:
        raise Conflict(f"group {c.group_id} has not arrived at unit {c.unit_id}; it opens a survey "
                       "only at a unit it has arrived at", unit_id=c.unit_id, group_id=c.group_id,
                       missing=["group_arrival"])
    # "原则上在巩固扩大整改成果工作结束时进行" (A): only once the unit is waiting for its survey
    if c.unit.phase != SURVEY_PHASE:
        raise Conflict(f"unit {c.unit_id} is in phase {c.unit.phase!r}; a survey opens only in phase "
                       f"'survey' (after rectification, or after 补课)",
                       unit_id=c.unit_id, phase=c.unit.phase)
    if state.open_survey is not None:
        raise Conflict(f"survey {state.open_survey.survey_id} of unit {c.unit_id} is still open",
                       open_survey_id=state.open_survey.survey_id)
    # an invalid survey (under the minimum turnout) does not use up the entry: it is repeated
    held = [s.survey_id for s in state.surveys.values()
            if s.survey_round == c.unit.survey_round and s.valid]
    if held:
        raise Conflict(f"survey {held[0]} was already held in this survey round; a new survey needs "
                       f"the unit back in phase 'survey' after 补课",
                       survey_round=c.unit.survey_round, held=held)
    frame = _frame_from_notification(c)
    _require_framing_notification(c)
    if not isinstance(c.sample_size, int) or c.sample_size < 1:
        raise Rejected("the sample size must be a positive whole number", sample_size=c.sample_size)
    if c.sample_size > len(frame):
        raise Rejected(f"a sample of {c.sample_size} is larger than the notified scope of {len(frame)}",
                       sample_size=c.sample_size, frame_size=len(frame))
    required = min(config.min_sample, len(frame))
    if c.sample_size < required:
        raise Conflict(f"a sample of {c.sample_size} is too small to be valid: at least "
                       f"{config.min_sample} people, or the whole notified scope of {len(frame)} "
                       f"when smaller, must be sampled (at least {required} here)",
                       sample_size=c.sample_size, min_sample=config.min_sample,
                       frame_size=len(frame), required=required, missing=["min_sample"])
    problem = seed_problem(c.seed)
    if problem:
        raise Rejected(problem)
    note = c.unit.latest_notification
    return [SurveyOpened(
        survey_id=c.survey_id, unit_id=c.unit_id, group_id=c.group_id, sample_size=c.sample_size,
        frame=list(frame), seed_hash=sha256_hex(c.seed), notification_id=note.notification_id,
        notified_on=note.date, survey_round=c.unit.survey_round, opened_on=c.today)]


def _frame_from_notification(c: OpenSurvey) -> tuple[str, ...]:
    # "督导组要在所在单位党组织通报情况的范围内随机抽样调查" (A): only inside the notified scope
    note = c.unit.latest_notification
    if note is None or not note.scope:
        raise Rejected(f"unit {c.unit_id} has not notified a scope of people (通报) yet; "
                       f"the survey samples only inside it", unit_id=c.unit_id)
    if any(not isinstance(p, str) or not p.strip() for p in note.scope):
        raise Rejected("the notified scope contains an empty entry", notification_id=note.notification_id)
    duplicates = sorted({p for p in note.scope if note.scope.count(p) > 1})
    if duplicates:
        raise Rejected("the notified scope lists some people twice, which would make the sample "
                       "ambiguous; notify again with distinct identifiers",
                       notification_id=note.notification_id, duplicates=duplicates)
    return tuple(note.scope)


def _require_framing_notification(c: OpenSurvey) -> None:
    # "测评前，各单位党组织要…通报先进性教育活动开展情况特别是整改情况和解决问题的情况" (A): the
    # notification framing the survey is made once the unit is in phase survey (this entry
    # into it, not the one before 补课) and says what was rectified and which problems were solved
    note = c.unit.latest_notification
    if note.phase != SURVEY_PHASE or note.survey_round != c.unit.survey_round:
        made_in = f"phase {note.phase!r}" if note.phase else "an unrecorded phase"
        if note.phase == SURVEY_PHASE:
            made_in = "an earlier entry into phase 'survey' (before 补课)"
        raise Conflict(f"the latest notification {note.notification_id} of unit {c.unit_id} was made in "
                       f"{made_in}; the notification framing a survey is made in the survey phase, "
                       f"so notify again (with the rectification status) first",
                       unit_id=c.unit_id, notification_id=note.notification_id,
                       notification_phase=note.phase, notification_survey_round=note.survey_round,
                       survey_round=c.unit.survey_round, missing=["survey_phase_notification"])
    if not (note.rectification_status or "").strip():
        raise Conflict(f"the latest notification {note.notification_id} of unit {c.unit_id} does not "
                       f"state the rectification status (整改情况和解决问题的情况); notify again with it "
                       f"before the survey", unit_id=c.unit_id, notification_id=note.notification_id,
                       missing=["rectification_status"])


def _survey(state: SurveysState, survey_id: str, what: str) -> Survey:
    survey = state.surveys.get(survey_id)
    if survey is None:
        raise NotFound(f"no survey {survey_id} has been opened for unit {state.unit_id} "
                       f"(so no seed is committed); cannot {what}", survey_id=survey_id)
    return survey


def _draw(state: SurveysState, c: DrawSample, config: EvaluationConfig) -> list[Event]:
    survey = _survey(state, c.survey_id, "draw")
    guards.require_group_member(c.actor, survey.group_id)
    if c.group_id != survey.group_id:
        raise Forbidden(f"survey {c.survey_id} belongs to group {survey.group_id}",
                        group_id=c.group_id, survey_group_id=survey.group_id)
    if survey.status != "open":
        raise Conflict(f"survey {c.survey_id} has already been drawn; a second draw is refused",
                       survey_id=c.survey_id, survey_status=survey.status)
    if not isinstance(c.seed, str) or sha256_hex(c.seed) != survey.seed_hash:
        raise Rejected("the revealed seed does not match the hash committed when the survey opened",
                       survey_id=c.survey_id, seed_hash=survey.seed_hash)
    if not isinstance(c.public_entropy, str) or len(c.public_entropy) > 200:
        raise Rejected("public_entropy must be a string of at most 200 characters")
    token_hashes = _fresh_token_hashes(state, c, survey)
    sample = draw_sample(survey.frame, survey.sample_size, c.seed, c.public_entropy)
    return [SampleDrawn(survey_id=c.survey_id, unit_id=c.unit_id, seed=c.seed,
                        public_entropy=c.public_entropy, algorithm=ALGORITHM, sample=sample,
                        drawn_on=c.today),
            SlipsIssued(survey_id=c.survey_id, unit_id=c.unit_id,
                        token_hashes=sorted(token_hashes))]


def _fresh_token_hashes(state: SurveysState, c: DrawSample, survey: Survey) -> set[str]:
    tokens = list(c.tokens)
    if len(tokens) != survey.sample_size:
        raise Rejected(f"the draw needs exactly one ballot token per sampled person "
                       f"({survey.sample_size}), got {len(tokens)}",
                       expected=survey.sample_size, got=len(tokens))
    for token in tokens:
        problem = token_problem(token)
        if problem:
            raise Rejected(problem)
    hashes = {sha256_hex(t) for t in tokens}
    if len(hashes) != len(tokens):
        raise Rejected("ballot tokens must all be different")
    if any(state.survey_holding_token(h) for h in hashes):
        raise Rejected("a ballot token was already issued for an earlier survey")
    return hashes


def _cast(state: SurveysState, c: CastBallot, config: EvaluationConfig) -> list[Event]:
    survey = _survey(state, c.survey_id, "cast a ballot")
    ratings = _valid_ratings(c.ratings)
    token_hash = sha256_hex(c.token) if isinstance(c.token, str) else ""
    if token_hash not in survey.token_hashes:
        holder = state.survey_holding_token(token_hash)
        if holder is not None:
            raise Forbidden(f"this ballot token was issued for survey {holder.survey_id}, "
                            f"not survey {c.survey_id}", survey_id=c.survey_id,
                            token_survey_id=holder.survey_id)
        raise Forbidden(f"this ballot token was not issued for survey {c.survey_id}",
                        survey_id=c.survey_id)
    if survey.status == "closed":
        raise Conflict(f"survey {c.survey_id} is closed; no more ballots", survey_id=c.survey_id)
    if token_hash in survey.spent:
        raise Conflict("this ballot token has already been used; each token votes once",
                       survey_id=c.survey_id)
    return [BallotCast(survey_id=c.survey_id, unit_id=c.unit_id, token_hash=token_hash, **ratings)]


def _valid_ratings(ratings: Any) -> dict[str, str]:
    if not isinstance(ratings, Mapping):
        raise Rejected("ratings must be an object {leadership, campaign}")
    unknown_targets = sorted(set(ratings) - set(TARGETS))
    if unknown_targets:
        raise Rejected("ratings name unknown targets", unknown=unknown_targets, allowed=list(TARGETS))
    missing = [t for t in TARGETS if ratings.get(t) is None]
    if missing:
        raise Rejected("a ballot must rate both the leadership team and the campaign overall",
                       missing=missing)
    bad = {t: ratings[t] for t in TARGETS if ratings[t] not in RATINGS}
    if bad:
        raise Rejected("unknown rating", invalid=bad, allowed=list(RATINGS))
    return {t: ratings[t] for t in TARGETS}


def _close(state: SurveysState, c: CloseSurvey, config: EvaluationConfig) -> list[Event]:
    survey = _survey(state, c.survey_id, "close")
    guards.require_group_member(c.actor, survey.group_id)
    if c.group_id != survey.group_id:
        raise Forbidden(f"survey {c.survey_id} belongs to group {survey.group_id}",
                        group_id=c.group_id, survey_group_id=survey.group_id)
    if survey.status == "closed":
        raise Conflict(f"survey {c.survey_id} is already closed", survey_id=c.survey_id)
    if survey.status == "open":
        raise Conflict(f"survey {c.survey_id} has not been drawn yet; nobody could vote",
                       survey_id=c.survey_id)
    cast = len(survey.spent)
    if cast < config.min_ballots:
        raise Rejected(f"only {cast} ballots cast; at least {config.min_ballots} needed to tally",
                       ballots_cast=cast, min_ballots=config.min_ballots)
    result = tally(survey.counts, eligible=survey.sample_size, frame_size=len(survey.frame),
                   config=config)
    targets = result["targets"]
    min_turnout = exact(config.min_turnout.numerator, config.min_turnout.denominator)
    reasons = _invalid_reasons(cast, survey.sample_size, config)
    closed = SurveyClosed(
        survey_id=c.survey_id, unit_id=c.unit_id, closed_on=c.today, eligible=result["eligible"],
        ballots_cast=result["ballots_cast"], frame_size=result["frame_size"],
        turnout=result["turnout"], threshold=result["threshold"],
        leadership=targets["leadership"], campaign=targets["campaign"],
        passed=result["passed"] and not reasons, valid=not reasons, min_turnout=min_turnout,
        invalid_reasons=reasons)
    if reasons:
        # neither passed nor failed: the tally is kept for the record, the verdict is not given
        return [closed, SurveyInvalidated(
            survey_id=c.survey_id, unit_id=c.unit_id, reasons=reasons, ballots_cast=cast,
            eligible=survey.sample_size, turnout=result["turnout"], min_turnout=min_turnout)]
    shares = dict(share_leadership=targets["leadership"]["share"]["value"],
                  share_campaign=targets["campaign"]["share"]["value"],
                  leadership_exact=targets["leadership"]["share"],
                  campaign_exact=targets["campaign"]["share"])
    if result["passed"]:
        return [closed, SurveyPassed(survey_id=c.survey_id, unit_id=c.unit_id, **shares)]
    failed = [t for t in TARGETS if not targets[t]["passed"]]
    # "群众满意度达不到三分之二的，要重新进行'补课'" (A)
    return [closed, SurveyFailed(survey_id=c.survey_id, unit_id=c.unit_id, failed_targets=failed,
                                 **shares)]


def _invalid_reasons(cast: int, sample_size: int, config: EvaluationConfig) -> list[str]:
    if meets_threshold(cast, sample_size, config.min_turnout):  # exact: 2/3 itself is enough
        return []
    t = config.min_turnout
    return [f"turnout {cast}/{sample_size} is below the minimum {t.numerator}/{t.denominator} "
            f"of the sample; the survey must be repeated"]


def _inspect(state: SurveysState, c: RecordAcceptanceInspection, config: EvaluationConfig) -> list[Event]:
    # "协助县委先进性教育活动办公室…进行检查验收" (A): the group, or the office itself
    guards.require_group_member(c.actor, c.group_id, also=("office",))
    guards.require_unit_group(c.unit.group_id, c.group_id, c.unit_id)
    if c.result not in INSPECTION_RESULTS:
        raise Rejected("the inspection result must be pass or fail", result=c.result,
                       allowed=list(INSPECTION_RESULTS))
    if any(i["inspection_id"] == c.inspection_id for i in state.inspections):
        raise Conflict(f"inspection {c.inspection_id} already recorded", inspection_id=c.inspection_id)
    latest = state.latest
    if latest is None or latest.passed is not True:
        raise Conflict(f"unit {c.unit_id} has no passed satisfaction survey; acceptance inspection "
                       f"follows a passed survey", unit_id=c.unit_id)
    if any(i["survey_id"] == latest.survey_id and i["result"] == "pass" for i in state.inspections):
        raise Conflict(f"unit {c.unit_id} already passed acceptance inspection",
                       survey_id=latest.survey_id)
    if any(i["survey_id"] == latest.survey_id for i in state.inspections):
        # a failed inspection sent the unit back to 整改提高: the next one follows a new survey
        raise Conflict(f"unit {c.unit_id} failed acceptance inspection after survey {latest.survey_id}; "
                       "it is inspected again only after rectification and a new passed survey",
                       survey_id=latest.survey_id, missing=["new_passed_survey"])
    return [AcceptanceInspectionRecorded(
        inspection_id=c.inspection_id, unit_id=c.unit_id, survey_id=latest.survey_id,
        group_id=c.group_id, result=c.result, notes=c.notes, date=c.date,
        recorded_by_role=c.actor.role)]


# command type -> decide function; merged with the analysis aggregate's in ``domain.HANDLERS``
HANDLERS = {OpenSurvey: _open, DrawSample: _draw, CastBallot: _cast, CloseSurvey: _close,
            RecordAcceptanceInspection: _inspect}


# ---------------------------------------------------------------- evolve

def _with_survey(state: SurveysState, survey: Survey) -> SurveysState:
    surveys = dict(state.surveys)
    surveys[survey.survey_id] = survey
    return dataclasses.replace(state, surveys=surveys)


def _opened(state: SurveysState, e: SurveyOpened) -> SurveysState:
    survey = Survey(survey_id=e.survey_id, group_id=e.group_id, survey_round=e.survey_round,
                    sample_size=e.sample_size, frame=tuple(e.frame), seed_hash=e.seed_hash)
    return _with_survey(dataclasses.replace(state, unit_id=e.unit_id), survey)


def _drawn(state: SurveysState, e: SampleDrawn) -> SurveysState:
    survey = state.surveys[e.survey_id]
    return _with_survey(state, dataclasses.replace(
        survey, status="drawn", sample=tuple(e.sample),
        token_hashes=survey.token_hashes | frozenset(e.token_hashes)))


def _slips(state: SurveysState, e: SlipsIssued) -> SurveysState:
    survey = state.surveys[e.survey_id]
    return _with_survey(state, dataclasses.replace(
        survey, token_hashes=survey.token_hashes | frozenset(e.token_hashes)))


def _ballot(state: SurveysState, e: BallotCast) -> SurveysState:
    survey = state.surveys[e.survey_id]
    counts = {t: dict(c) for t, c in survey.counts.items()}
    counts["leadership"][e.leadership] += 1
    counts["campaign"][e.campaign] += 1
    return _with_survey(state, dataclasses.replace(
        survey, spent=survey.spent | {e.token_hash}, counts=counts))


def _closed(state: SurveysState, e: SurveyClosed) -> SurveysState:
    survey = state.surveys[e.survey_id]
    return _with_survey(state, dataclasses.replace(survey, status="closed", passed=e.passed,
                                                   valid=e.valid))


def _inspected(state: SurveysState, e: AcceptanceInspectionRecorded) -> SurveysState:
    return dataclasses.replace(state, inspections=state.inspections + (e.payload(),))


def _unchanged(state: SurveysState, e: Event) -> SurveysState:
    return state  # SurveyPassed / SurveyFailed / SurveyInvalidated: the outcome is in SurveyClosed


# event type -> evolve function; merged with the analysis aggregate's in ``domain.EVOLVERS``
EVOLVERS = {SurveyOpened: _opened, SampleDrawn: _drawn, SlipsIssued: _slips, BallotCast: _ballot, SurveyClosed: _closed,
            SurveyPassed: _unchanged, SurveyFailed: _unchanged, SurveyInvalidated: _unchanged,
            AcceptanceInspectionRecorded: _inspected}
EVENTS = tuple(EVOLVERS)

