"""`make run` (`dudao dev run`) as a user runs it, in a subprocess on free ports with its own
var directory, vhost and database prefix: supervisord restarts a service killed with
`kill -9` while the others keep answering, and Ctrl-C (SIGINT) or SIGTERM stops every
process it started."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from assembly.stack import wait_until as stack_wait_until
from shared import launcher

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DUDAO = (sys.executable, "-m", "assembly.cli")


def processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, start time) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] == "Z":
            continue  # a zombie has exited already
        table[int(entry.name)] = (int(fields[1]), fields[19])
    return table


def descendants(root: int) -> dict[int, str]:
    """pid → start time of every process below ``root`` (so a reused pid is not mistaken)."""
    table = processes()
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, started) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def still_running(pids: dict[int, str]) -> dict[int, str]:
    table = processes()
    return {pid: started for pid, started in pids.items() if table.get(pid, (0, None))[1] == started}


def wait_until(check, timeout: float, what: str, interval: float = 0.3):
    return stack_wait_until(check, timeout, interval, what)


def get(url: str, token: str | None = None, timeout: float = 5):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        return requests.get(url, headers=headers, timeout=timeout)
    except requests.RequestException:
        return None


@pytest.fixture
def dev_run(amqp_base_uri):
    """`dudao dev run --no-demo` started as `make run` starts it; whatever it leaves is killed."""
    vhost = "dudao-devrun-" + uuid.uuid4().hex[:8]
    amqp = launcher.create_vhost(amqp_base_uri, vhost)
    var = Path(tempfile.mkdtemp(prefix="dudao-devrun-"))
    env = dict(os.environ)
    env.pop("DUDAO_MONGO_URI", None)  # `make test`'s database: this stack starts its own
    env.update({"DUDAO_VAR_DIR": str(var), "DUDAO_MONGO_PORT": str(launcher.free_port()),
                "DUDAO_GATEWAY_PORT": str(launcher.free_port()), "DUDAO_AMQP_URI": amqp,
                "DUDAO_DB_PREFIX": "devrun" + uuid.uuid4().hex[:6]})
    output = open(var / "dev-run.out", "wb")
    proc = subprocess.Popen([*DUDAO, "dev", "run", "--no-demo"], env=env, cwd=str(ROOT),
                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    proc.env, proc.var, proc.seen = env, var, {}
    try:
        yield proc
    finally:
        left = still_running({**proc.seen, **descendants(proc.pid)})
        if proc.poll() is None:
            proc.kill()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(10)
        output.close()
        print((var / "dev-run.out").read_text(errors="replace")[-4000:])
        launcher.delete_vhost(amqp_base_uri, vhost)
        shutil.rmtree(var, ignore_errors=True)


def ctl(env: dict, *args: str) -> str:
    """`dudao dev ctl ARGS` (supervisorctl on this stack) and what it printed."""
    return subprocess.run([*DUDAO, "dev", "ctl", *args], env=env, cwd=str(ROOT),
                          capture_output=True, text=True, timeout=15).stdout


def units_pid(env: dict) -> int:
    out = ctl(env, "pid", "dudao:units").strip()
    return int(out) if out.isdigit() else 0


def all_running(env: dict) -> bool:
    states = re.findall(r"^dudao:(\S+)\s+(\S+)", ctl(env, "status"), re.M)
    return len(states) == 5 and all(state == "RUNNING" for _, state in states)


def test_a_killed_service_comes_back_and_ctrl_c_stops_everything(dev_run):
    started = time.monotonic()
    env, out = dev_run.env, dev_run.var / "dev-run.out"
    base = f"http://127.0.0.1:{env['DUDAO_GATEWAY_PORT']}/api/v1"

    def banner():
        assert dev_run.poll() is None, f"dev run exited with {dev_run.returncode}"
        return re.search(r"Office token .*\n\s+(\S+)", out.read_text(errors="replace"))
    token = wait_until(banner, 60, "the banner with the office token").group(1)
    health = get(base + "/health")
    assert health is not None and health.status_code == 200 and health.json()["status"] == "ok"
    assert get(base + "/units", token).status_code == 200
    for name in ("units", "supervision", "study", "evaluation", "gateway"):
        assert (dev_run.var / "log" / f"{name}.log").exists()

    # a crash of a service that was up (past startsecs), not one still starting
    wait_until(lambda: all_running(env), 20, "supervisorctl status: every service RUNNING")
    tree = descendants(dev_run.pid)
    dev_run.seen.update(tree)
    old = units_pid(env)
    assert old in tree, "the units service runs under dev run's supervisord"
    assert os.getpgid(old) == old, "each service leads a process group of its own"

    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    # meanwhile the gateway and the other services answer
    groups = get(base + "/groups", token)
    assert groups is not None and groups.status_code == 200, groups
    assert get(base + "/openapi.json").status_code == 200
    during = get(base + "/health")
    assert during is not None, "health answers while units is down"
    print(f"\nhealth right after the kill: {during.status_code} "
          f"units={during.json()['services']['units']}")
    if during.status_code == 503:
        assert during.json()["services"]["units"]["ok"] is False

    def back():
        pid = units_pid(env)
        answer = get(base + "/health")
        ok = answer is not None and answer.status_code == 200 and answer.json()["status"] == "ok"
        return pid if pid and pid != old and ok else None
    new = wait_until(back, 30, "units restarted and /health green again")
    print(f"units {old} → {new} in {time.monotonic() - killed:.1f}s")
    wait_until(lambda: all_running(env), 20, "units RUNNING again")
    assert get(base + "/units", token).status_code == 200
    tree = descendants(dev_run.pid)
    dev_run.seen.update(tree)
    others = {pid for pid in dev_run.seen if pid not in (old, new)}
    assert others <= set(tree), "nothing but units was restarted: the others kept their pids"

    stop_and_check(dev_run, signal.SIGINT)  # Ctrl-C
    print(f"whole run {time.monotonic() - started:.0f}s")


def test_sigterm_stops_everything(dev_run):
    wait_until(lambda: dev_run.poll() is None and all_running(dev_run.env), 60,
               "supervisorctl status: every service RUNNING")
    dev_run.seen.update(descendants(dev_run.pid))
    stop_and_check(dev_run, signal.SIGTERM)


def stop_and_check(dev_run, sig: int) -> None:
    """Signal `dev run` and check every process it started (supervisord, each service
    including a restarted one, SecantusDB) is gone and their ports are closed."""
    assert len(dev_run.seen) >= 7, f"secantusd, supervisord and five services: {dev_run.seen}"
    dev_run.send_signal(sig)
    code = dev_run.wait(45)
    out = (dev_run.var / "dev-run.out").read_text(errors="replace")
    assert code == 0, out[-3000:]
    assert not still_running(dev_run.seen), "every process dev run started is gone"
    assert not launcher.port_open("127.0.0.1", int(dev_run.env["DUDAO_GATEWAY_PORT"]))
    assert not launcher.port_open("127.0.0.1", int(dev_run.env["DUDAO_MONGO_PORT"]))
