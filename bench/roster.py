"""(e) Roster import (issue 17 item 3): 5,000 members in one .xlsx, through the gateway.

The five processes run as in `make run` (``assembly.stack.Stack``, its own vhost, the same
SecantusDB with fsync on every commit). A unit is registered with three sections; its
token POSTs the workbook to /units/{unit}/roster/preview (every row checked, nothing
stored) and then to /units/{unit}/roster (one EnrolMembers: 5,000 MemberEnrolled in one
append). Timed: each answer, and from the import's send until the study service's roster
(``study_rosters``, folded from the units log and reacted to per member) holds all 5,000.
A figure, never an assertion."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import requests
from pymongo import MongoClient

from assembly.stack import Stack
from services.units.roster_workbook import rows_workbook

MEMBERS = 5000
TARGET_SECONDS = 60.0
SECTIONS = ["领导班子", "综合科", "人事科"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclasses.dataclass
class RosterFigures:
    members: int
    file_bytes: int
    preview_seconds: float
    import_seconds: float
    study_seconds: float | None
    status: int


def workbook(n: int) -> bytes:
    return rows_workbook([{"姓名": f"党员{i:05d}", "所在科室/支部": SECTIONS[i % 3],
                           "是否班子成员": "是" if i % 50 == 0 else "否",
                           "是否离退休": "是" if i % 20 == 0 else "否"} for i in range(n)])


def run(mongo_uri: str, amqp_uri: str, prefix: str, workdir: Path, members: int = MEMBERS,
        settle_timeout: float = 600) -> RosterFigures:
    stack = Stack(mongo_uri, amqp_uri, prefix, workdir / "roster-logs")
    probe = MongoClient(mongo_uri)
    try:
        stack.start_all()
        office = stack.token("office", "Benchmark office")
        r = requests.post(stack.base_url + "/units", headers={"Authorization": f"Bearer {office}"},
                          json={"name": "基准名册单位", "org_type": "党委", "batch": 1, "sections": SECTIONS},
                          timeout=30)
        r.raise_for_status()
        unit_id = r.json()["unit_id"]
        rosters = probe[f"{prefix}_study"]["study_rosters"]
        _wait(lambda: rosters.find_one({"_id": unit_id}), 60)
        headers = {"Authorization": f"Bearer {stack.token('unit', 'Benchmark unit', unit_id)}"}
        data = workbook(members)
        files = {"file": ("名册.xlsx", data, XLSX)}
        mark = time.time()
        preview = requests.post(f"{stack.base_url}/units/{unit_id}/roster/preview", headers=headers,
                                files=files, timeout=300)
        preview_seconds = time.time() - mark
        preview.raise_for_status()
        mark = time.time()
        answer = requests.post(f"{stack.base_url}/units/{unit_id}/roster", headers=headers, files=files,
                               timeout=300)
        import_seconds = time.time() - mark
        study_seconds = None
        if answer.status_code == 201:
            def all_there():
                doc = rosters.find_one({"_id": unit_id}, {"members.member_id": 1}) or {}
                return len(doc.get("members", [])) >= members
            if _wait(all_there, settle_timeout, 0.5):
                study_seconds = time.time() - mark
        return RosterFigures(members, len(data), preview_seconds, import_seconds, study_seconds,
                             answer.status_code)
    finally:
        probe.close()
        stack.stop_all()


def _wait(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def rows(f: RosterFigures) -> list[tuple]:
    from bench.report import verdict
    total = f.study_seconds
    return [
        ("(e) roster", f"{f.members} members, one .xlsx ({f.file_bytes / 1024:.0f} KiB): preview",
         f"{f.preview_seconds:.1f} s", "", "", "", ""),
        ("", "  import (one append), answered", f"{f.import_seconds:.1f} s (HTTP {f.status})", "", "",
         f"< {TARGET_SECONDS:.0f} s", verdict(f.status == 201 and f.import_seconds < TARGET_SECONDS)),
        ("", "  until study's roster holds every member",
         f"{total:.1f} s" if total is not None else "never", "", "", f"< {TARGET_SECONDS:.0f} s",
         verdict(total is not None and total < TARGET_SECONDS)),
    ]
