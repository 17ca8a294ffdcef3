"""(a, peer) The ``eventsourcing`` library on PostgreSQL, appending the same commands, beside
raw inserts of the same rows into a table like its own (issue 18 item 5).

The library (9.5, the ``bench`` extra: ``pip install -e '.[bench]'``) runs an
``Application`` on the PostgreSQL server named by DUDAO_BENCH_POSTGRES (libpq key=value
words; default ``host=127.0.0.1 port=5432 user=postgres dbname=postgres``), in a schema of
this run that is dropped afterwards. Each writer thread keeps its aggregates in memory the
way the Dudao append bench keeps its expected versions (no reload per command), five
commands per aggregate, and saves 1 or 10 new events per command. Then the rows it stored
are read back and inserted again, command by command (one transaction each), from the
same number of threads, into a fresh table made ``LIKE`` the library's (same primary key
and sequence default). The server's fsync and synchronous_commit are printed beside: a
figure bought by acknowledging commits a crash could lose would not count.

When no PostgreSQL answers, or the library is not installed, ``run`` says why and returns
no rows: the bench prints that and goes on."""
from __future__ import annotations

import dataclasses
import os
import time
import uuid

from bench.append import run_threads

COMMANDS_PER_AGGREGATE = 5
DEFAULT_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


@dataclasses.dataclass
class PeerResult:
    events_per_command: int
    writers: int
    events: int
    commands: int
    library_seconds: float
    raw_seconds: float

    @property
    def library_rate(self) -> float:
        return self.events / self.library_seconds

    @property
    def raw_rate(self) -> float:
        return self.events / self.raw_seconds

    @property
    def added_ms(self) -> float:
        return (self.library_seconds - self.raw_seconds) / self.commands * 1000


@dataclasses.dataclass
class PeerRun:
    skipped: str | None  # why nothing was measured
    server: str = ""
    durability: str = ""
    results: list = dataclasses.field(default_factory=list)


def _dsn_words(dsn: str) -> dict:
    return dict(word.split("=", 1) for word in dsn.split())


def run(seconds: float, shapes) -> PeerRun:
    try:
        import psycopg
        from eventsourcing.application import Application
        from eventsourcing.domain import Aggregate, event
    except ImportError as err:
        return PeerRun(skipped=f"the eventsourcing library is not installed ({err.name}): "
                               f"pip install -e '.[bench]'")
    dsn = os.environ.get("DUDAO_BENCH_POSTGRES", DEFAULT_DSN)
    try:
        admin = psycopg.connect(dsn, autocommit=True)
    except Exception as err:  # noqa: BLE001 - any failure to connect means: skip the row
        return PeerRun(skipped=f"no PostgreSQL answers at {_dsn_words(dsn).get('host', '?')}:"
                               f"{_dsn_words(dsn).get('port', '5432')} ({type(err).__name__})")

    class Unit(Aggregate):
        @event("Registered")
        def __init__(self, name: str, org_type: str, batch: int):
            self.name, self.org_type, self.batch, self.phase = name, org_type, batch, None

        @event("PhaseEntered")
        def enter(self, phase: str, deadline: str, note: str):
            self.phase = phase

    words = _dsn_words(dsn)
    schema = f"dudao_bench_{uuid.uuid4().hex[:8]}"
    out = PeerRun(skipped=None)
    with admin.cursor() as cur:
        cur.execute("SELECT version()")
        out.server = cur.fetchone()[0].split(" on ")[0]
        cur.execute("SHOW fsync")
        fsync = cur.fetchone()[0]
        cur.execute("SHOW synchronous_commit")
        out.durability = f"fsync {fsync}, synchronous_commit {cur.fetchone()[0]}"
        cur.execute(f"CREATE SCHEMA {schema}")
    try:
        for size, writers in shapes:
            env = {"PERSISTENCE_MODULE": "eventsourcing.postgres",
                   "POSTGRES_DBNAME": words.get("dbname", "postgres"),
                   "POSTGRES_HOST": words.get("host", "127.0.0.1"),
                   "POSTGRES_PORT": words.get("port", "5432"),
                   "POSTGRES_USER": words.get("user", "postgres"),
                   "POSTGRES_PASSWORD": words.get("password", ""),
                   "POSTGRES_SCHEMA": schema, "POSTGRES_POOL_SIZE": str(writers + 2),
                   "CREATE_TABLE": "y"}
            name = f"Units{size}x{writers}"
            app = type(name, (Application,), {"name": name})(env=env)
            table = f"{schema}.{name.lower()}_events"
            library_seconds, commands = _library_run(app, Unit, size, writers, seconds)
            app.close()
            raw_seconds, events = _raw_run(dsn, table, commands, writers)
            result = PeerResult(size, writers, events, sum(len(c) for c in commands),
                                library_seconds, raw_seconds)
            print(f"  peer {size:>2}-event x {writers} writer(s): eventsourcing {result.library_rate:,.0f} ev/s, "
                  f"raw insert {result.raw_rate:,.0f} ev/s ({events} events)", flush=True)
            out.results.append(result)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()
    return out


def _library_run(app, unit_class, size: int, writers: int, seconds: float):
    """Seconds the writers spent, and per writer its commands as (aggregate id, first
    version, last version)."""
    commands: list[list[tuple]] = [[] for _ in range(writers)]
    warm = [0] * writers

    def one_command(i: int, state: dict) -> tuple:
        if state.get("left", 0) == 0:
            state["unit"] = unit_class(name=f"县委办公室 w{i}", org_type="党支部", batch=1)
            state["left"] = COMMANDS_PER_AGGREGATE
            state["saved"] = 0
            first_events = size - 1
        else:
            first_events = size
        for n in range(first_events):
            state["unit"].enter(phase=("学习动员", "分析评议", "整改提高")[n % 3], deadline="2005-03-31",
                                note="进度服从质量，可适当延长")
        before = state["saved"]
        app.save(state["unit"])
        state["left"] -= 1
        state["saved"] = state["unit"].version
        return state["unit"].id, before + 1, state["saved"]

    states = [dict() for _ in range(writers)]
    for i in range(writers):  # warm-up: connections, table, code paths
        for _ in range(3):
            one_command(i, states[i])
            warm[i] += 1
    deadline = [0.0]

    def work(i):
        while time.perf_counter() < deadline[0]:
            commands[i].append(one_command(i, states[i]))

    deadline[0] = time.perf_counter() + seconds + 0.01
    elapsed = run_threads(writers, work)
    return elapsed, commands


def _raw_run(dsn: str, table: str, commands: list[list[tuple]], writers: int) -> tuple[float, int]:
    import psycopg
    raw_table = table + "_raw"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {raw_table} (LIKE {table} INCLUDING ALL)")
        rows_per_writer = []
        for mine in commands:
            rows = []
            for originator, first, last in mine:
                rows.append(conn.execute(
                    f"SELECT originator_id, originator_version, topic, state FROM {table} "
                    f"WHERE originator_id = %s AND originator_version BETWEEN %s AND %s "
                    f"ORDER BY originator_version", (originator, first, last)).fetchall())
            rows_per_writer.append(rows)
    events = sum(len(c) for w in rows_per_writer for c in w)
    connections = [psycopg.connect(dsn) for _ in range(writers)]
    try:
        for conn in connections:  # warm-up: the connections' first statements
            conn.execute("SELECT 1")
            conn.commit()

        def work(i):
            conn = connections[i]
            insert = (f"INSERT INTO {raw_table} (originator_id, originator_version, topic, state) "
                      f"VALUES (%s, %s, %s, %s)")
            for command in rows_per_writer[i]:
                with conn.cursor() as cur:
                    cur.executemany(insert, command)
                conn.commit()

        seconds = run_threads(writers, work)
    finally:
        for conn in connections:
            conn.close()
    return seconds, events
