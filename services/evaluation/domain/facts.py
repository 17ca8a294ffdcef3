"""Facts other services own, handed to ``decide`` as plain values.

The handler reads them from evaluation's own projections of the units and
supervision logs (``unit_facts`` and ``unit_groups``, see projections.py) and builds
a ``UnitFacts`` with ``unit_facts_from_docs``. ``decide`` never looks anything up.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping


@dataclasses.dataclass(frozen=True)
class MemberFact:
    member_id: str
    name: str = ""
    is_leader: bool = False
    is_retired: bool = False


@dataclasses.dataclass(frozen=True)
class NotificationFact:
    """The unit's latest public notification (通报): its scope is the survey frame.

    ``phase`` is the unit's phase when it was made and ``survey_round`` the entry into
    phase survey it was made in (None outside that phase, and for notifications logged
    before the units service recorded the phase); ``rectification_status`` is what it
    told people about 整改情况和解决问题的情况 (speech A)."""

    notification_id: str
    scope: tuple[str, ...]
    date: str | None = None
    phase: str | None = None
    survey_round: int | None = None
    rectification_status: str = ""


@dataclasses.dataclass(frozen=True)
class UnitFacts:
    unit_id: str
    phase: str
    group_id: str | None = None
    group_arrived_on: str | None = None  # supervision's GroupArrived: the group is at the unit
    members: tuple[MemberFact, ...] = ()
    latest_notification: NotificationFact | None = None
    # how many times the unit has entered phase "survey" (1 the first time, 2 after
    # one 补课, ...): at most one survey per entry
    survey_round: int = 0

    def member(self, member_id: str) -> MemberFact | None:
        return next((m for m in self.members if m.member_id == member_id), None)

    @property
    def leader_ids(self) -> tuple[str, ...]:
        return tuple(m.member_id for m in self.members if m.is_leader)

    @property
    def member_ids(self) -> tuple[str, ...]:
        return tuple(m.member_id for m in self.members)


def unit_facts_from_docs(unit_doc: Mapping[str, Any], group_doc: Mapping[str, Any] | None = None) -> UnitFacts:
    """Build ``UnitFacts`` from a ``unit_facts`` document and a ``unit_groups`` document."""
    note = unit_doc.get("latest_notification")
    return UnitFacts(
        unit_id=unit_doc["unit_id"],
        phase=unit_doc.get("phase", "registered"),
        group_id=(group_doc or {}).get("group_id"),
        group_arrived_on=(group_doc or {}).get("arrived_on"),
        members=tuple(MemberFact(m["member_id"], m.get("name", ""), bool(m.get("is_leader")),
                                 bool(m.get("is_retired")))
                      for m in unit_doc.get("members", [])),
        latest_notification=(NotificationFact(
            note["notification_id"], tuple(note.get("scope", [])), note.get("date"),
            phase=note.get("phase"), survey_round=note.get("survey_round"),
            rectification_status=note.get("rectification_status") or "") if note else None),
        survey_round=int(unit_doc.get("survey_round", 0)),
    )
