"""Bringing up the local dependencies: the embedded SecantusDB and a reachable RabbitMQ.

Used by `make run`, `make test` and the test fixtures, so all three start the
stack the same way."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


class LaunchError(RuntimeError):
    """A dependency could not be brought up; the message says what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(check, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise LaunchError(f"timed out after {timeout:.0f}s waiting for {what}")


# -- SecantusDB ------------------------------------------------------------------------------
def secantus_command(port: int, storage: Path) -> list[str]:
    exe = shutil.which("secantusd-py") or str(Path(sys.executable).with_name("secantusd-py"))
    # --sync-on-commit: a commit is on disk before it is acknowledged, so a kill -9 of the
    # server never loses an answered write (its default acknowledges before the fsync)
    return [exe, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage),
            "--sync-on-commit"]


def mongo_uri_for(port: int) -> str:
    # retryWrites=false: SecantusDB slows down badly after ~10k retryable writes
    return f"mongodb://127.0.0.1:{port}/?retryWrites=false"


def start_secantus(storage: Path, port: int, log_path: Path | None = None) -> subprocess.Popen:
    """Start the embedded Mongo-wire server as its own process and wait until it answers."""
    storage.mkdir(parents=True, exist_ok=True)
    log = open(log_path or storage / "secantus.log", "ab")
    proc = subprocess.Popen(secantus_command(port, storage), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)

    def ready():
        if proc.poll() is not None:
            raise LaunchError(f"SecantusDB exited with {proc.returncode}; see {log.name}")
        return mongo_ping(mongo_uri_for(port))

    wait_for(ready, 60, f"SecantusDB on port {port}")
    return proc


def mongo_ping(uri: str) -> bool:
    from pymongo import MongoClient
    try:
        client = MongoClient(uri, serverSelectionTimeoutMS=500)
        client.admin.command("ping")
        client.close()
        return True
    except Exception:
        return False


# -- RabbitMQ --------------------------------------------------------------------------------
def amqp_parts(uri: str) -> urllib.parse.ParseResult:
    return urllib.parse.urlparse(uri)


def ensure_rabbit(uri: str) -> None:
    """Make sure the broker answers: start an installed local one if it is stopped."""
    parts = amqp_parts(uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if port_open(host, port):
        return
    local = host in ("127.0.0.1", "localhost", "::1")
    if local and shutil.which("rabbitmq-server"):
        subprocess.run(["rabbitmq-server", "-detached"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(host, port), 90, f"RabbitMQ on {host}:{port}", 0.5)
        return
    raise LaunchError(
        f"RabbitMQ is not reachable at {host}:{port}. Either install it "
        f"(Debian: `apt-get install rabbitmq-server`, then `rabbitmq-plugins enable "
        f"rabbitmq_management`) or set DUDAO_AMQP_URI=amqp://USER:PASS@HOST:PORT/VHOST "
        f"to a broker you run.")


def management_url(uri: str) -> str:
    parts = amqp_parts(uri)
    return os.environ.get("DUDAO_RABBIT_MANAGEMENT", f"http://{parts.hostname or '127.0.0.1'}:15672")


def _management(uri: str, method: str, path: str) -> int:
    parts = amqp_parts(uri)
    request = urllib.request.Request(management_url(uri) + path, method=method)
    user = urllib.parse.unquote(parts.username or "guest")
    password = urllib.parse.unquote(parts.password or "guest")
    import base64
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("content-type", "application/json")
    if method == "PUT":
        request.data = json.dumps({}).encode()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _rabbitmqctl(*args: str) -> bool:
    if not shutil.which("rabbitmqctl"):
        return False
    done = subprocess.run(["rabbitmqctl", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return done.returncode == 0


def create_vhost(uri: str, vhost: str) -> str:
    """Create a throwaway vhost (management API, else rabbitmqctl); return the URI for it."""
    parts = amqp_parts(uri)
    user = urllib.parse.unquote(parts.username or "guest")
    quoted = urllib.parse.quote(vhost, safe="")
    try:
        ok = _management(uri, "PUT", f"/api/vhosts/{quoted}") in (201, 204)
        ok = ok and _management(uri, "PUT", f"/api/permissions/{quoted}/{user}") in (201, 204)
    except OSError:
        ok = False
    if not ok:
        ok = _rabbitmqctl("add_vhost", vhost) and _rabbitmqctl(
            "set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    if not ok:
        raise LaunchError(f"could not create RabbitMQ vhost {vhost}: enable the management "
                          f"plugin (`rabbitmq-plugins enable rabbitmq_management`) or run as a "
                          f"user allowed to use rabbitmqctl")
    return parts._replace(path="/" + quoted).geturl()


def delete_vhost(uri: str, vhost: str) -> None:
    try:
        if _management(uri, "DELETE", f"/api/vhosts/{urllib.parse.quote(vhost, safe='')}") in (204, 404):
            return
    except OSError:
        pass
    _rabbitmqctl("delete_vhost", vhost)
