"""CPU seconds used by the processes of the run (Linux /proc), to show where time goes."""
from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def mongo_server_pid(mongo_uri: str) -> int | None:
    """The local SecantusDB serving ``mongo_uri`` (None for a remote or real MongoDB)."""
    port = str(urllib.parse.urlparse(mongo_uri).port or 27017)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [a.decode(errors="replace") for a in argv]
        if any("secantusd" in a for a in text) and "--port" in text and \
                text[text.index("--port") + 1] == port:
            return int(entry.name)
    return None


class CpuMeter:
    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.started: dict[str, float] = {}

    def start(self) -> None:
        self.started = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def used(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) - self.started[name] for name, pid in self.pids.items()}


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine have been busy (from /proc/stat)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


def server_ops(client) -> dict[str, int]:
    """The server's operation counters (serverStatus), when it reports them."""
    try:
        return dict(client.admin.command("serverStatus").get("opcounters", {}))
    except Exception:
        return {}
