"""A small, realistic campaign log for audit tests and the replay benchmark: units
registered with members (units log), groups formed and units assigned to them
(supervision log, caused by the registrations). Appended through any EventStore."""
from __future__ import annotations

import uuid

from shared.eventstore.base import EventStore

OFFICE = {"id": "p-office", "name": "县委办 王主任", "role": "office", "scope": None}
SECTIONS = ["机关", "离退休"]
SURNAMES = "王李张刘陈杨赵黄周吴"


def unit_actor(unit_id: str) -> dict:
    return {"id": f"p-{unit_id}", "name": f"{unit_id} 书记", "role": "unit", "scope": unit_id}


def register_unit(units: EventStore, name: str, batch: int = 1, members: int = 3) -> dict:
    """UnitRegistered then MemberEnrolled x members; returns ids and the envelopes."""
    from services.units.domain.events import MemberEnrolled, UnitRegistered
    unit_id = "u-" + uuid.uuid4().hex[:12]
    stream = f"unit-{unit_id}"
    [registered] = units.append(stream, 0, [UnitRegistered(
        unit_id=unit_id, name=name, org_type="党委", batch=batch, sections=list(SECTIONS),
        deadlines={"mobilization": "2024-03-10", "analysis": "2024-04-30"})], actor=OFFICE)
    enrolled = []
    for i in range(members):
        enrolled += units.append(stream, None, [MemberEnrolled(
            unit_id=unit_id, member_id="m-" + uuid.uuid4().hex[:12],
            name=f"{SURNAMES[i % len(SURNAMES)]}同志{i}", section=SECTIONS[i % 2],
            is_leader=i == 0, is_retired=i % 2 == 1)], actor=unit_actor(unit_id))
    return {"unit_id": unit_id, "registered": registered, "enrolled": enrolled}


def form_group(supervision: EventStore, name: str = "第一督导组") -> str:
    from services.supervision.domain.events import GroupFormed
    group_id = "g-" + uuid.uuid4().hex[:12]
    supervision.append(f"group-{group_id}", 0, [GroupFormed(
        group_id=group_id, name=name, leader=_person("赵组长", "正科级"),
        members=[_person("钱督导", "副科级"), _person("孙督导", "科员")], formed_on="2024-02-01")],
        actor=OFFICE)
    return group_id


def _person(name: str, rank: str) -> dict:
    """A group member as supervision records one (released from their post, R18)."""
    return {"member_id": "s-" + uuid.uuid4().hex[:12], "name": name, "rank": rank,
            "home_unit": "县委组织部", "post": "干部", "released_from_post": True}


def assign_unit(supervision: EventStore, group_id: str, registered: dict, count: int = 1) -> dict:
    """UnitAssigned, caused by (and correlated with) the unit's registration."""
    from services.supervision.domain.events import UnitAssigned
    unit_id = registered["payload"]["unit_id"]
    [env] = supervision.append(f"supervised-unit-{unit_id}", 0, [UnitAssigned(
        group_id=group_id, unit_id=unit_id, over_soft_limit=False, unit_count=count,
        assigned_on="2024-02-05", meeting_date="2024-02-18")],
        actor={"id": "system:supervision", "name": "supervision service", "role": "system", "scope": None},
        correlation_id=registered["correlation_id"], causation_id=registered["event_id"])
    return env


def campaign(units: EventStore, supervision: EventStore, n_units: int = 3, members: int = 3) -> dict:
    group_id = form_group(supervision)
    registered = []
    for i in range(n_units):
        unit = register_unit(units, f"第{i + 1}单位", batch=1 + i % 3, members=members)
        assign_unit(supervision, group_id, unit["registered"], i + 1)
        registered.append(unit)
    return {"group_id": group_id, "units": registered}
