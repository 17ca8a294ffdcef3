"""Test fixtures' engine (and the propagation benchmark's): real service processes on a
throwaway vhost and database prefix, killed and restarted at will, driven over HTTP and
RPC."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator, Sequence

import requests

from shared import launcher
from shared.config import ALL_PROCESSES

ROOT = Path(__file__).resolve().parent.parent
# what runs `serve NAME`: the `dudao` command, in this interpreter
DUDAO = (sys.executable, "-m", "assembly.cli")


class Stack:
    def __init__(self, mongo_uri: str, amqp_uri: str, db_prefix: str, workdir: Path,
                 extra_env: dict | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = launcher.free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/api/v1"
        self.env = dict(os.environ)
        self.env.update({
            "DUDAO_MONGO_URI": mongo_uri, "DUDAO_AMQP_URI": amqp_uri,
            "DUDAO_DB_PREFIX": db_prefix, "DUDAO_GATEWAY_PORT": str(self.port),
            "DUDAO_CATCH_UP_SECONDS": "1", "DUDAO_RELAY_POLL_SECONDS": "0.2",
            # idle backs off less than `make run`'s 30 s / 5 s: a test waits a minute at most
            "DUDAO_CATCH_UP_IDLE_SECONDS": "4", "DUDAO_RELAY_IDLE_SECONDS": "1",
            "DUDAO_RPC_TIMEOUT": "20",
        })
        self.env.update(extra_env or {})
        self.processes: dict[str, subprocess.Popen] = {}
        self.mongo_uri, self.amqp_uri, self.db_prefix = mongo_uri, amqp_uri, db_prefix
        self._tokens: dict[tuple, str] = {}

    # -- processes ----------------------------------------------------------------------
    def start(self, name: str, instance: str | None = None, *, command: Sequence[str] = DUDAO,
              **env) -> subprocess.Popen:
        """`COMMAND serve NAME` from the repository root, ``env`` added to the stack's.
        COMMAND is `dudao` unless a test gives another that takes the same arguments
        (tests/faults.py's injects a fault into the process, then runs `dudao`)."""
        key = instance or name
        log = open(self.workdir / f"{key}.log", "ab")
        proc = subprocess.Popen([*command, "serve", name],
                                env={**self.env, **{k: str(v) for k, v in env.items()}},
                                cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes[key] = proc
        return proc

    def start_all(self, **env) -> "Stack":
        for name in ALL_PROCESSES:
            self.start(name, **env)
        self.wait_healthy()
        return self

    def kill(self, key: str, sig=signal.SIGKILL) -> None:
        proc = self.processes[key]
        if proc.poll() is None:
            proc.send_signal(sig)
        proc.wait(30)
        del self.processes[key]

    def stop(self, key: str) -> None:
        self.kill(key, signal.SIGTERM)

    def stop_all(self, grace: float = 15) -> None:
        """SIGTERM everything at once (one by one, each would wait out its calls to
        the ones already gone), then SIGKILL whatever is still up after ``grace``."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for key, proc in list(self.processes.items()):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            del self.processes[key]

    def log(self, key: str) -> str:
        path = self.workdir / f"{key}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_healthy(self, timeout: float = 90) -> dict:
        def check():
            dead = [k for k, p in self.processes.items() if p.poll() is not None]
            if dead:
                raise AssertionError(f"{dead} exited:\n" + "\n".join(self.log(k)[-3000:] for k in dead))
            try:
                response = requests.get(self.base_url + "/health", timeout=5)
                return response.json() if response.status_code == 200 else None
            except requests.RequestException:
                return None
        return launcher.wait_for(check, timeout, "every service healthy", 0.3)

    # -- clients ------------------------------------------------------------------------
    def token(self, role: str = "office", name: str | None = None, scope: str | None = None) -> str:
        key = (role, name, scope)
        if key not in self._tokens:
            from assembly.devstack import issue_token
            self._tokens[key] = issue_token(self.env, name or f"test {role}", role, scope)
        return self._tokens[key]

    def request(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.base_url + path, headers=headers, **kwargs)

    def as_role(self, role: str = "office", scope: str | None = None, name: str | None = None):
        return Client(self, self.token(role, name, scope))

    def rpc(self):
        from nameko.standalone.rpc import ClusterRpcProxy
        return ClusterRpcProxy({"AMQP_URI": self.amqp_uri})

    def db(self, service: str):
        from pymongo import MongoClient
        return MongoClient(self.mongo_uri)[f"{self.db_prefix}_{service}"]


    def wait_answering(self, names: Sequence[str], timeout: float = 90) -> None:
        """Until each named service answers its health RPC (a process that exits fails at once)."""
        with self.rpc() as cluster:
            for name in names:
                def up(name=name):
                    if self.processes[name].poll() is not None:
                        raise AssertionError(f"{name} exited:\n{self.log(name)[-3000:]}")
                    try:
                        return getattr(cluster, name).health()["ok"]
                    except Exception:  # not declared yet, or not ready
                        return False
                wait_until(up, timeout, 0.3, f"the {name} service to answer")

    def drop_databases(self) -> None:
        from pymongo import MongoClient
        client = MongoClient(self.mongo_uri)
        try:
            for name in client.list_database_names():
                if name.startswith(self.db_prefix + "_"):
                    client.drop_database(name)
        finally:
            client.close()


@contextlib.contextmanager
def throwaway_stack(mongo_uri: str, amqp_base_uri: str, names: Sequence[str] | None = None,
                    env: dict | None = None, label: str = "stack") -> Iterator[Stack]:
    """A Stack on a vhost, database prefix and directory of its own running ``names`` (all
    processes when None), each answering; everything it made is removed afterwards."""
    vhost = f"dudao-{label}-{uuid.uuid4().hex[:8]}"
    amqp = launcher.create_vhost(amqp_base_uri, vhost)
    with tempfile.TemporaryDirectory(prefix=f"dudao-{label}-") as tmp:
        stack = Stack(mongo_uri, amqp, "r" + uuid.uuid4().hex[:9], Path(tmp), env or {})
        try:
            if names is None:
                stack.start_all()
            else:
                for name in names:
                    stack.start(name)
                stack.wait_answering(names)
            yield stack
        finally:
            stack.stop_all()
            launcher.delete_vhost(amqp_base_uri, vhost)
            stack.drop_databases()


class Client:
    """An HTTP client holding one person's token."""

    def __init__(self, stack: Stack, token: str):
        self.stack, self.token = stack, token

    def __getattr__(self, method):
        if method not in ("get", "post", "put", "delete", "patch"):
            raise AttributeError(method)
        return lambda path, **kw: self.stack.request(method.upper(), path, self.token, **kw)


def wait_until(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value {last!r}")


def new_prefix() -> str:
    return "t" + uuid.uuid4().hex[:10]
