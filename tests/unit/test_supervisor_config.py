"""The supervisord configuration `make run` writes from the Procfile, read back by
supervisord's own parser: one program per Procfile line running that line's command,
restarted whatever its exit, in a process group of its own, logging under the var dir."""
from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path

import pytest

from assembly import devstack
from shared import launcher

BIN = str(Path(sys.executable).parent)


def parsed(var: Path, **kwargs):
    from supervisor.datatypes import RestartUnconditionally
    from supervisor.options import ServerOptions
    config = devstack.write_supervisor_config(var, {"PATH": BIN}, **kwargs)
    options = ServerOptions()
    options.configfile = str(config)
    options.process_config(do_usage=False)
    (group,) = options.process_group_configs
    return config, options, group, RestartUnconditionally


def test_one_program_per_procfile_line_restarted_with_backoff(tmp_path):
    config, options, group, unconditionally = parsed(tmp_path / "var")
    assert group.name == devstack.SUPERVISOR_GROUP
    programs = {p.name: p for p in group.process_configs}
    lines = devstack.procfile()
    assert set(programs) == set(lines) == {"units", "supervision", "study", "evaluation", "gateway"}
    for name, program in programs.items():
        argv = shlex.split(lines[name])
        assert shlex.split(program.command)[1:] == argv[1:]
        assert Path(shlex.split(program.command)[0]).name == argv[0]  # found on the venv's PATH
        assert program.autorestart is unconditionally
        assert program.startsecs == devstack.SUPERVISOR_STARTSECS
        assert program.startretries == devstack.SUPERVISOR_STARTRETRIES > 5
        assert program.stopasgroup and program.killasgroup
        assert program.stdout_logfile == str(tmp_path / "var" / "log" / f"{name}.log")
        assert program.redirect_stderr
    assert programs["gateway"].priority > programs["units"].priority  # last up, first down
    assert options.nodaemon
    assert config.stat().st_mode & 0o077 == 0  # it holds supervisorctl's password


def test_a_long_var_path_puts_the_socket_in_tmp(tmp_path):
    var = tmp_path / ("x" * 120)
    config, options, _, _ = parsed(var)
    (server,) = options.configroot.supervisord.server_configs
    assert len(server["file"]) < 100 and not server["file"].startswith(str(var))
    assert f"serverurl=unix://{server['file']}\n" in config.read_text()  # supervisorctl's too


def test_a_percent_in_a_path_is_refused(tmp_path):
    with pytest.raises(launcher.LaunchError, match="'%'"):
        devstack.write_supervisor_config(tmp_path / "va%r", {"PATH": BIN})


def test_procfile_lines(tmp_path):
    path = tmp_path / "Procfile"
    path.write_text("# comment\n\nweb: dudao serve gateway\nunits:dudao serve units\n")
    assert devstack.procfile(path) == {"web": "dudao serve gateway", "units": "dudao serve units"}
    path.write_text("web dudao serve gateway\n")
    with pytest.raises(launcher.LaunchError, match="not a `name: command` line"):
        devstack.procfile(path)
    path.write_text("web: a\nweb: b\n")
    with pytest.raises(launcher.LaunchError, match="listed twice"):
        devstack.procfile(path)


def test_a_second_run_on_the_same_var_dir_is_refused(tmp_path):
    import socket
    var = tmp_path / "var"
    (var / "supervisor").mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as server:  # the first run's supervisord
        server.bind(str(devstack._socket_path(var)))
        server.listen()
        with pytest.raises(launcher.LaunchError, match="already running"):
            devstack.write_supervisor_config(var, {"PATH": BIN})


def test_the_demos_history_runs_every_service_behind_then_all_on_todays_clock(tmp_path):
    """A first `make run` loads the demo county as it stood HISTORY_DAYS ago: each program's
    clock is set back as far, then the running supervisord is given the same password and
    programs without the offset (`supervisorctl update` restarts them on the wall's time)."""
    var = tmp_path / "var"
    behind, _, group, _ = parsed(var, password="secret", clock_days_behind=35)
    assert {p.environment.get("DUDAO_CLOCK_OFFSET") for p in group.process_configs} == {"-35d"}
    assert "password=secret" in behind.read_text()
    today, _, group, _ = parsed(var, password="secret", running=True)
    assert all(not p.environment for p in group.process_configs)
    assert "password=secret" in today.read_text()


def test_only_a_first_run_with_the_demo_and_no_time_of_its_own_loads_history(tmp_path):
    from assembly.demo import HISTORY_DAYS
    from shared.clock import today
    var = tmp_path / "var"
    var.mkdir()
    assert devstack._demo_history_days({}, var, load_demo=False) == 0
    assert devstack._demo_history_days({"DUDAO_CAMPAIGN_START": "2024-02-16"}, var, True) == 0
    assert devstack._demo_history_days({"DUDAO_CLOCK_OFFSET": "-3d"}, var, True) == 0
    assert devstack._demo_history_days({}, var, True) == HISTORY_DAYS
    start = devstack._campaign_start(var, days_ago=HISTORY_DAYS)  # batch 1 began that day
    assert dt.date.fromisoformat(today()) - dt.date.fromisoformat(start) == dt.timedelta(HISTORY_DAYS)
    assert devstack._demo_history_days({}, var, True) == 0  # a later start: the county is there
    assert devstack._campaign_start(var) == start  # and keeps its calendar
