"""(c) attendance (issue 18 item 3): recording attendance for 500 members is one command.

Run at the end of (c), on the stack (c) started (``propagation.run``): a unit is registered,
a 500-member roster imported through the gateway as (e) does it (``bench.roster``), and once
every consumer of ``MemberEnrolled`` holds all 500 the unit sets its study plan (R9) and records
SESSIONS study sessions (R10: a listed form and listed content, 1 学时 each, so 20 of them stay
under R7's 40-学时 floor and every attendance command stays one event: no StudyFloorReached).
Then, one session at a time, ONE ``POST /study-sessions/{id}/attendance`` names all 500
members, sent only once the previous one is visible everywhere and a pause has passed, so
none queues behind another.

Who folds ``StudyAttendanceRecorded``: only the study service, into its own read models
(``study_sessions``: the session's attendees, ``study_members``: each member's record,
``study_units``: the unit's tallies), written in the append's own transaction (its "own
projections"). No other service keeps anything of it: supervision follows the study log
(for the floor events) and only reads past it, which is printed beside as information.

Timed per command, from just before the POST leaves: its answer; when each read model shows
it, by a poll of one ``_id`` lookup every POLL_SECONDS (the session's attendee count; a
sentinel member's record and the unit's tally for that member: all of one transaction), each
read model then checked once in full (all 500 shown, or the command counts as never
visible); and when supervision's inbox checkpoint on the study log reaches the event.
Figures, never assertions."""
from __future__ import annotations

import dataclasses
import math
import threading
import time
from typing import Callable

import requests

from bench.report import ms, percentile, verdict
from bench.roster import import_roster, register_unit, unit_headers, until_consumers_show, workbook
from shared import clock
from shared.study_catalog import REQUIRED_CONTENT

MEMBERS = 500
SESSIONS = 20
HOURS = 1.0  # SESSIONS x HOURS below the 40-学时 floor: each command one event
PAUSE_SECONDS = 0.3  # between one command visible everywhere and the next one's send
POLL_SECONDS = 0.005
TIMEOUT_SECONDS = 20.0  # a command not visible by then counts as never
TARGET_SECONDS = 0.100  # the same p99 as (c)'s propagation
READ_MODELS = ("study_sessions", "study_members", "study_units")
FOLLOWER = "supervision"  # follows the study log, keeps nothing of StudyAttendanceRecorded


@dataclasses.dataclass
class AttendanceFigures:
    members: int
    import_seconds: float | None = None  # the roster import's answer
    tracked_seconds: float | None = None  # import until every consumer of MemberEnrolled held all
    ack: list = dataclasses.field(default_factory=list)  # the attendance POSTs' answers
    per_model: dict = dataclasses.field(default_factory=dict)  # read model -> send until shown
    visible: list = dataclasses.field(default_factory=list)  # slowest read model, per command
    delivered: list = dataclasses.field(default_factory=list)  # send until FOLLOWER read past it
    refused: int = 0
    incomplete: int = 0  # shown by the sentinel lookups, but not for every member
    counted: dict = dataclasses.field(default_factory=dict)  # operations per attendance command
    skipped: str | None = None  # why nothing was measured


class _Sightings(threading.Thread):
    """Stamps when one attendance command shows in each read model and in FOLLOWER's
    checkpoint. The session's doc is looked up alone until it shows (one lookup per round
    while the command commits); the other two are of the same transaction, then looked up
    until they show too; FOLLOWER's checkpoint only once the event exists."""

    def __init__(self, study, follower, unit_id: str, session_id: str, sentinel: str, k: int):
        super().__init__(daemon=True)
        self.study, self.follower = study, follower
        self.unit_id, self.session_id, self.sentinel, self.k = unit_id, session_id, sentinel, k
        self.seen: dict[str, float] = {}
        self.position: int | None = None  # the event's, set once the POST has answered
        self.passed: float | None = None  # when FOLLOWER's checkpoint reached it
        self._halt = threading.Event()

    def run(self) -> None:
        deadline = time.time() + TIMEOUT_SECONDS
        while not self._halt.is_set() and time.time() < deadline:
            if self._done():
                return
            self._look()
            time.sleep(POLL_SECONDS)

    def _done(self) -> bool:
        return len(self.seen) == len(READ_MODELS) and self.passed is not None

    def _look(self) -> None:
        # in this order, in the same round: the other two are looked up as soon as the
        # session shows, not a round later
        for model, shows in (("study_sessions", self._session_shows), ("study_members", self._member_shows),
                             ("study_units", self._unit_shows)):
            if model in self.seen:
                continue
            if not shows():
                break
            self.seen[model] = time.time()  # after the answer: never earlier than it was
        if self.position is not None and self.passed is None:
            doc = self.follower["inbox_checkpoints"].find_one({"_id": "study"}, {"position": 1}) or {}
            if doc.get("position", 0) >= self.position:
                self.passed = time.time()

    def _session_shows(self) -> bool:
        doc = self.study["study_sessions"].find_one({"_id": self.session_id}, {"attendee_count": 1})
        return bool(doc) and doc.get("attendee_count", 0) >= MEMBERS

    def _member_shows(self) -> bool:
        doc = self.study["study_members"].find_one({"_id": self.sentinel}, {"sessions.session_id": 1})
        return any(s.get("session_id") == self.session_id for s in (doc or {}).get("sessions", []))

    def _unit_shows(self) -> bool:
        return _tally_sessions(self.study, self.unit_id, self.sentinel) >= self.k

    def stop(self) -> None:
        self._halt.set()
        self.join(TIMEOUT_SECONDS)


def run(stack, probe, prefix: str, start_count: Callable[[], Callable[[float], dict]],
        members: int = MEMBERS, sessions: int = SESSIONS) -> AttendanceFigures:
    """``start_count()`` starts counting the stack's database commands; what it returns,
    given a divisor, answers what was counted since, per that divisor."""
    figures = AttendanceFigures(members)
    try:
        unit_id, headers, member_ids = _unit_with_roster(stack, probe, prefix, members, figures)
        session_ids = _plan_and_sessions(stack, unit_id, headers, sessions)
    except (requests.RequestException, _NotReached) as err:
        figures.skipped = str(err)[:120]
        return figures
    study, follower = probe[f"{prefix}_study"], probe[f"{prefix}_{FOLLOWER}"]
    counted_since = start_count()
    http = requests.Session()
    http.headers.update(headers)
    for k, session_id in enumerate(session_ids, start=1):
        time.sleep(PAUSE_SECONDS)
        _one_command(http, stack.base_url, study, follower, unit_id, session_id, member_ids, k, figures)
    figures.counted = counted_since(max(len(session_ids) - figures.refused, 1))
    return figures


class _NotReached(RuntimeError):
    pass


def _unit_with_roster(stack, probe, prefix: str, members: int, figures: AttendanceFigures):
    """The unit, its token's headers and its member ids, once every consumer of
    ``MemberEnrolled`` holds all of them."""
    unit_id = register_unit(stack, probe, prefix, "基准出勤单位")
    headers = unit_headers(stack, unit_id)
    _, answer, figures.import_seconds, mark = import_roster(stack, unit_id, headers, workbook(members))
    if answer.status_code != 201:
        raise _NotReached(f"roster import refused (HTTP {answer.status_code})")
    consumers, _ = until_consumers_show(probe, prefix, unit_id, members, mark, 120)
    if any(seconds is None for _, seconds, _ in consumers):
        raise _NotReached("the roster's consumers did not hold every member within 120 s")
    figures.tracked_seconds = max(seconds for _, seconds, _ in consumers)
    roster = probe[f"{prefix}_study"]["study_rosters"].find_one({"_id": unit_id}, {"members.member_id": 1})
    return unit_id, headers, [m["member_id"] for m in roster["members"]]


def _plan_and_sessions(stack, unit_id: str, headers: dict, sessions: int) -> list[str]:
    """The unit's study plan (R9: personnel, time, content, effect) and its sessions (R10),
    dated today: attendance is never recorded before its session."""
    today = clock.today()
    plan = {"personnel": {"scope": "全体党员"},
            "time": {"centralised_from": today, "centralised_until": today, "planned_hours": 40},
            "content": {"required": list(REQUIRED_CONTENT)},
            "effect": {"goals": ["提高党员素质"]}}
    requests.put(f"{stack.base_url}/units/{unit_id}/study-plan", headers=headers, json=plan,
                 timeout=30).raise_for_status()
    keys = list(REQUIRED_CONTENT)
    ids = []
    for i in range(sessions):
        r = requests.post(f"{stack.base_url}/study-sessions", headers=headers, timeout=30,
                          json={"unit_id": unit_id, "form": "lecture", "date": today, "hours": HOURS,
                                "content_keys": [keys[i % len(keys)]], "title": f"基准专题讲座 {i + 1}"})
        r.raise_for_status()
        ids.append(r.json()["session_id"])
    return ids


def _one_command(http, base_url: str, study, follower, unit_id: str, session_id: str,
                 member_ids: list[str], k: int, figures: AttendanceFigures) -> None:
    """The k-th attendance command: sent, answered, seen in every read model and past FOLLOWER."""
    sightings = _Sightings(study, follower, unit_id, session_id, member_ids[-1], k)
    sent = time.time()
    sightings.start()
    try:
        answer = http.post(f"{base_url}/study-sessions/{session_id}/attendance",
                           json={"member_ids": member_ids}, timeout=60)
        status = answer.status_code
    except requests.RequestException:
        status = -1
    acked = time.time()
    if status != 201:
        sightings.stop()
        figures.refused += 1
        return
    figures.ack.append(acked - sent)
    sightings.position = _event_position(study, session_id)
    sightings.join(TIMEOUT_SECONDS + 1)
    sightings.stop()
    complete = _shown_in_full(study, unit_id, session_id, member_ids, k)
    figures.incomplete += 0 if complete else 1
    inf = math.inf
    for model in READ_MODELS:
        figures.per_model.setdefault(model, []).append(sightings.seen.get(model, inf) - sent)
    slowest = max(sightings.seen.get(model, inf) for model in READ_MODELS)
    figures.visible.append(slowest - sent if complete else inf)
    figures.delivered.append((sightings.passed or inf) - sent)


def _event_position(study, session_id: str) -> int | None:
    doc = study["events"].find_one({"type": "StudyAttendanceRecorded", "payload.session_id": session_id},
                                   {"_id": 1})
    return doc["_id"] if doc else None


def _tally_sessions(study, unit_id: str, member_id: str) -> int:
    field = f"basis.study.tallies.{member_id}.sessions"
    doc = study["study_units"].find_one({"_id": unit_id}, {field: 1}) or {}
    tally = ((doc.get("basis") or {}).get("study") or {}).get("tallies", {}).get(member_id) or {}
    return tally.get("sessions", 0)


def _shown_in_full(study, unit_id: str, session_id: str, member_ids: list[str], k: int) -> bool:
    """Once per command, untimed: every member in each read model, not only the sentinel."""
    session = study["study_sessions"].find_one({"_id": session_id}, {"attendee_ids": 1}) or {}
    if set(member_ids) - set(session.get("attendee_ids") or []):
        return False
    records = study["study_members"].count_documents({"unit_id": unit_id, "sessions.session_id": session_id})
    if records < len(member_ids):
        return False
    doc = study["study_units"].find_one({"_id": unit_id}, {"basis.study.tallies": 1}) or {}
    tallies = ((doc.get("basis") or {}).get("study") or {}).get("tallies", {})
    return all((tallies.get(m) or {}).get("sessions", 0) >= k for m in member_ids)


def rows(f: AttendanceFigures | None) -> list[tuple]:
    target = f"<= {TARGET_SECONDS * 1000:.0f} ms p99"
    case = f"attendance of {MEMBERS} members, one command"
    if f is None or f.skipped:
        why = f.skipped if f is not None else "not asked (--attendance-sessions 0)"
        return [("(c) attendance", case, f"not measured: {why}", "", "", target, verdict(False))]
    p99 = percentile(f.visible, 99)
    out = [
        ("(c) attendance", f"{case} × {len(f.ack) + f.refused} sessions, one at a time",
         f"roster of {f.members} imported in {f.import_seconds:.1f} s, every consumer held all after "
         f"{f.tracked_seconds:.1f} s", "", "", "", ""),
        ("", "  POST …/attendance answered p50 / p99 (info)",
         f"{ms(percentile(f.ack, 50))} / {ms(percentile(f.ack, 99))}", "", "", "", ""),
        ("", "  visible in every consumer (study's read models) p50", ms(percentile(f.visible, 50)),
         "", "", "", ""),
        ("", "  visible in every consumer p99 (max)",
         f"{ms(p99)} ({ms(max(f.visible, default=math.nan))})", "", "", target,
         verdict(p99 <= TARGET_SECONDS)),
    ]
    for model, values in f.per_model.items():
        out.append(("", f"    {model} p50 / p99", f"{ms(percentile(values, 50))} / {ms(percentile(values, 99))}",
                    "", "", "", ""))
    out += [
        ("", f"  (info) {FOLLOWER} read past it (follows the study log, keeps nothing of it) p50 / p99",
         f"{ms(percentile(f.delivered, 50))} / {ms(percentile(f.delivered, 99))}", "", "", "", ""),
        ("", "  refused / not shown for every member", f"{f.refused} / {f.incomplete}", "", "", "", ""),
        ("", "  server operations per attendance command, end to end",
         f"{sum(f.counted.values()):.1f}" if f.counted else "not reported", "", "", "", ""),
    ]
    return out + _operations(f.counted)


def _operations(counted: dict) -> list[tuple]:
    """By process and purpose, as (c) operations prints them (shared.opcount)."""
    by_process: dict[str, dict[str, float]] = {}
    for (process, purpose, _command), n in counted.items():
        purposes = by_process.setdefault(process, {})
        purposes[purpose] = purposes.get(purpose, 0.0) + n
    out = []
    for process, purposes in sorted(by_process.items(), key=lambda kv: -sum(kv[1].values())):
        parts = ", ".join(f"{p} {n:.1f}" for p, n in sorted(purposes.items(), key=lambda kv: -kv[1]))
        out.append(("", f"    {process}", f"{sum(purposes.values()):.1f}: {parts}", "", "", "", ""))
    by_command: dict[str, float] = {}
    for (process, purpose, command), n in counted.items():
        if (process, purpose) == ("study", "own projections"):  # the most of them: what they are
            by_command[command] = by_command.get(command, 0.0) + n
    if by_command:
        out.append(("", "    study's own projections by command", ", ".join(
            f"{c} {n:.1f}" for c, n in sorted(by_command.items(), key=lambda kv: -kv[1])), "", "", "", ""))
    return out
