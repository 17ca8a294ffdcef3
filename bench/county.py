"""(d) A county-sized log verified and rebuilt (issue 7): 100 units, 5,000 members and
at least 200,000 events across the four services' logs.

The logs are generated in memory with the real event classes and sealed with
``shared.eventstore.base.seal`` (so they are properly hash-chained), then written with
``insert_many`` in big batches (``_id`` = position) plus the ``meta`` head document and
each consumer's ``inbox_checkpoints`` at the head of every source: far faster than
appending command by command through the store, and the stored bytes are the same.

Volume comes from study attendance: each member signs in to each session, one
``StudyAttendanceRecorded`` per sign-in. Then, per service:

* raw: one pymongo cursor over ``events`` in ``_id`` order (the floor);
* verify: ``MongoEventStore(service, client, db).verify()`` (chain + head);
* rebuild: ``shared.audit.rebuild.rebuild(AuditDatabases(...), service)``, which reads
  the service's log and every foreign log it consumes, folds them in memory and writes
  ``*__rebuild`` collections, and diffs them against the (empty) live ones.

Then the auditor's one command for the goal, ``dudao audit rebuild --all``
(``rebuild_all``): each log read once, its chain verified as it is read, and folded into
every service that consumes it. The separate verify + per-service rebuilds read the big
study log twice; the one pass reads it once.

A rebuild still running after REBUILD_BUDGET seconds is stopped (from its progress
callback) and reported as unfinished with the rate reached so far, so the section stays
within a few minutes (before the study projections became incremental their rebuild was
the one stopped: they re-rendered a whole unit per event). Figures only: nothing asserts
on a time.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import random
import time
import uuid

from pymongo import ASCENDING, MongoClient

from shared.envelope import GENESIS_HASH
from shared.eventstore.base import AppendRequest, seal
from shared.eventstore.mongo import HEAD_ID, MongoEventStore

SERVICES = ("units", "supervision", "study", "evaluation")
UNITS = 100
MEMBERS_PER_UNIT = 50
GROUP_SIZE = 10
SUPERVISION_GROUPS = 10
SURVEYED_UNITS = 20
BALLOTS = 30
TARGET_EVENTS = 200_000
INSERT_BATCH = 5000
GOAL_SECONDS = 60.0
REBUILD_BUDGET = 40.0  # seconds per service; a rebuild still running then is stopped and reported


class OverBudget(Exception):
    pass


class Budget:
    """rebuild()'s progress bar: counts events read and stops the rebuild past the budget."""

    def __init__(self, total: int, seconds: float):
        self.total, self.read = total, 0
        self.deadline = time.perf_counter() + seconds

    def update(self, n: int) -> None:
        self.read += n
        if self.read % 500 == 0 and time.perf_counter() > self.deadline:
            raise OverBudget()

OFFICE = {"id": "p-office", "name": "县委办 王主任", "role": "office", "scope": None}
SYSTEM = {"id": "system:supervision", "name": "supervision service", "role": "system", "scope": None}
SECTIONS = ["机关", "业务科", "综合科", "离退休"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
FORMS = ["reading_originals", "lecture", "video", "exemplary_member_report", "self_study"]
CONTENT = ["hu_jintao_speech", "jiang_zemin_party_building", "zeng_qinghong_speech",
           "wu_guanzheng_speech", "he_guoqiang_speech", "central_document_20"]


class Clock:
    """recorded_at for the whole county: one global, strictly rising simulated time."""

    def __init__(self):
        self.t = _dt.datetime(2024, 2, 1, 1, 0, tzinfo=_dt.timezone.utc)

    def tick(self, ms: int = 7) -> str:
        self.t += _dt.timedelta(milliseconds=ms)
        return self.t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.t.microsecond // 1000:03d}Z"


class Log:
    """One service's log, sealed in memory."""

    def __init__(self, service: str, clock: Clock):
        self.service, self.clock = service, clock
        self.position, self.hash = 0, GENESIS_HASH
        self.versions: dict[str, int] = {}
        self.docs: list[dict] = []

    def append(self, stream_id: str, events: list, actor: dict, cause: dict | None = None) -> list[dict]:
        at = self.clock.tick()
        request = AppendRequest(stream_id, None, events, actor,
                                cause["correlation_id"] if cause else None,
                                cause["event_id"] if cause else None, at)
        envs = seal(request, self.versions.get(stream_id, 0), self.position, self.hash, recorded_at=at)
        self.versions[stream_id] = envs[-1]["version"]
        self.position, self.hash = envs[-1]["position"], envs[-1]["hash"]
        for env in envs:
            self.docs.append({"_id": env["position"], **env})
        return envs


def _id(prefix: str, rng: random.Random) -> str:
    return f"{prefix}-{rng.getrandbits(48):012x}"


def _day(d: int) -> str:
    return (_dt.date(2024, 2, 1) + _dt.timedelta(days=d)).isoformat()


def generate(sessions_per_unit: int, seed: int = 7) -> dict[str, Log]:
    from services.study.domain.events import StudyAttendanceRecorded, StudySessionRecorded
    from services.supervision.domain.events import GroupArrived, GroupFormed, ReportFiled, UnitAssigned
    from services.units.domain.events import (
        MemberEnrolled,
        MobilizationMeetingHeld,
        MobilizationMeetingScheduled,
        PhaseEntered,
        StudyGroupFormed,
        UnitRegistered,
    )
    rng = random.Random(seed)
    clock = Clock()
    logs = {s: Log(s, clock) for s in SERVICES}
    units, sup, study = logs["units"], logs["supervision"], logs["study"]

    groups = []
    for g in range(SUPERVISION_GROUPS):
        group_id = _id("g", rng)
        person = lambda name, rank: {"member_id": _id("s", rng), "name": name, "rank": rank,  # noqa: E731
                                     "home_unit": "县委组织部", "post": "干部", "released_from_post": True}
        sup.append(f"group-{group_id}", [GroupFormed(
            group_id=group_id, name=f"第{g + 1}督导组", leader=person(f"赵组长{g}", "正科级"),
            members=[person(f"钱督导{g}", "副科级"), person(f"孙督导{g}", "科员")],
            formed_on="2024-02-01")], OFFICE)
        groups.append(group_id)

    county = []
    for u in range(UNITS):
        unit_id = _id("u", rng)
        stream = f"unit-{unit_id}"
        actor = {"id": f"p-{unit_id}", "name": f"第{u + 1}单位 书记", "role": "unit", "scope": unit_id}
        [registered] = units.append(stream, [UnitRegistered(
            unit_id=unit_id, name=f"第{u + 1}单位", org_type=("党委", "党组", "党支部")[u % 3],
            batch=1 + u % 3, sections=list(SECTIONS),
            deadlines={"mobilization": "2024-03-10", "analysis": "2024-04-30"})], OFFICE)
        group_id = groups[u % SUPERVISION_GROUPS]
        sup.append(f"supervised-unit-{unit_id}", [UnitAssigned(
            group_id=group_id, unit_id=unit_id, over_soft_limit=False,
            unit_count=u // SUPERVISION_GROUPS + 1, assigned_on="2024-02-05", meeting_date="2024-02-18")],
            SYSTEM, cause=registered)
        members = []
        for i in range(MEMBERS_PER_UNIT):
            member_id = _id("m", rng)
            retired = i % 10 == 9
            units.append(stream, [MemberEnrolled(
                unit_id=unit_id, member_id=member_id, name=f"{SURNAMES[rng.randrange(20)]}同志{i}",
                section=SECTIONS[3] if retired else SECTIONS[i % 3], is_leader=i == 0,
                is_retired=retired)], actor)
            members.append(member_id)
        study_groups = []
        for k in range(0, MEMBERS_PER_UNIT, GROUP_SIZE):
            ids = members[k:k + GROUP_SIZE]
            sg = _id("sg", rng)
            units.append(stream, [StudyGroupFormed(
                unit_id=unit_id, study_group_id=sg, section=SECTIONS[(k // GROUP_SIZE) % 3],
                leader_member_id=ids[0], member_ids=list(ids))], actor)
            study_groups.append((sg, ids))
        [scheduled] = units.append(stream, [MobilizationMeetingScheduled(
            unit_id=unit_id, date="2024-02-18")], actor)
        units.append(stream, [PhaseEntered(
            unit_id=unit_id, phase="mobilization", previous_phase="registered", deadline="2024-03-10",
            reason="mobilization meeting scheduled", entered_on="2024-02-10")], actor, cause=scheduled)
        county.append({"unit_id": unit_id, "stream": stream, "actor": actor, "group_id": group_id,
                       "members": members, "study_groups": study_groups})

    for c in county:
        sup.append(f"supervised-unit-{c['unit_id']}", [GroupArrived(
            group_id=c["group_id"], unit_id=c["unit_id"], date="2024-02-16", deadline="2024-02-18",
            late=False, meeting_date="2024-02-18", tasks=["read_speech_draft", "attend_meeting"])],
            {"id": f"p-{c['group_id']}", "name": "督导组", "role": "supervisor", "scope": c["group_id"]})
        units.append(c["stream"], [MobilizationMeetingHeld(unit_id=c["unit_id"], date="2024-02-18")],
                     c["actor"])

    # study: sessions across the county, interleaved in time; every member signs in
    for s in range(sessions_per_unit):
        day = _day(18 + s * 40 // max(sessions_per_unit, 1))
        for c in county:
            form = FORMS[s % len(FORMS)]
            mode = "self" if form == "self_study" else "centralised"
            whole = s % 3 != 2
            sg, invited = (None, c["members"]) if whole else c["study_groups"][s % len(c["study_groups"])]
            session_id = _id("ss", rng)
            keys = [CONTENT[s % len(CONTENT)]]
            hours = ("2", "3", "3.5", "4")[s % 4]
            stream = f"study-{c['unit_id']}"
            study.append(stream, [StudySessionRecorded(
                unit_id=c["unit_id"], session_id=session_id, form=form, mode=mode,
                title=f"第{s + 1}次集中学习", content_keys=keys, local_document=None, date=day,
                hours=hours, study_group_id=sg, calendar_flags=[])], c["actor"])
            for member_id in invited:
                if rng.random() < 0.06:
                    continue  # absent
                study.append(stream, [StudyAttendanceRecorded(
                    unit_id=c["unit_id"], session_id=session_id, member_ids=[member_id], form=form,
                    mode=mode, date=day, hours=hours, content_keys=keys,
                    local_document_reference=None)], c["actor"])
    for c in county:
        units.append(c["stream"], [PhaseEntered(
            unit_id=c["unit_id"], phase="analysis", previous_phase="mobilization",
            deadline="2024-04-30", reason="mobilization completed", entered_on="2024-03-11")], OFFICE)
        sup.append(f"report-{c['unit_id']}", [ReportFiled(
            report_id=_id("r", rng), unit_id=c["unit_id"], group_id=c["group_id"], kind="progress",
            title="学习动员阶段情况汇报", body="学习动员阶段工作扎实，参学率高。", date="2024-03-12",
            urgent=False, contact={"name": "钱督导", "phone": "0000-1234567"})],
            {"id": f"p-{c['group_id']}", "name": "督导组", "role": "supervisor", "scope": c["group_id"]})
    _evaluation(logs["evaluation"], county[:SURVEYED_UNITS], rng)
    return logs


def _evaluation(log: Log, county: list[dict], rng: random.Random) -> None:
    """A few surveys: opened, sample drawn, ballots, closed."""
    try:
        from services.evaluation.domain.survey import BallotCast, SampleDrawn, SurveyClosed, SurveyOpened
    except ImportError:
        return
    for c in county:
        survey_id = _id("sv", rng)
        stream = f"survey-{survey_id}"
        frame = list(c["members"])
        sample = frame[:BALLOTS]
        tokens = sorted(uuid.UUID(int=rng.getrandbits(128)).hex * 1 for _ in sample)
        log.append(stream, [SurveyOpened(
            survey_id=survey_id, unit_id=c["unit_id"], group_id=c["group_id"], sample_size=BALLOTS,
            frame=frame, seed_hash="0" * 64, notification_id=_id("n", rng), notified_on="2024-05-01",
            survey_round=1, opened_on="2024-05-02")], OFFICE)
        log.append(stream, [SampleDrawn(
            survey_id=survey_id, unit_id=c["unit_id"], seed="1" * 64, public_entropy="2024-05-02",
            algorithm="sha256-rank", sample=sample, token_hashes=tokens, drawn_on="2024-05-02")], OFFICE)
        for token in tokens:
            log.append(stream, [BallotCast(survey_id=survey_id, unit_id=c["unit_id"], token_hash=token,
                                           leadership="satisfied", campaign="satisfied")],
                       {"id": "respondent", "name": "匿名", "role": "respondent", "scope": survey_id})
        share = {"numerator": BALLOTS, "denominator": BALLOTS, "value": 1.0}
        log.append(stream, [SurveyClosed(
            survey_id=survey_id, unit_id=c["unit_id"], closed_on="2024-05-09", eligible=BALLOTS,
            ballots_cast=BALLOTS, frame_size=len(frame), turnout=share,
            threshold={"numerator": 2, "denominator": 3, "value": 0.6667},
            leadership={"counts": {"satisfied": BALLOTS}, "satisfied_total": BALLOTS, "share": share,
                        "ci": [0.9, 1.0], "passed": True},
            campaign={"counts": {"satisfied": BALLOTS}, "satisfied_total": BALLOTS, "share": share,
                      "ci": [0.9, 1.0], "passed": True},
            passed=True)], OFFICE)


def sessions_needed() -> int:
    per_session = MEMBERS_PER_UNIT * 0.94 * (2 / 3) + GROUP_SIZE * 0.94 * (1 / 3) + 1
    fixed = UNITS * (MEMBERS_PER_UNIT + 10) + SURVEYED_UNITS * (BALLOTS + 3)
    return int((TARGET_EVENTS * 1.02 - fixed) / (UNITS * per_session)) + 1


def write(client: MongoClient, names: dict[str, str], logs: dict[str, Log]) -> None:
    for service, log in logs.items():
        db = client[names[service]]
        db["events"].drop()
        db["meta"].drop()
        db["inbox_checkpoints"].drop()
        for i in range(0, len(log.docs), INSERT_BATCH):
            db["events"].insert_many(log.docs[i:i + INSERT_BATCH], ordered=False)
        db["meta"].insert_one({"_id": HEAD_ID, "position": log.position, "hash": log.hash})
        MongoEventStore(service, client, names[service]).ensure_indexes()
        for source, other in logs.items():
            if source != service:
                db["inbox_checkpoints"].insert_one({"_id": source, "position": other.position})


@dataclasses.dataclass
class CountyResult:
    events: dict
    generate_seconds: float
    write_seconds: float
    raw: dict
    verify: dict
    rebuild: dict
    rebuild_read: dict
    problems: list
    stopped: dict = dataclasses.field(default_factory=dict)  # service -> (read, total)
    one_pass: dict | None = None  # rebuild --all: {"seconds", "events"}, None if stopped

    @property
    def total(self) -> int:
        return sum(self.events.values())


def raw_read(db) -> float:
    """One plain cursor in position order (hinted to the _id index, as the store reads)."""
    started = time.perf_counter()
    for _doc in db["events"].find({}).sort("_id", ASCENDING).hint("_id_").batch_size(2000):
        pass
    return time.perf_counter() - started


def idle_poll_ms(store: MongoEventStore, polls: int = 5) -> float:
    """What the relay pays each poll when nothing is new: ``events_since`` at the head.
    It runs every DUDAO_RELAY_POLL_SECONDS in every service, so on a county-sized log it
    must not cost a scan of the log."""
    head = store.head()["position"]
    started = time.perf_counter()
    for _ in range(polls):
        store.events_since(head, 500)
    return (time.perf_counter() - started) / polls * 1000


def run(client: MongoClient, prefix: str) -> CountyResult:
    from shared.audit.logs import AuditDatabases
    from shared.audit.rebuild import rebuild

    county_prefix = f"{prefix}_county"
    dbs = AuditDatabases(client)
    dbs.settings = dataclasses.replace(dbs.settings, db_prefix=county_prefix)
    names = {s: dbs.settings.database_name(s) for s in SERVICES}

    started = time.perf_counter()
    logs = generate(sessions_needed())
    generated = time.perf_counter() - started
    events = {s: log.position for s, log in logs.items()}
    print(f"  generated {sum(events.values()):,} sealed events in {generated:.1f} s "
          f"({', '.join(f'{s} {n:,}' for s, n in events.items())})", flush=True)
    started = time.perf_counter()
    write(client, names, logs)
    written = time.perf_counter() - started
    del logs
    print(f"  written with insert_many ({INSERT_BATCH}/batch) + indexes in {written:.1f} s", flush=True)

    raw, verify, rebuilt, rebuild_read, problems, stopped = {}, {}, {}, {}, [], {}
    for service in SERVICES:
        raw[service] = raw_read(client[names[service]])
        store = MongoEventStore(service, client, names[service])
        print(f"  {service}: the relay's idle poll (events_since at the head) "
              f"{idle_poll_ms(store):.1f} ms", flush=True)
        t = time.perf_counter()
        result = store.verify()
        verify[service] = time.perf_counter() - t
        if not result["ok"] or result["checked"] != events[service]:
            problems.append(f"verify {service}: {result}")
        t = time.perf_counter()
        bars = []
        try:
            report = rebuild(dbs, service, progress=lambda total: bars.append(
                Budget(total, REBUILD_BUDGET)) or bars[0])
        except OverBudget:
            rebuilt[service] = time.perf_counter() - t
            bar = bars[0]
            stopped[service] = (bar.read, bar.total)
            rebuild_read[service] = {service: bar.read}
            print(f"  {service}: raw {raw[service]:.2f} s, verify {verify[service]:.2f} s, rebuild STOPPED "
                  f"after {rebuilt[service]:.1f} s having read {bar.read:,} of {bar.total:,} events "
                  f"({bar.read / rebuilt[service]:,.0f} ev/s so far)", flush=True)
            continue
        rebuilt[service] = time.perf_counter() - t
        rebuild_read[service] = dict(report["read_upto"])
        if report["errors"]:
            first = report["errors"][0]
            problems.append(f"rebuild {service}: {len(report['errors'])} errors, first {first}")
        docs = ", ".join(f"{name} {c['rebuilt']}" for name, c in report["collections"].items())
        print(f"  {service}: raw {raw[service]:.2f} s, verify {verify[service]:.2f} s, rebuild "
              f"{rebuilt[service]:.2f} s ({sum(rebuild_read[service].values()):,} events read, {report['events']:,} "
              f"applied; {docs})", flush=True)
    one_pass = _one_pass(dbs, problems)
    for name in names.values():
        client.drop_database(name)
    return CountyResult(events, generated, written, raw, verify, rebuilt, rebuild_read, problems, stopped,
                        one_pass)


def _one_pass(dbs, problems: list) -> dict | None:
    """``dudao audit rebuild --all``: every log read once, its chain verified on the way, and
    folded into every service that consumes it."""
    from shared.audit.rebuild import rebuild_all

    bars = []
    started = time.perf_counter()
    try:
        result = rebuild_all(dbs, progress=lambda total: bars.append(
            Budget(total, 2 * REBUILD_BUDGET)) or bars[0])
    except OverBudget:
        print(f"  one pass (rebuild --all): STOPPED after {time.perf_counter() - started:.1f} s "
              f"having read {bars[0].read:,} of {bars[0].total:,} events", flush=True)
        return None
    seconds = time.perf_counter() - started
    if not result["verified"]:
        problems.append(f"rebuild --all: a chain is broken: {result['chains']}")
    for service, report in result["services"].items():
        if report["errors"]:
            problems.append(f"rebuild --all {service}: {len(report['errors'])} errors")
    print(f"  one pass (rebuild --all): {result['events_read']:,} events read once, chains "
          f"{'verified' if result['verified'] else 'BROKEN'}, four services rebuilt in {seconds:.1f} s",
          flush=True)
    return {"seconds": seconds, "events": result["events_read"]}


def rows(r: CountyResult) -> list[tuple]:
    from bench.report import rate, verdict
    out = [("(d) county", f"{r.total:,} events: {UNITS} units, {UNITS * MEMBERS_PER_UNIT:,} members",
            f"generated+sealed {r.generate_seconds:.1f} s, insert_many {r.write_seconds:.1f} s",
            "(not appended through the store)", "", "", "")]
    for service in SERVICES:
        n = r.events[service]
        out.append(("", f"verify {service} ({n:,} events)", rate(n / r.verify[service]),
                    f"{rate(n / r.raw[service])} cursor", f"{r.raw[service] / r.verify[service]:.2f}", "", ""))
    for service in SERVICES:
        read = r.rebuild_read[service]
        n = sum(read.values())
        raw_seconds = sum(r.raw[s] * read[s] / r.events[s] for s in read if r.events.get(s))
        logs = "+".join(s for s in read if read[s])
        if service in r.stopped:
            done, total = r.stopped[service]
            raw_seconds = r.raw[service] * done / r.events[service]
            out.append(("", f"rebuild {service}: STOPPED after {r.rebuild[service]:.0f} s, "
                            f"{done:,} of {total:,} events read", rate(done / r.rebuild[service]),
                        f"{rate(done / raw_seconds)} cursor", f"{raw_seconds / r.rebuild[service]:.3f}",
                        "", "unfinished"))
            continue
        out.append(("", f"rebuild {service} ({n:,} events from {logs})", rate(n / r.rebuild[service]),
                    f"{rate(n / raw_seconds)} cursor", f"{raw_seconds / r.rebuild[service]:.2f}", "", ""))
    raw, ver, reb = sum(r.raw.values()), sum(r.verify.values()), sum(r.rebuild.values())
    read_all = sum(sum(v.values()) for v in r.rebuild_read.values())
    unfinished = f" + {len(r.stopped)} rebuild(s) stopped unfinished" if r.stopped else ""
    out += [
        ("", "verify, all four logs", rate(r.total / ver), f"{rate(r.total / raw)} cursor",
         f"{raw / ver:.2f}", "", ""),
        ("", f"rebuild, all four services ({read_all:,} events read)", rate(read_all / reb), "", "", "", ""),
        ("", "verify, then rebuild each service (separate commands)", f"{ver + reb:.1f} s (verify {ver:.1f} s + "
         f"rebuild {reb:.1f} s){unfinished}", f"{raw:.1f} s one cursor pass", f"{raw / (ver + reb):.2f}", "", ""),
    ]
    if r.one_pass is None:
        out.append(("", "whole county verified and rebuilt: rebuild --all", "STOPPED unfinished", "", "",
                    f"< {GOAL_SECONDS:.0f} s", verdict(False)))
    else:
        seconds = r.one_pass["seconds"]
        out.append(("", f"whole county verified and rebuilt: rebuild --all, one pass "
                        f"({r.one_pass['events']:,} events)",
                    f"{seconds:.1f} s ({rate(r.one_pass['events'] / seconds)})",
                    f"{raw:.1f} s one cursor pass", f"{raw / seconds:.2f}", f"< {GOAL_SECONDS:.0f} s",
                    verdict(seconds < GOAL_SECONDS)))
    for problem in r.problems:
        out.append(("", "PROBLEM", problem[:200], "", "", "", ""))
    return out
