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
import random
import shutil
import signal
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

from shared import launcher

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # Debian's /usr/sbin one su's to rabbitmq
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def available() -> bool:
    return os.path.exists(SERVER) or shutil.which("rabbitmq-server") is not None


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _quiet_port() -> int:
    """A free port below the kernel's ephemeral range, so that no outgoing connection takes
    it while the node is stopped (the AMQP port must stay the node's across restarts)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    while True:
        port = random.randrange(10000, max(low, 10002) - 1)
        if _bindable(port):
            return port


class RabbitNode:
    def __init__(self, workdir: Path):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port, self.dist_port = _quiet_port(), 0
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
                "RABBITMQ_DIST_PORT": str(self.dist_port),  # Erlang's, any free one
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_MNESIA_BASE": f"{d}/mnesia", "RABBITMQ_LOG_BASE": f"{d}/log"}

    def start(self, timeout: float = 90) -> None:
        self.dist_port = _quiet_port()  # needs no stability: a fresh one each start
        server = SERVER if os.path.exists(SERVER) else shutil.which("rabbitmq-server")
        log = open(self.dir / "server.log", "ab")
        self.proc = subprocess.Popen([server], env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.dir, start_new_session=True)  # its crash dumps too

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
