"""`make run` and `make test`: bring up the embedded stack and run the services
(supervisord supervises them, restarting one that dies) or the test suite against a
throwaway copy."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shlex
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
    env = _venv_path_env(dict(os.environ))
    var = var_dir()
    var.mkdir(parents=True, exist_ok=True)
    own_vhost = "DUDAO_AMQP_URI" not in env
    db = prepare_dependencies(env, var / "db", int(env.get("DUDAO_MONGO_PORT", "27117")))
    try:
        if own_vhost:
            env["DUDAO_AMQP_URI"] = _checkout_vhost(env["DUDAO_AMQP_URI"])
        port = env.setdefault("DUDAO_GATEWAY_PORT", "8080")
        base = f"http://127.0.0.1:{port}"
        history = _demo_history_days(env, var, load_demo)
        env.setdefault("DUDAO_CAMPAIGN_START", _campaign_start(var, days_ago=history))
        password = secrets.token_hex(16)
        config = write_supervisor_config(var, env, password, clock_days_behind=history)
        return _supervise(config, env, base, load_demo, var, password, history)
    finally:
        if db is not None:
            db.terminate()
            try:
                db.wait(15)
            except subprocess.TimeoutExpired:
                db.kill()


# -- supervision: supervisord runs the Procfile's processes ------------------------------------
# A process that exits is started again at once if it had been up SUPERVISOR_STARTSECS; one
# that dies sooner waits 1 s, 2 s, 3 s, … (supervisord's back-off) and, after
# SUPERVISOR_STARTRETRIES such failures in a row, is left FATAL until `dudao dev ctl start`.
SUPERVISOR_GROUP = "dudao"
SUPERVISOR_STARTSECS = 5
SUPERVISOR_STARTRETRIES = 30
SUPERVISOR_STOPWAITSECS = 20
_PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


def var_dir() -> Path:
    """Where `make run` keeps its database, logs and supervisor files: DUDAO_VAR_DIR, else ./var."""
    return Path(os.environ.get("DUDAO_VAR_DIR") or VAR).resolve()


def procfile(path: Path = ROOT / "Procfile") -> dict[str, str]:
    """The Procfile's `name: command` lines (blank lines and `#` comments skipped): the one
    list of the processes `make run` starts, and each container's command."""
    processes = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PROCFILE_LINE.match(line.strip())
        if not match:
            raise launcher.LaunchError(f"{path}:{number}: not a `name: command` line: {line!r}")
        if match.group(1) in processes:
            raise launcher.LaunchError(f"{path}:{number}: {match.group(1)} is listed twice")
        processes[match.group(1)] = match.group(2).strip()
    return processes


def supervisor_config_path(var: Path | None = None) -> Path:
    return (var or var_dir()) / "supervisor" / "supervisord.conf"


def _socket_path(var: Path) -> Path:
    path = var / "supervisor" / "supervisord.sock"
    if len(str(path)) < 100:  # a unix socket's path must fit in sun_path (108 bytes)
        return path
    import hashlib
    import tempfile
    return Path(tempfile.gettempdir()) / f"dudao-{hashlib.sha1(str(var).encode()).hexdigest()[:10]}.sock"


def _socket_answers(path: Path) -> bool:
    import socket
    with socket.socket(socket.AF_UNIX) as client:
        try:
            client.connect(str(path))
            return True
        except OSError:
            return False


def _ini(value) -> str:
    # supervisord expands %(name)s in values, some of them twice (the log files): no single
    # escape is right for every option, so a path with a % is refused rather than mangled
    if "%" in str(value):
        raise launcher.LaunchError(f"supervisord cannot be given a path with a '%' in it: {value} "
                                   f"(set DUDAO_VAR_DIR to another directory)")
    return str(value)


def write_supervisor_config(var: Path, env: dict, password: str | None = None,
                            clock_days_behind: int = 0, running: bool = False) -> Path:
    """supervisord's configuration, made afresh from the Procfile at every start: one program
    per line, all in one group (stopped together), output in var/log/NAME.log.
    ``clock_days_behind``: every service's clock set back that many days (DUDAO_CLOCK_OFFSET),
    while the demo county is loaded as it stood then; ``running``: rewritten for the running
    supervisord (`supervisorctl update`), with the password it was started with."""
    config = supervisor_config_path(var)
    config.parent.mkdir(parents=True, exist_ok=True)
    logs = var / "log"
    logs.mkdir(exist_ok=True)
    socket = _socket_path(var)
    if not running and _socket_answers(socket):
        raise launcher.LaunchError(f"a `make run` is already running on {var} "
                                   f"(`dudao dev ctl status`); stop it first")
    processes = procfile()
    # the socket is the owner's only (chmod), and supervisorctl still has to log in: the
    # password is made anew each start and lives only in this file (mode 0600)
    auth = ["username=dudao", f"password={password or secrets.token_hex(16)}"]
    behind = ([f'environment=DUDAO_CLOCK_OFFSET="-{clock_days_behind}d"'] if clock_days_behind
              else [])
    lines = [
        "; written by `dudao dev run` from the Procfile at each start; edits are lost",
        "[supervisord]", "nodaemon=true", f"logfile={_ini(logs / 'supervisord.log')}",
        "logfile_maxbytes=10MB", "logfile_backups=3",
        f"pidfile={_ini(config.parent / 'supervisord.pid')}", f"childlogdir={_ini(logs)}",
        "minfds=256", "minprocs=64",  # never more than an unprivileged user may have
        *(["user=root"] if os.getuid() == 0 else []),  # says so, instead of warning about it
        "", "[unix_http_server]", f"file={_ini(socket)}", "chmod=0700", *auth,
        "", "[supervisorctl]", f"serverurl=unix://{_ini(socket)}", *auth,
        "", "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "", f"[group:{SUPERVISOR_GROUP}]", f"programs={','.join(processes)}",
    ]
    for name, command in processes.items():
        argv = shlex.split(command)
        argv[0] = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
        lines += [
            "", f"[program:{name}]", f"command={_ini(shlex.join(argv))}", f"directory={_ini(ROOT)}",
            # the gateway last up, first down
            f"priority={900 if name == 'gateway' else 100}",
            "autostart=true", "autorestart=true",
            f"startsecs={SUPERVISOR_STARTSECS}", f"startretries={SUPERVISOR_STARTRETRIES}",
            "stopsignal=TERM", f"stopwaitsecs={SUPERVISOR_STOPWAITSECS}",
            "stopasgroup=true", "killasgroup=true",  # each runs in a process group of its own
            "redirect_stderr=true", f"stdout_logfile={_ini(logs / (name + '.log'))}",
            "stdout_logfile_maxbytes=10MB", "stdout_logfile_backups=3", *behind,
        ]
    config.unlink(missing_ok=True)
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    return config


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it if `dudao dev run` dies (even by kill -9)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _supervise(config: Path, env: dict, base: str, load_demo: bool, var: Path, password: str,
               history_days: int = 0) -> int:
    exe = shutil.which("supervisord", path=env["PATH"]) or str(Path(sys.executable).with_name("supervisord"))
    # its own session: Ctrl-C reaches `dev run` only, which then stops supervisord, which
    # stops every service (SIGTERM, SIGKILL after stopwaitsecs) before it exits
    supervisor = subprocess.Popen([exe, "-c", str(config)], env=env, cwd=str(ROOT),
                                  start_new_session=True, preexec_fn=_die_with_parent)
    stopping = []

    def stop(signum, frame):
        if not stopping:
            print(f"\nstopping (signal {signum}): every service, then the database", flush=True)
        stopping.append(signum)
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)  # a second Ctrl-C asks again; it is idempotent

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def announce():
        try:
            wait_healthy(base + "/api/v1/health")
        except launcher.LaunchError as err:
            print(f"\n!! {err}; see the logs in {var / 'log'}", flush=True)
            return
        token = issue_token(env, "Demo office", "office")
        if load_demo:
            _load_demo(env, base, token, history_days)
        if history_days and not _run_on_to_today(config, env, base, var, password):
            return
        print("\n" + "=" * 70 +
              f"\nDudao is up.\n  API:        {base}/api/v1/health\n"
              f"  OpenAPI:    {base}/api/v1/openapi.json\n"
              f"  Dashboard:  {base}/\n  Office token (Authorization: Bearer …):\n    {token}\n"
              f"  try: curl -H 'Authorization: Bearer {token}' {base}/api/v1/units\n"
              f"Logs in {var / 'log'}; a service that dies is restarted (`dudao dev ctl status`).\n"
              f"Ctrl-C stops everything.\n" + "=" * 70, flush=True)

    threading.Thread(target=announce, daemon=True).start()
    try:
        code = supervisor.wait()
    finally:
        if supervisor.poll() is None:  # not stopped by a signal: an exception in here
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(SUPERVISOR_STOPWAITSECS + 10)
            except subprocess.TimeoutExpired:
                supervisor.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopping:
        return 0
    print(f"\n!! supervisord exited with {code}; see {var / 'log' / 'supervisord.log'}", flush=True)
    return code or 1


def supervisorctl(args: list[str]) -> int:
    """`supervisorctl` on the running `make run` stack (status, restart dudao:units, tail …)."""
    config = supervisor_config_path()
    if not config.exists():
        raise launcher.LaunchError(f"no {config}: start the stack with `make run` first")
    exe = shutil.which("supervisorctl") or str(Path(sys.executable).with_name("supervisorctl"))
    return subprocess.call([exe, "-c", str(config), *args])


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


def _campaign_start(var: Path, days_ago: int = 0) -> str:
    """The local stack's campaign calendar starts the day of its first `make run` (the day
    the demo county is loaded as of, ``days_ago``) and keeps that day (var/campaign-start) as
    long as var/db keeps its events (shared/campaign_calendar.py)."""
    pinned = var / "campaign-start"
    if not pinned.exists():
        start = dt.date.fromisoformat(today()) - dt.timedelta(days=days_ago)
        pinned.write_text(start.isoformat() + "\n")
    return pinned.read_text().strip()


def _demo_history_days(env: dict, var: Path, load_demo: bool) -> int:
    """How many days back a first `make run` loads the demo county (assembly/demo/county.py):
    none when the demo is not loaded, on a later start, or when the operator set the
    calendar or the clock themselves."""
    from assembly.demo import HISTORY_DAYS
    fresh = not (var / "campaign-start").exists()
    own_time = env.get("DUDAO_CAMPAIGN_START") or env.get("DUDAO_CLOCK_OFFSET")
    return HISTORY_DAYS if load_demo and fresh and not own_time else 0


def _run_on_to_today(config: Path, env: dict, base: str, var: Path, password: str) -> bool:
    """Restart every service on the wall's clock: the scheduler then records what fell due
    while the demo county's weeks went by. False (said why) when the stack did not come back."""
    print("demo: the county stands as it did then; every service now restarts on today's "
          "clock …", flush=True)
    write_supervisor_config(var, env, password, running=True)
    exe = shutil.which("supervisorctl", path=env["PATH"]) or str(Path(sys.executable).with_name("supervisorctl"))
    subprocess.call([exe, "-c", str(config), "update"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(base + "/api/v1/health")
    except launcher.LaunchError as err:
        print(f"\n!! {err}; see the logs in {var / 'log'}", flush=True)
        return False
    return True


def _load_demo(env, base, token, days_ago: int = 0):
    from assembly import demo
    try:
        demo.load(base, token, days_ago=days_ago)
    except Exception as err:  # the stack stays up and its banner still shows the token
        print(f"\n!! the demo county was not loaded completely: {err}", flush=True)


def test(pytest_args: list[str]) -> int:
    """A throwaway stack: own database directory and port, own RabbitMQ vhost."""
    env = _venv_path_env(dict(os.environ))
    env.pop("DUDAO_CAMPAIGN_START", None)  # tests fix their own calendars
    run_id = uuid.uuid4().hex[:8]
    work = var_dir() / f"test-{run_id}"
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
    work = var_dir() / f"bench-{run_id}"
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
