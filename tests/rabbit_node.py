"""A throwaway RabbitMQ node of the test's own, for tests that stop and start the broker
(the shared one on 5672 is never stopped): its own node name, ports, database and logs
under a directory of the test's, no plugins, the guest user allowed from anywhere.

    with rabbit_node(tmp_path) as node:
        stack = Stack(mongo_uri, node.uri, ...)
        node.stop(); node.start()   # same storage: durable queues and their messages stay
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

from shared import launcher

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # Debian's /usr/sbin one su's to rabbitmq
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def available() -> bool:
    return os.path.exists(SERVER) or shutil.which("rabbitmq-server") is not None


def _ports() -> tuple[int, int]:
    """An AMQP port and the distribution port beside it, both free (Erlang wants the
    distribution port explicit when several nodes share a machine)."""
    while True:
        port = launcher.free_port()
        if port + 1 < 65536 and not launcher.port_open("127.0.0.1", port + 1):
            return port, port + 1


class RabbitNode:
    def __init__(self, workdir: Path):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port, self.dist_port = _ports()
        self.name = f"dudao-test-{uuid.uuid4().hex[:8]}@localhost"
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        (self.dir / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's NODENAME
        self.proc: subprocess.Popen | None = None

    def _env(self) -> dict:
        d = str(self.dir)
        return {**os.environ, "HOME": d,  # its own Erlang cookie
                "RABBITMQ_CONF_ENV_FILE": f"{d}/rabbitmq-env.conf",
                "RABBITMQ_CONFIG_FILE": f"{d}/rabbitmq.conf",
                "RABBITMQ_ENABLED_PLUGINS_FILE": f"{d}/enabled_plugins",
                "RABBITMQ_NODENAME": self.name, "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_MNESIA_BASE": f"{d}/mnesia", "RABBITMQ_LOG_BASE": f"{d}/log"}

    def start(self, timeout: float = 90) -> None:
        server = SERVER if os.path.exists(SERVER) else shutil.which("rabbitmq-server")
        log = open(self.dir / "server.log", "ab")
        self.proc = subprocess.Popen([server], env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise launcher.LaunchError(f"RabbitMQ node {self.name} exited; see {log.name}")
            return launcher.port_open("127.0.0.1", self.port)

        launcher.wait_for(up, timeout, f"RabbitMQ node {self.name}", 0.3)

    def vhost(self, name: str) -> str:
        """Create the vhost ``name`` (so tests sharing the node share no queue); its URI."""
        ctl = CTL if os.path.exists(CTL) else shutil.which("rabbitmqctl")
        for args in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
            subprocess.run([ctl, "-n", self.name, *args], env=self._env(), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        return self.uri + name

    def stop(self) -> None:
        """Stop the node (its whole process group: beam, epmd stays shared) and wait."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None
        launcher.wait_for(lambda: not launcher.port_open("127.0.0.1", self.port), 30,
                          f"RabbitMQ node {self.name} to let go of its port")


@contextlib.contextmanager
def rabbit_node(workdir: Path) -> Iterator[RabbitNode]:
    node = RabbitNode(workdir)
    node.start()
    try:
        yield node
    finally:
        node.stop()
