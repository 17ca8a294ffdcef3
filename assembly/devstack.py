"""`make run` and `make test`: bring up the embedded stack and run the services
(honcho supervises them) or the test suite against a throwaway copy."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
import uuid
from pathlib import Path

from shared import launcher
from shared.clock import today

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _venv_path_env(env: dict) -> dict:
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def prepare_dependencies(env: dict, db_dir: Path, fixed_port: int | None):
    """Rabbit reachable, Mongo URI known (embedded SecantusDB unless one is given)."""
    amqp = env.setdefault("DUDAO_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    launcher.ensure_rabbit(amqp)
    if env.get("DUDAO_MONGO_URI"):
        return None
    port = fixed_port or launcher.free_port()
    if fixed_port and launcher.port_open("127.0.0.1", port):
        if launcher.mongo_ping(launcher.mongo_uri_for(port)):
            env["DUDAO_MONGO_URI"] = launcher.mongo_uri_for(port)
            return None  # our embedded server from an earlier run is still up
    proc = launcher.start_secantus(db_dir, port)
    env["DUDAO_MONGO_URI"] = launcher.mongo_uri_for(port)
    return proc


def wait_healthy(url: str, timeout: float = 90) -> dict:
    def check():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = json.loads(response.read())
                return body if body.get("status") == "ok" else None
        except Exception:
            return None
    return launcher.wait_for(check, timeout, f"{url} to report every service up", 0.5)


def issue_token(env: dict, name: str, role: str, scope: str | None = None) -> str:
    from pymongo import MongoClient

    from services.gateway.tokens import TokenStore
    client = MongoClient(env["DUDAO_MONGO_URI"])
    try:
        prefix = env.get("DUDAO_DB_PREFIX", "dudao")
        return TokenStore(client[f"{prefix}_gateway"]).issue(name, role, scope)["token"]
    finally:
        client.close()


def run(load_demo: bool = True) -> int:
    from honcho.environ import parse_procfile
    from honcho.manager import Manager

    env = _venv_path_env(dict(os.environ))
    VAR.mkdir(exist_ok=True)
    own_vhost = "DUDAO_AMQP_URI" not in env
    db = prepare_dependencies(env, VAR / "db", int(env.get("DUDAO_MONGO_PORT", "27117")))
    if own_vhost:
        env["DUDAO_AMQP_URI"] = _checkout_vhost(env["DUDAO_AMQP_URI"])
    port = env.setdefault("DUDAO_GATEWAY_PORT", "8080")
    base = f"http://127.0.0.1:{port}"
    env.setdefault("DUDAO_CAMPAIGN_START", _campaign_start())
    manager = Manager()
    procfile = parse_procfile((ROOT / "Procfile").read_text())
    for name, entry in procfile.processes.items():
        manager.add_process(name, entry, quiet=False, env=env, cwd=str(ROOT))

    def announce():
        try:
            wait_healthy(base + "/api/v1/health")
        except launcher.LaunchError as err:
            print(f"\n!! {err}; see the process output above", flush=True)
            return
        token = issue_token(env, "Demo office", "office")
        if load_demo:
            _load_demo(env, base, token)
        print("\n" + "=" * 70 +
              f"\nDudao is up.\n  API:        {base}/api/v1/health\n"
              f"  OpenAPI:    {base}/api/v1/openapi.json\n"
              f"  Dashboard:  {base}/\n  Office token (Authorization: Bearer …):\n    {token}\n"
              f"  try: curl -H 'Authorization: Bearer {token}' {base}/api/v1/units\n"
              f"Ctrl-C stops everything.\n" + "=" * 70, flush=True)

    threading.Thread(target=announce, daemon=True).start()
    try:
        manager.loop()
    finally:
        if db is not None:
            db.terminate()
            db.wait(15)
    return manager.returncode or 0


def _checkout_vhost(base_uri: str) -> str:
    """A RabbitMQ vhost of this checkout's own, so two checkouts' stacks on one broker
    never answer each other's RPCs or consume each other's events."""
    import hashlib
    vhost = "dudao-" + hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
    try:
        return launcher.create_vhost(base_uri, vhost)
    except launcher.LaunchError as err:
        print(f"note: using the broker's default vhost ({err})", flush=True)
        return base_uri


def _campaign_start() -> str:
    """The local stack's campaign calendar starts the day of its first `make run` and keeps
    that day (var/campaign-start) as long as var/db keeps its events
    (shared/campaign_calendar.py)."""
    pinned = VAR / "campaign-start"
    if not pinned.exists():
        pinned.write_text(today() + "\n")
    return pinned.read_text().strip()


def _load_demo(env, base, token):
    from assembly import demo
    try:
        demo.load(base, token)
    except Exception as err:  # the stack stays up and its banner still shows the token
        print(f"\n!! the demo county was not loaded completely: {err}", flush=True)


def test(pytest_args: list[str]) -> int:
    """A throwaway stack: own database directory and port, own RabbitMQ vhost."""
    env = _venv_path_env(dict(os.environ))
    env.pop("DUDAO_CAMPAIGN_START", None)  # tests fix their own calendars
    run_id = uuid.uuid4().hex[:8]
    work = VAR / f"test-{run_id}"
    work.mkdir(parents=True, exist_ok=True)
    db = prepare_dependencies(env, work / "db", None)
    base_amqp = env["DUDAO_AMQP_URI"]
    vhost = f"dudao-test-{run_id}"
    env["DUDAO_AMQP_URI"] = launcher.create_vhost(base_amqp, vhost)
    env["DUDAO_AMQP_BASE_URI"] = base_amqp
    env["DUDAO_DB_PREFIX"] = f"test{run_id}"
    env["DUDAO_TEST_WORKDIR"] = str(work)
    print(f"test stack: mongo {env['DUDAO_MONGO_URI']}  vhost {vhost}  dir {work}", flush=True)
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env, cwd=str(ROOT))
    finally:
        if db is not None:
            db.send_signal(signal.SIGTERM)
            try:
                db.wait(15)
            except subprocess.TimeoutExpired:
                db.kill()
        launcher.delete_vhost(base_amqp, vhost)
        shutil.rmtree(work, ignore_errors=True)


def bench(args: list[str]) -> int:
    env = _venv_path_env(dict(os.environ))
    run_id = uuid.uuid4().hex[:8]
    work = VAR / f"bench-{run_id}"
    db = prepare_dependencies(env, work / "db", None)
    base_amqp = env["DUDAO_AMQP_URI"]
    vhost = f"dudao-bench-{run_id}"
    env["DUDAO_AMQP_URI"] = launcher.create_vhost(base_amqp, vhost)
    env["DUDAO_AMQP_BASE_URI"] = base_amqp
    env["DUDAO_DB_PREFIX"] = f"bench{run_id}"
    env["DUDAO_TEST_WORKDIR"] = str(work)
    try:
        return subprocess.call([sys.executable, "-m", "bench", *args], env=env, cwd=str(ROOT))
    finally:
        if db is not None:
            db.terminate()
            db.wait(15)
        launcher.delete_vhost(base_amqp, vhost)
        shutil.rmtree(work, ignore_errors=True)
