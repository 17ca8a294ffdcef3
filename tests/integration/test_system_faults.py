"""The whole system under faults (issue 14, item 10): a full stack — gateway, four services
(units twice, so that the relay's lease moves), their relays — on a database and a RabbitMQ
node of the test's own, while a client sends a few hundred commands, and meanwhile every
part is killed: `kill -9` of each domain service, the gateway, the relay holder and the
database (restarted on the same storage), and the broker stopped and started. Each dead
process is started again at once, as supervisord does under `make run`.

The client sends each logical command with an ``Idempotency-Key`` of its own and retries it
with the SAME key after a 503, a timeout or a lost connection, as the 503's message invites.
In the end every command answered 2xx is in every projection exactly once (the units
service's own and the three consumers'), `dudao audit verify` and `rebuild --all` are clean,
nothing is parked, and the counts are printed."""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from assembly.stack import ROOT, Stack, wait_until
from shared import launcher
from tests.integration.test_delivery_processes import CONSUMERS, converged, directory
from tests.rabbit_node import available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not available(), reason="needs rabbitmq-server for a node of its own")]

MIN_COMMANDS, MAX_COMMANDS = 250, 400
GROUP_EVERY = 25          # every 25th command forms a supervision group; the rest register units
COMMAND_PATIENCE = 90     # seconds a client keeps retrying one command before it gives up
PROGRESS = 15             # commands accepted between one fault and the next
RETRYABLE = {500, 502, 503, 504}


class Load(threading.Thread):
    """One client sending commands one after another, each retried with its own key."""

    def __init__(self, stack: Stack, token: str):
        super().__init__(daemon=True)
        self.stack, self.token = stack, token
        self.enough = threading.Event()
        self.sent = 0
        self.accepted: list[tuple[str, str, dict]] = []  # (kind, name, answer)
        self.refused: list[tuple[str, int, str]] = []
        self.unanswered: list[str] = []
        self.retries = collections.Counter()

    def run(self) -> None:
        while self.sent < MAX_COMMANDS and (self.sent < MIN_COMMANDS or not self.enough.is_set()):
            self.sent += 1
            if self.sent % GROUP_EVERY == 0:
                name = f"第{self.sent}督导组"
                self.send("group", name, "/groups", {
                    "name": name, "members": [_person("组员甲"), _person("组员乙")],
                    "leader": _person(f"组长{self.sent}", "section", "副局长")})
            else:
                name = f"单位{self.sent}-{uuid.uuid4().hex[:6]}"
                self.send("unit", name, "/units", {"name": name, "org_type": "党支部",
                                                    "batch": 1 + self.sent % 3})

    def send(self, kind: str, name: str, path: str, body: dict) -> None:
        key = str(uuid.uuid4())  # one logical command, one key, however often it is sent
        deadline = time.monotonic() + COMMAND_PATIENCE
        while time.monotonic() < deadline:
            try:
                answer = self.stack.request("POST", path, self.token, json=body, timeout=15,
                                            headers={"Idempotency-Key": key})
            except requests.RequestException as err:
                self.retries[type(err).__name__] += 1
            else:
                if 200 <= answer.status_code < 300:
                    self.accepted.append((kind, name, answer.json()))
                    return
                if answer.status_code not in RETRYABLE:
                    self.refused.append((name, answer.status_code, answer.text[:200]))
                    return
                self.retries[answer.status_code] += 1
            time.sleep(0.3)
        self.unanswered.append(name)

    def accepted_count(self) -> int:
        return len(self.accepted)


def _person(name, rank="staff", post="科员"):
    return {"name": name, "rank": rank, "home_unit": "县财政局", "post": post}


class Faults:
    """Kills parts of the running system, starting each again as its supervisor would."""

    def __init__(self, stack: Stack, load: Load, db_dir, db_port: int, db, node):
        self.stack, self.load = stack, load
        self.db_dir, self.db_port, self.db, self.node = db_dir, db_port, db, node
        self.done: list[str] = []

    def after_progress(self) -> None:
        """Until the stack is healthy again and the client got PROGRESS more commands through."""
        self.stack.wait_healthy(timeout=90)  # fails at once if a process exited on its own
        target = self.load.accepted_count() + PROGRESS
        wait_until(lambda: self.load.accepted_count() >= target or not self.load.is_alive(),
                   timeout=90, interval=0.2, message=f"{PROGRESS} more commands accepted")

    def kill_process(self, key: str) -> None:
        name = key.split("-")[0]
        self.stack.kill(key)  # SIGKILL
        self.stack.start(name, instance=key if key != name else None)
        self.done.append(f"kill -9 {key}")

    def relay_holder(self) -> str:
        """The running units instance that holds the relay's lease. Just after a units
        process was killed its lease outlives it (until it expires, 10 s): wait for a live
        holder."""
        def live_holder():
            lease = self.stack.db("units")["meta"].find_one({"_id": "relay_lease"}) or {}
            pid = int(lease.get("owner", "::0").split(":")[1] or 0)
            return next((k for k, p in self.stack.processes.items()
                         if p.pid == pid and p.poll() is None and k.startswith("units")), None)
        return wait_until(live_holder, 30, 0.2, "a live units instance to hold the relay's lease")

    def kill_database(self) -> None:
        os.killpg(self.db.pid, signal.SIGKILL)
        self.db.wait(10)
        time.sleep(2)
        self.db = launcher.start_secantus(self.db_dir, self.db_port)
        self.done.append("kill -9 database")

    def restart_broker(self, down: float = 4) -> None:
        self.node.stop()
        time.sleep(down)
        self.node.start()
        self.done.append("broker stopped and started")


def _audit(stack: Stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assembly.cli", "audit", *args, "--quiet"],
                          env=stack.env, cwd=str(ROOT), capture_output=True, text=True, timeout=180)


def _logged(stack: Stack, service: str, event_type: str) -> collections.Counter:
    return collections.Counter(e["payload"]["name"] for e in
                               stack.db(service)["events"].find({"type": event_type}))


def test_no_acknowledged_command_is_lost_or_doubled_while_every_part_is_killed(broker_node, tmp_path):
    db_dir, db_port = tmp_path / "db", launcher.free_port()
    db = launcher.start_secantus(db_dir, db_port)
    amqp = broker_node.vhost(f"system-faults-{uuid.uuid4().hex[:8]}")
    stack = Stack(launcher.mongo_uri_for(db_port), amqp, "f" + uuid.uuid4().hex[:9], tmp_path / "stack",
                  {"DUDAO_RPC_TIMEOUT": "5"})
    faults = None
    try:
        stack.start_all()
        stack.start("units", instance="units-2")
        wait_until(lambda: "units started" in stack.log("units-2"), timeout=90,
                   message="the second units instance to start")
        load = Load(stack, stack.token("office"))
        faults = Faults(stack, load, db_dir, db_port, db, broker_node)
        load.start()

        faults.after_progress()
        for key in ("units", "supervision", "study", "evaluation", "gateway"):
            faults.kill_process(key)
            faults.after_progress()
        faults.kill_process(faults.relay_holder())
        faults.after_progress()
        faults.kill_database()
        faults.after_progress()
        faults.restart_broker()
        faults.after_progress()
        load.enough.set()
        load.join(COMMAND_PATIENCE * 2)
        assert not load.is_alive(), "the client never finished"
        load_ended = time.monotonic()

        wait_until(lambda: converged(stack), timeout=120, interval=1,
                   message="every consumer to apply every units event exactly once")
        converge_seconds = time.monotonic() - load_ended

        units = {name: answer["unit_id"] for kind, name, answer in load.accepted if kind == "unit"}
        groups = {name for kind, name, _ in load.accepted if kind == "group"}
        registered = _logged(stack, "units", "UnitRegistered")
        formed = _logged(stack, "supervision", "GroupFormed")
        cards = {d["_id"] for d in stack.db("units")["unit_cards"].find({}, {"_id": 1})}
        seen_by = {service: set(directory(stack, service)) for service in CONSUMERS}
        group_names = collections.Counter(d.get("name") for d in
                                          stack.db("supervision")["supervision_console_groups"].find())
        lost = sorted({name for name, unit_id in units.items()
                       if registered[name] == 0 or unit_id not in cards
                       or any(unit_id not in seen for seen in seen_by.values())}
                      | {name for name in groups if formed[name] == 0 or group_names[name] == 0})
        doubled = sorted([n for n, count in registered.items() if count > 1]
                         + [n for n, count in formed.items() if count > 1]
                         + [n for n, count in group_names.items() if count > 1])
        parked = _parked(stack)

        print(f"\nsystem faults: {', '.join(faults.done)}\n"
              f"  sent {load.sent}, accepted {len(load.accepted)}, refused {len(load.refused)}, "
              f"unanswered {len(load.unanswered)}, lost {len(lost)}, doubled {len(doubled)}, "
              f"seconds to converge {converge_seconds:.1f}\n"
              f"  retries {dict(load.retries)}")
        assert lost == [], f"acknowledged and lost: {lost}"
        assert load.retries[500] == 0, "a part down is a 503, never a 500 (see the gateway's log)"
        assert load.refused == [], load.refused
        assert load.unanswered == [], load.unanswered
        assert all(not p for p in parked.values()), parked
        verify = _audit(stack, "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        rebuild = _audit(stack, "rebuild", "--all")
        assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
        # a retry after a 503 must answer the first outcome (the Idempotency-Key)
        assert doubled == [], f"registered more than once: {doubled}"
    finally:
        stack.stop_all()
        server = faults.db if faults else db
        server.terminate()
        server.wait(15)


def _parked(stack: Stack) -> dict:
    with stack.rpc() as rpc:
        return {service: getattr(rpc, service).parked_events() for service in ("units",) + CONSUMERS}
