"""(c) Propagation latency: gateway command → the other services' projections.

All five processes run as in `make run` (``assembly.stack.Stack``: real processes,
real RabbitMQ vhost, the same SecantusDB). An open-loop load generator sends
``POST /api/v1/units`` at a fixed rate (each send is scheduled at start + i/rate and
handed to a pool of 256 threads, so slow answers do not lower the offered load). One
one change stream over the server (matching each consumer's ``unit_directory``) stamps the
moment each unit first appears there. A unit's latency is from just before its POST
left until it is visible in the consumer; "all three" is the slowest of the three
consumers. A unit that never shows up counts as infinitely late.

The units event's ``recorded_at`` (commit time, ms precision, same clock) splits
the latency into command → commit and commit → visible.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import requests
from pymongo import MongoClient

from assembly.stack import Stack
from bench import attendance as attend
from bench.cpu import CpuMeter, machine_busy_seconds, mongo_server_pid, server_ops
from bench.report import percentile
from shared import opcount

CONSUMERS = ("supervision", "study", "evaluation")
IDLE_SECONDS = 2.0  # the first idle window, just after start-up (information)
ALONE_COMMANDS = 20
# the services' own settings as `make run` has them (the test stack polls faster)
STACK_ENV = {"DUDAO_CATCH_UP_SECONDS": "2", "DUDAO_RELAY_POLL_SECONDS": "1",
             "DUDAO_CATCH_UP_IDLE_SECONDS": "30", "DUDAO_RELAY_IDLE_SECONDS": "5"}


def settle_seconds(env: dict = STACK_ENV) -> float:
    """How long after the last work every paced loop waits its longest: the catch-up's
    doubling waits from its shortest up to its longest (the relay's are shorter)."""
    from shared.pace import Pace
    pace = Pace(float(env["DUDAO_CATCH_UP_SECONDS"]), float(env["DUDAO_CATCH_UP_IDLE_SECONDS"]))
    total, wait = 0.0, pace.current
    while wait < pace.longest:
        total += wait
        wait = pace.found(False)
    return total + 1.0


class Seen:
    """One consumer's first sightings: unit id -> when it first appeared."""

    def __init__(self):
        self.seen: dict[str, float] = {}


class VisibilityWatcher:
    """Stamps the first time each unit id appears in each consumer's unit_directory, through
    ONE change stream over the server, matching those collections. (One stream per consumer
    cost the server three times as much: every write anywhere wakes every open change
    stream's getMore on SecantusDB, so the instrument loaded what it measured.)"""

    def __init__(self, mongo_uri: str, databases: dict[str, str]):
        self.client = MongoClient(mongo_uri, serverMonitoringMode="poll")
        self.consumer_of = {database: consumer for consumer, database in databases.items()}
        self.views = {consumer: Seen() for consumer in databases}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "VisibilityWatcher":
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("change stream on the unit directories did not open")
        if self._error is not None:
            raise RuntimeError(f"change stream on the unit directories failed: {self._error!r}")
        return self

    def _run(self) -> None:
        match = {"$match": {"ns.db": {"$in": sorted(self.consumer_of)}, "ns.coll": "unit_directory"}}
        try:
            with self.client.watch([match], max_await_time_ms=20) as stream:
                self._ready.set()
                while not self._stop.is_set():
                    change = stream.try_next()
                    if change is None:
                        continue
                    now = time.time()
                    view = self.views.get(self.consumer_of.get(change.get("ns", {}).get("db")))
                    key = change.get("documentKey", {}).get("_id")
                    if view is not None and key is not None and key not in view.seen:
                        view.seen[key] = now
        except BaseException as err:  # reported by stop()
            self._error = err
            self._ready.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.client.close()
        if self._error is not None:
            raise RuntimeError(f"watcher on the unit directories failed: {self._error!r}")


@dataclasses.dataclass
class Sent:
    scheduled: float
    sent: float = 0.0
    acked: float = 0.0
    status: int = 0
    unit_id: str | None = None


class LoadGenerator:
    def __init__(self, url: str, token: str, rate: float, threads: int = 256):
        self.url, self.token, self.rate = url, token, rate
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads)
        self._local = threading.local()
        self.counter = 0

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers["Authorization"] = f"Bearer {self.token}"
        return self._local.session

    def _send(self, record: Sent, n: int) -> None:
        session = self._session()
        record.sent = time.time()
        try:
            response = session.post(self.url, json={"name": f"基准单位 {n}", "org_type": "党支部",
                                                    "batch": 1 + n % 3}, timeout=30)
            record.status = response.status_code
            if response.status_code == 201:
                record.unit_id = response.json()["unit_id"]
        except requests.RequestException:
            record.status = -1
        record.acked = time.time()

    def offer(self, seconds: float) -> list[Sent]:
        """Send at the fixed rate for ``seconds``; returns once every answer is in."""
        records, futures = [], []
        start = time.time()
        total = int(round(seconds * self.rate))
        for i in range(total):
            due = start + i / self.rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            record = Sent(scheduled=due)
            records.append(record)
            self.counter += 1
            futures.append(self.pool.submit(self._send, record, self.counter))
        concurrent.futures.wait(futures)
        return records

    def close(self) -> None:
        self.pool.shutdown(wait=True)


@dataclasses.dataclass
class PropagationResult:
    rate: float
    seconds: float
    commands: int
    failed: int
    missing: int
    send_lag_max: float
    achieved_rate: float
    ack: list  # POST answer times
    per_consumer: dict  # consumer -> latencies
    all_three: list
    to_commit: list
    commit_to_visible: list
    startup_seconds: float
    cpu: dict  # process -> CPU seconds per second of offered load
    idle_cpu: dict  # process -> CPU seconds per second with no load, the stack settled
    early_idle_cpu: dict  # the same in the first seconds after start-up
    ops_per_command: dict  # server operation counters per command during the load
    # database commands the stack's processes sent, counted in each (shared.opcount):
    # {(process, purpose, command name): per registered unit}, from the load's start until
    # every unit was visible everywhere (what polling sent meanwhile included)
    counted: dict
    idle_counted: dict  # the same per second with no commands at all
    counted_alone: dict  # the same per unit, commands sent one at a time (nothing batched)
    alone_ack: list  # POST answer times of those
    alone_visible: list  # and their propagation to all three consumers
    phases: dict  # phase -> seconds of wall time
    attendance: attend.AttendanceFigures | None = None  # the 500-member attendance phase, last

    def p(self, values, q) -> float:
        return percentile(values, q)


def _epoch(iso: str) -> float:
    return dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()


def run(mongo_uri: str, amqp_uri: str, prefix: str, workdir: Path, rate: float, seconds: float,
        warmup_seconds: float = 2.0, settle_timeout: float = 20.0, idle_seconds: float | None = None,
        idle_settle_seconds: float | None = None,
        attendance_sessions: int = attend.SESSIONS) -> PropagationResult:
    """``idle_seconds``: the steady idle window (default: the catch-up's longest wait);
    ``idle_settle_seconds``: how long the stack stands idle before it (default: until every
    paced loop waits its longest); ``attendance_sessions``: how many 500-member attendance
    commands the last phase sends on the same stack (bench/attendance.py; 0: none)."""
    if idle_seconds is None:
        idle_seconds = float(STACK_ENV["DUDAO_CATCH_UP_IDLE_SECONDS"])
    if idle_settle_seconds is None:
        idle_settle_seconds = settle_seconds()
    op_dir = workdir / "op-counts"
    stack = Stack(mongo_uri, amqp_uri, prefix, workdir / "stack-logs",
                  extra_env={**STACK_ENV, opcount.ENV: str(op_dir)})
    # monitored by polling, as the services' clients are: a streamed hello is held open on
    # the server, which wakes it four times a second (it would count in the idle stack's CPU)
    probe = MongoClient(mongo_uri, serverMonitoringMode="poll")
    started = time.time()
    phases: dict[str, float] = {}
    watcher: VisibilityWatcher | None = None
    watchers: dict[str, Seen] = {}
    load = None
    attendance = None
    try:
        stack.start_all()
        startup = time.time() - started
        phases["start-up"] = startup
        mark = time.time()
        token = stack.token("office", "Benchmark office")
        load = LoadGenerator(stack.base_url + "/units", token, rate)
        pids = {name: proc.pid for name, proc in stack.processes.items()}
        server = mongo_server_pid(mongo_uri)
        if server is not None:
            pids["SecantusDB"] = server
        pids["bench (load + watchers)"] = os.getpid()
        meter = CpuMeter(pids)
        meter.start()  # the first seconds after start-up: the paced loops at their shortest
        idle_started = time.time()
        time.sleep(IDLE_SECONDS)
        early_idle = {name: spent / (time.time() - idle_started) for name, spent in meter.used().items()}
        # then an idle stack as it stays with no commands: every paced loop (relay poll,
        # catch-up: shared/pace.py) backed off to its longest, over a window at least that
        # long, so each loop looks at least once in it
        time.sleep(max(0.0, idle_settle_seconds - IDLE_SECONDS))
        meter.start()
        idle_started = time.time()
        counts_before = _settled_counts(op_dir)
        time.sleep(idle_seconds)
        idle = {name: spent / (time.time() - idle_started) for name, spent in meter.used().items()}
        idle_counted = _per(_counts_between(counts_before, _settled_counts(op_dir)),
                            time.time() - idle_started)
        phases["idle"] = time.time() - mark
        mark = time.time()
        # the watcher after the idle window: its change stream polls the server
        watcher = VisibilityWatcher(mongo_uri, {c: f"{prefix}_{c}" for c in CONSUMERS}).start()
        watchers = watcher.views
        warm = load.offer(warmup_seconds)
        _wait_visible(warm, watchers, settle_timeout)
        counts_before = _settled_counts(op_dir)
        ops_before, busy_before = server_ops(probe), machine_busy_seconds()
        meter.start()
        load_started = time.time()
        phases["warm-up"] = load_started - mark
        records = load.offer(seconds)
        window = time.time() - load_started
        phases["load"] = window
        used = meter.used()
        cpu = {name: spent / window for name, spent in used.items()}
        cpu["other processes on this machine"] = max(
            0.0, (machine_busy_seconds() - busy_before - sum(used.values())) / window)
        ops_after = server_ops(probe)
        ops_per_command = {k: (ops_after[k] - ops_before.get(k, 0)) / max(len(records), 1)
                           for k in ops_after if ops_after[k] - ops_before.get(k, 0)}
        mark = time.time()
        ok = [r for r in records if r.unit_id]
        _wait_visible(records, watchers, settle_timeout)
        phases["settle"] = time.time() - mark
        after_load = _settled_counts(op_dir)
        counted = _per(_counts_between(counts_before, after_load), max(len(ok), 1))
        recorded = _recorded_at(probe[f"{prefix}_units"], [r.unit_id for r in ok])
        # one command at a time, each visible everywhere before the next: nothing to
        # batch, the count a lightly loaded stack pays for every command
        mark = time.time()
        alone = []
        for _ in range(ALONE_COMMANDS):
            sent = load.offer(1 / rate)
            _wait_visible(sent, watchers, settle_timeout)
            alone += [r for r in sent if r.unit_id]
        counted_alone = _per(_counts_between(after_load, _settled_counts(op_dir)), max(len(alone), 1))
        phases["one at a time"] = time.time() - mark
        if attendance_sessions:
            # the unit directories' change stream stopped first: every open change stream's
            # getMore wakes on every write, which would load the phase it does not measure
            watcher.stop()
            watcher = None
            mark = time.time()
            attendance = attend.run(stack, probe, prefix, lambda: _counter(op_dir),
                                    sessions=attendance_sessions)
            phases["attendance"] = time.time() - mark
    finally:
        mark = time.time()
        if watcher is not None:
            watcher.stop()
        if load is not None:
            load.close()
        _stop_all(stack)
        probe.close()
        phases["stop"] = time.time() - mark

    inf = float("inf")
    per_consumer = {c: [w.seen.get(r.unit_id, inf) - r.sent for r in ok] for c, w in watchers.items()}
    all_three = [max(per_consumer[c][i] for c in CONSUMERS) for i in range(len(ok))]
    to_commit = [recorded[r.unit_id] - r.sent for r in ok if r.unit_id in recorded]
    commit_to_visible = [max(watchers[c].seen.get(r.unit_id, inf) for c in CONSUMERS) - recorded[r.unit_id]
                         for r in ok if r.unit_id in recorded]
    span = records[-1].sent - records[0].sent if len(records) > 1 else seconds
    return PropagationResult(
        rate=rate, seconds=seconds, commands=len(records), failed=len(records) - len(ok),
        missing=sum(1 for v in all_three if v == inf),
        send_lag_max=max(r.sent - r.scheduled for r in records),
        achieved_rate=(len(records) - 1) / span if span > 0 else 0.0,
        ack=[r.acked - r.sent for r in ok], per_consumer=per_consumer, all_three=all_three,
        to_commit=to_commit, commit_to_visible=commit_to_visible, startup_seconds=startup, cpu=cpu, idle_cpu=idle,
        early_idle_cpu=early_idle,
        ops_per_command=ops_per_command, counted=counted, idle_counted=idle_counted,
        counted_alone=counted_alone, alone_ack=[r.acked - r.sent for r in alone],
        alone_visible=[max(w.seen.get(r.unit_id, inf) for w in watchers.values()) - r.sent for r in alone],
        phases=phases, attendance=attendance)


def _wait_visible(records: list[Sent], watchers: dict, timeout: float) -> None:
    ok = [r for r in records if r.unit_id]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(r.unit_id in w.seen for r in ok for w in watchers.values()):
            return
        time.sleep(0.05)


def _settled_counts(op_dir: Path) -> dict:
    """Every process's counts once each has written what it counted until now (each
    writes every opcount.DUMP_SECONDS)."""
    time.sleep(3 * opcount.DUMP_SECONDS)
    return opcount.read_counts(op_dir)


def _counter(op_dir: Path):
    """Starts counting now: the function returned answers what the stack's processes
    counted since, per its divisor."""
    before = _settled_counts(op_dir)
    return lambda divisor: _per(_counts_between(before, _settled_counts(op_dir)), divisor)


def _counts_between(before: dict, after: dict) -> dict:
    out = {}
    for process, counts in after.items():
        for (purpose, command), n in counts.items():
            spent = n - before.get(process, {}).get((purpose, command), 0)
            if spent:
                out[(process, purpose, command)] = spent
    return out


def _per(counts: dict, divisor: float) -> dict:
    return {k: n / divisor for k, n in counts.items()}


def _stop_all(stack: Stack, grace: float = 15.0) -> None:
    """Stop every process at once (one by one, each consumer's catch-up waits out its RPC
    timeout against the sources already stopped), then kill what outlives the grace."""
    for proc in stack.processes.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + grace
    for key, proc in list(stack.processes.items()):
        try:
            proc.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        del stack.processes[key]


def _recorded_at(units_db, unit_ids: list[str]) -> dict[str, float]:
    wanted = set(unit_ids)
    found = {}
    for doc in units_db["events"].find({"type": "UnitRegistered"}, {"payload.unit_id": 1, "recorded_at": 1}):
        unit_id = doc["payload"]["unit_id"]
        if unit_id in wanted:
            found[unit_id] = _epoch(doc["recorded_at"])
    return found
