"""What the study service knows about a unit, learned from the units service's
events (read as envelope dicts, never as imported classes): its batch, members
(retired cadres included, "离退休干部分别安排进各学习小组", B), study groups and the
mobilisation meeting date.

The roster is a pure fold over units envelopes. The entrypoint keeps it as a
projection and passes it into commands as a plain value."""
from __future__ import annotations

import bisect
import dataclasses
from typing import Any, Iterable, Mapping

from shared.domain import ERASED

UNITS_EVENT_TYPES = frozenset({
    "UnitRegistered", "MemberEnrolled", "StudyGroupFormed", "MemberPlacedInStudyGroup",
    "MobilizationMeetingScheduled", "MobilizationMeetingHeld",
    "PersonalDataErased",  # the office forgot a member's name (shared.personal_data)
})


@dataclasses.dataclass(frozen=True)
class RosterMember:
    member_id: str
    name: str
    section: str | None = None
    is_leader: bool = False
    is_retired: bool = False

    def to_doc(self) -> dict[str, Any]:
        # spelled out: dataclasses.asdict deep-copies field by field, and the roster is
        # re-serialised on every units event a projection applies
        return {"member_id": self.member_id, "name": self.name, "section": self.section,
                "is_leader": self.is_leader, "is_retired": self.is_retired}


@dataclasses.dataclass(frozen=True)
class RosterStudyGroup:
    study_group_id: str
    section: str | None
    leader_member_id: str | None
    member_ids: tuple[str, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        return {"study_group_id": self.study_group_id, "section": self.section,
                "leader_member_id": self.leader_member_id, "member_ids": list(self.member_ids)}


@dataclasses.dataclass(frozen=True)
class UnitRoster:
    unit_id: str
    name: str | None = None
    org_type: str | None = None
    batch: int | None = None
    members: Mapping[str, RosterMember] = dataclasses.field(default_factory=dict)
    study_groups: Mapping[str, RosterStudyGroup] = dataclasses.field(default_factory=dict)
    meeting_scheduled: str | None = None
    meeting_held: str | None = None

    @property
    def meeting_date(self) -> str | None:
        """The held date once known, else the scheduled one."""
        return self.meeting_held or self.meeting_scheduled

    def groups_of(self, member_id: str) -> list[str]:
        return sorted(g.study_group_id for g in self.study_groups.values()
                      if member_id in g.member_ids or member_id == g.leader_member_id)

    def to_doc(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id, "name": self.name, "org_type": self.org_type,
            "batch": self.batch,
            "members": [m.to_doc() for _, m in sorted(self.members.items())],
            "study_groups": [g.to_doc() for _, g in sorted(self.study_groups.items())],
            "meeting_scheduled": self.meeting_scheduled, "meeting_held": self.meeting_held,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "UnitRoster":
        return cls(
            unit_id=doc["unit_id"], name=doc.get("name"), org_type=doc.get("org_type"),
            batch=doc.get("batch"),
            members={m["member_id"]: RosterMember(**m) for m in doc.get("members", [])},
            study_groups={g["study_group_id"]: RosterStudyGroup(
                study_group_id=g["study_group_id"], section=g.get("section"),
                leader_member_id=g.get("leader_member_id"),
                member_ids=tuple(g.get("member_ids", ())))
                for g in doc.get("study_groups", [])},
            meeting_scheduled=doc.get("meeting_scheduled"),
            meeting_held=doc.get("meeting_held"),
        )


def evolve_roster(roster: UnitRoster | None, env: Mapping[str, Any]) -> UnitRoster | None:
    """Apply one units-service envelope; types the study service does not use pass."""
    kind, p = env["type"], env["payload"]
    if kind not in UNITS_EVENT_TYPES:
        return roster
    roster = roster or UnitRoster(unit_id=p["unit_id"])
    if kind == "UnitRegistered":
        return dataclasses.replace(roster, name=p.get("name"), org_type=p.get("org_type"),
                                   batch=p.get("batch"))
    if kind == "MemberEnrolled":
        member = _enrolled(p)
        return dataclasses.replace(roster, members={**roster.members, member.member_id: member})
    if kind == "PersonalDataErased":
        member = roster.members.get(p["subject_id"])
        if member is None:
            return roster
        return dataclasses.replace(roster, members={**roster.members,
                                                    member.member_id: dataclasses.replace(member, name=ERASED)})
    if kind == "StudyGroupFormed":
        group = RosterStudyGroup(study_group_id=p["study_group_id"], section=p.get("section"),
                                 leader_member_id=p.get("leader_member_id"),
                                 member_ids=tuple(p.get("member_ids") or ()))
        return dataclasses.replace(roster, study_groups={**roster.study_groups,
                                                         group.study_group_id: group})
    if kind == "MemberPlacedInStudyGroup":
        # e.g. a retired cadre placed in a section's group after it was formed
        old = roster.study_groups.get(p["study_group_id"]) or RosterStudyGroup(
            study_group_id=p["study_group_id"], section=None, leader_member_id=None)
        if p["member_id"] in old.member_ids:
            return roster
        group = dataclasses.replace(old, member_ids=old.member_ids + (p["member_id"],))
        return dataclasses.replace(roster, study_groups={**roster.study_groups,
                                                         group.study_group_id: group})
    if kind == "MobilizationMeetingScheduled":
        return dataclasses.replace(roster, meeting_scheduled=p.get("date"))
    return dataclasses.replace(roster, meeting_held=p.get("date"))  # MobilizationMeetingHeld


def _enrolled(p: Mapping[str, Any]) -> RosterMember:
    return RosterMember(member_id=p["member_id"], name=p.get("name") or "",
                        section=p.get("section"), is_leader=bool(p.get("is_leader")),
                        is_retired=bool(p.get("is_retired")))


def evolve_roster_doc(doc: Mapping[str, Any] | None, env: Mapping[str, Any]) -> dict[str, Any]:
    """``evolve_roster`` on a stored roster (``UnitRoster.to_doc``), answering the new doc:
    ``evolve_roster(UnitRoster.from_doc(doc), env).to_doc()``, except that a MemberEnrolled
    puts the one member's doc in its place in the sorted list and leaves the others as stored,
    where rebuilding every member's object and doc made a roster import of 5,000 members,
    one event each, quadratic. Never mutates ``doc``."""
    if doc and env["type"] == "MemberEnrolled":
        member = _enrolled(env["payload"]).to_doc()
        members = doc.get("members") or []
        at = bisect.bisect_left(members, member["member_id"], key=_member_id)
        after = at + 1 if at < len(members) and members[at]["member_id"] == member["member_id"] else at
        return {**doc, "members": [*members[:at], member, *members[after:]]}
    return evolve_roster(UnitRoster.from_doc(doc) if doc else None, env).to_doc()


def _member_id(member_doc: Mapping[str, Any]) -> str:
    return member_doc["member_id"]


def roster_from(envelopes: Iterable[Mapping[str, Any]], unit_id: str) -> UnitRoster | None:
    """Fold the units log (any units, in log order) into one unit's roster."""
    roster = None
    for env in envelopes:
        if env["type"] in UNITS_EVENT_TYPES and env["payload"].get("unit_id") == unit_id:
            roster = evolve_roster(roster, env)
    return roster
