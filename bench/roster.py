"""(e) Roster import (issue 17 item 3): 5,000 members in one .xlsx, through the gateway.

The five processes run as in `make run` (``assembly.stack.Stack``, its own vhost, the same
SecantusDB with fsync on every commit). A unit is registered with three sections; its
token POSTs the workbook to /units/{unit}/roster/preview (every row checked, nothing
stored) and then to /units/{unit}/roster (one EnrolMembers: 5,000 MemberEnrolled in one
append). Timed: each answer, and from the import's send until each consumer of
``MemberEnrolled`` shows every member: the study service's roster (``study_rosters``, whose
reaction decides each enrolment), its compliance sheet's roster (``study_units``) and member
records (``study_members``), and the evaluation service's unit facts. Each is judged once its
inbox checkpoint has reached the import's last position (a cheap poll; the documents, some
of them the size of the whole roster, are then read once to count the members). An import
is only of use once study tracks the members: the last of them is the figure that counts.
Beside them, supervision, which follows the units log but keeps nothing of these events: what
delivering 5,000 events costs by itself.
Figures, never assertions."""
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
    study_seconds: float | None  # until study's roster holds every member (its reaction ran)
    status: int
    # per consumer of MemberEnrolled: (label, seconds from the import's send or None, members shown)
    consumers: list = dataclasses.field(default_factory=list)
    baseline_seconds: float | None = None  # until supervision's checkpoint passed the import


# (label, service, collection, how the unit's members are counted there)
CONSUMERS = (
    ("study's roster, each enrolment reacted to (study_rosters)", "study", "study_rosters", "members"),
    ("study's sheet roster (study_units)", "study", "study_units", "basis.roster.members"),
    ("study's member records (study_members)", "study", "study_members", None),
    ("evaluation's unit facts (evaluation_unit_facts)", "evaluation", "evaluation_unit_facts", "members"),
)
# follows the units log too but keeps nothing of MemberEnrolled: what delivering 5,000 events
# costs by itself, beside the consumers that fold them
BASELINE = "supervision"


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
        unit_id = register_unit(stack, probe, prefix, "基准名册单位")
        headers = unit_headers(stack, unit_id)
        data = workbook(members)
        preview_seconds, answer, import_seconds, mark = import_roster(stack, unit_id, headers, data)
        study_seconds, consumers, baseline = None, [], None
        if answer.status_code == 201:
            consumers, baseline = until_consumers_show(probe, prefix, unit_id, members, mark,
                                                       settle_timeout)
            study_seconds = consumers[0][1]
        return RosterFigures(members, len(data), preview_seconds, import_seconds, study_seconds,
                             answer.status_code, consumers, baseline)
    finally:
        probe.close()
        stack.stop_all()


def register_unit(stack: Stack, probe: MongoClient, prefix: str, name: str) -> str:
    """A unit with SECTIONS registered by the office, once the study service knows it (its
    roster import is checked against the study roster's sections)."""
    office = stack.token("office", "Benchmark office")
    r = requests.post(stack.base_url + "/units", headers={"Authorization": f"Bearer {office}"},
                      json={"name": name, "org_type": "党委", "batch": 1, "sections": SECTIONS},
                      timeout=30)
    r.raise_for_status()
    unit_id = r.json()["unit_id"]
    rosters = probe[f"{prefix}_study"]["study_rosters"]
    _wait(lambda: rosters.find_one({"_id": unit_id}), 60)
    return unit_id


def unit_headers(stack: Stack, unit_id: str) -> dict:
    """The unit's own token: the roster and study routes are the unit's (DESIGN.md)."""
    return {"Authorization": f"Bearer {stack.token('unit', 'Benchmark unit', unit_id)}"}


def import_roster(stack: Stack, unit_id: str, headers: dict, data: bytes):
    """Preview then import the workbook: (preview seconds, the import's answer, its seconds,
    the moment it was sent). A refused preview raises."""
    files = {"file": ("名册.xlsx", data, XLSX)}
    mark = time.time()
    preview = requests.post(f"{stack.base_url}/units/{unit_id}/roster/preview", headers=headers,
                            files=files, timeout=300)
    preview_seconds = time.time() - mark
    preview.raise_for_status()
    mark = time.time()
    answer = requests.post(f"{stack.base_url}/units/{unit_id}/roster", headers=headers, files=files,
                           timeout=300)
    return preview_seconds, answer, time.time() - mark, mark


def until_consumers_show(probe, prefix: str, unit_id: str, members: int, mark: float,
                          timeout: float) -> tuple[list[tuple], float | None]:
    """Per consumer, the seconds from ``mark`` until its checkpoint passed the import and its
    documents show every member (None if not within ``timeout``) and the members shown; and
    the seconds until the baseline's checkpoint passed it."""
    [last] = probe[f"{prefix}_units"]["events"].find({}, {"_id": 1}).sort("_id", -1).limit(1)
    head = last["_id"]  # the import's last MemberEnrolled: nothing else is written meanwhile
    found: dict[str, float] = {}
    services = {service for _, service, _, _ in CONSUMERS} | {BASELINE}
    deadline = time.time() + timeout
    while len(found) < len(services) and time.time() < deadline:
        for service in services - set(found):
            doc = probe[f"{prefix}_{service}"]["inbox_checkpoints"].find_one({"_id": "units"}) or {}
            if doc.get("position", 0) >= head:
                found[service] = time.time() - mark
        time.sleep(0.25)
    figures = []
    for label, service, collection, field in CONSUMERS:
        shown = _members_shown(probe[f"{prefix}_{service}"][collection], unit_id, field)
        seconds = found.get(service)
        figures.append((label, seconds if shown >= members else None, shown))
    return figures, found.get(BASELINE)


def _members_shown(collection, unit_id: str, field: str | None) -> int:
    if field is None:  # a document per member
        return collection.count_documents({"unit_id": unit_id})
    doc = collection.find_one({"_id": unit_id}, {f"{field}.member_id": 1}) or {}
    for part in field.split("."):
        doc = doc.get(part) or {}
    return len(doc) if isinstance(doc, list) else 0


def _wait(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def rows(f: RosterFigures) -> list[tuple]:
    from bench.report import verdict
    out = [
        ("(e) roster", f"{f.members} members, one .xlsx ({f.file_bytes / 1024:.0f} KiB): preview",
         f"{f.preview_seconds:.1f} s", "", "", "", ""),
        ("", "  import (one append), answered", f"{f.import_seconds:.1f} s (HTTP {f.status})", "", "",
         f"< {TARGET_SECONDS:.0f} s", verdict(f.status == 201 and f.import_seconds < TARGET_SECONDS)),
    ]
    if f.consumers:
        out.append(("", f"  until {BASELINE} (keeps nothing of MemberEnrolled) has read past them",
                    f"{f.baseline_seconds:.1f} s" if f.baseline_seconds is not None else "never",
                    "", "", "", ""))
    for label, seconds, shown in f.consumers:
        out.append(("", f"  until {label} holds all",
                    f"{seconds:.1f} s" if seconds is not None else f"never ({shown} of {f.members})",
                    "", "", f"< {TARGET_SECONDS:.0f} s",
                    verdict(seconds is not None and seconds < TARGET_SECONDS)))
    if not f.consumers:
        out.append(("", "  until the consumers show every member", "not reached (import refused)",
                    "", "", f"< {TARGET_SECONDS:.0f} s", verdict(False)))
    slowest = None if not f.consumers or any(s is None for _, s, _ in f.consumers) else max(
        s for _, s, _ in f.consumers)
    out.append(("", "  import until every consumer tracks the members (the figure that counts)",
                f"{slowest:.1f} s" if slowest is not None else "never", "", "",
                f"< {TARGET_SECONDS:.0f} s", verdict(slowest is not None and slowest < TARGET_SECONDS)))
    return out
