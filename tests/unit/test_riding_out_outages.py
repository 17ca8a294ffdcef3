"""What lets a service outlive its dependencies' outages, without them: the container keeps
going when a worker's answer cannot reach the broker (and only then), and a process ends the
database sessions of its predecessors on this host that are gone, never a live one's."""
import os
import subprocess
import sys

import eventlet
import pytest
from kombu.exceptions import OperationalError

from shared.service_kit import sessions
from shared.service_kit.container import BrokerTolerantContainer
from shared.service_kit.sessions import SessionLedger


def container():
    c = BrokerTolerantContainer.__new__(BrokerTolerantContainer)
    c._worker_threads, c.killed, c.service_name = {"ctx": object()}, [], "units"
    c.kill = c.killed.append
    return c


def raising(error):
    def work():
        raise error
    thread = eventlet.spawn(work)
    eventlet.sleep(0)
    return thread


def test_a_worker_whose_answer_the_broker_could_not_take_leaves_the_container_running():
    c = container()
    c._handle_worker_thread_exited(raising(OperationalError("[Errno 111] ECONNREFUSED")), "ctx")
    assert c.killed == [] and c._worker_threads == {}


def test_any_other_error_after_the_worker_still_kills_the_container():
    c = container()
    c._handle_worker_thread_exited(raising(ValueError("a bug")), "ctx")
    assert len(c.killed) == 1 and c.killed[0][0] is ValueError


@pytest.mark.parametrize("pid,gone", [(os.getpid(), True), (os.getppid(), False), (2 ** 22 + 1, True)])
def test_gone_means_no_live_process_has_the_pid(pid, gone):
    assert sessions._gone(pid) is gone


def test_a_child_killed_but_not_reaped_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    child.kill()
    eventlet.sleep(0.5)  # dead, a zombie until waited for
    try:
        assert sessions._gone(child.pid)
    finally:
        child.wait()


class Records:
    def __init__(self):
        self.docs = {}

    def replace_one(self, query, doc, upsert):
        self.docs[query["_id"]] = {"_id": query["_id"], **doc}

    def find(self, query):
        return [d for d in self.docs.values() if d["host"] == query["host"]]

    def delete_many(self, query):
        for key in query["_id"]["$in"]:
            self.docs.pop(key)


class Client:
    def __init__(self):
        self.killed, self.next = [], 0

        class Admin:
            def command(admin, name, ids):
                self.killed.append((name, [i["id"] for i in ids]))
        self.admin = Admin()

    def start_session(self):
        self.next += 1

        class Session:
            session_id = {"id": f"lsid-{(self.next + 1) // 2}"}  # each server session twice
        return Session()


def test_every_server_session_is_recorded_once_before_its_first_use():
    client, records = Client(), Records()
    ledger = SessionLedger(client, {"sessions": records})
    for _ in range(4):
        client.start_session()
    assert sorted(records.docs) == ["lsid-1", "lsid-2"]
    assert {d["incarnation"] for d in records.docs.values()} == {ledger.incarnation}


def test_a_successor_ends_the_sessions_of_dead_predecessors_on_its_host_only():
    client, records = Client(), Records()
    ledger = SessionLedger(client, {"sessions": records})
    host = ledger.host
    records.docs = {
        "dead": {"_id": "dead", "host": host, "pid": 2 ** 22 + 1, "incarnation": "old"},
        "alive": {"_id": "alive", "host": host, "pid": os.getppid(), "incarnation": "other"},
        "elsewhere": {"_id": "elsewhere", "host": host + "-other", "pid": 2 ** 22 + 1, "incarnation": "x"},
        "mine": {"_id": "mine", "host": host, "pid": os.getpid(), "incarnation": ledger.incarnation}}
    assert ledger.end_predecessors() == 1
    assert client.killed == [("killSessions", ["dead"])]
    assert sorted(records.docs) == ["alive", "elsewhere", "mine"]
    assert ledger.end_predecessors() == 0 and len(client.killed) == 1
