"""Builders for the study service's unit tests: units-service envelopes as plain
dicts (the study service never imports their classes), a standard unit and
one-call decide-and-fold."""
from __future__ import annotations

import itertools
import uuid

from services.study.domain import (
    DEFAULT_CONFIG,
    RecordAttendance,
    RecordStudySession,
    StudyState,
    decide,
    evolve,
    roster_from,
    unit_stream,
)
from shared.domain import Actor
from shared.projection import envelope_for

UNIT = "u1"
UNIT_ACTOR = Actor(id="a-u1", name="县委办公室党支部", role="unit", scope=UNIT)
OFFICE = Actor(id="a-office", name="领导小组办公室", role="office")
SUPERVISOR = Actor(id="a-sup", name="督导组", role="supervisor", scope="g-1")

_positions = itertools.count(1)


def foreign(type_name: str, payload: dict, *, position: int | None = None,
            stream_id: str | None = None) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": type_name, "schema_version": 1,
            "stream_id": stream_id or f"unit-{payload.get('unit_id')}", "version": 1,
            "position": position or next(_positions), "occurred_at": "2024-02-01T00:00:00.000Z",
            "recorded_at": "2024-02-01T00:00:00.000Z",
            "actor": {"id": "x", "name": "x", "role": "unit", "scope": None},
            "correlation_id": str(uuid.uuid4()), "causation_id": None, "payload": payload,
            "hash": "", "prev_hash": ""}


def registered(unit_id=UNIT, name="县委办公室", batch=1):
    return foreign("UnitRegistered", {"unit_id": unit_id, "name": name, "org_type": "党支部",
                                      "batch": batch})


def enrolled(member_id, name, unit_id=UNIT, section="秘书科", is_leader=False,
             is_retired=False):
    return foreign("MemberEnrolled", {"unit_id": unit_id, "member_id": member_id, "name": name,
                                      "section": section, "is_leader": is_leader,
                                      "is_retired": is_retired})


def group_formed(group_id, leader, members, unit_id=UNIT, section="秘书科"):
    return foreign("StudyGroupFormed", {"unit_id": unit_id, "study_group_id": group_id,
                                        "section": section, "leader_member_id": leader,
                                        "member_ids": members})


def meeting(kind, date, unit_id=UNIT):
    return foreign(f"MobilizationMeeting{kind}", {"unit_id": unit_id, "date": date})


def standard_units_log(meeting_date="2024-02-14", batch=1):
    """Four members, one retired (B: "离退休干部分别安排进各学习小组"), two study groups."""
    return [registered(batch=batch),
            enrolled("m1", "张主任", is_leader=True),
            enrolled("m2", "李科长", section="综合科"),
            enrolled("m3", "王干事", section="信息科"),
            enrolled("m4", "赵老", section="秘书科", is_retired=True),
            group_formed("g1", "m1", ["m1", "m2", "m4"]),
            group_formed("g2", "m3", ["m3"], section="信息科"),
            meeting("Scheduled", meeting_date)]


def standard_roster(**kw):
    return roster_from(standard_units_log(**kw), UNIT)


def run(state, command, config=DEFAULT_CONFIG):
    """decide then fold: (events, new state)."""
    events = decide(state, command, config)
    for event in events:
        state = evolve(state, event)
    return events, state


def session_cmd(session_id="s1", roster=None, **kw):
    fields = dict(unit_id=UNIT, session_id=session_id, roster=roster or standard_roster(),
                  today="2024-02-16", form="lecture", date="2024-02-16", hours=4,
                  content_keys=("hu_jintao_speech",))
    fields.update(kw)
    return RecordStudySession(**fields)


def attend_cmd(session_id, member_ids, roster=None, today="2024-03-01"):
    return RecordAttendance(unit_id=UNIT, session_id=session_id, member_ids=tuple(member_ids),
                            roster=roster or standard_roster(), today=today)


def with_sessions(*specs, state=None, roster=None):
    """specs: (session_id, extra kwargs, attendees)."""
    state = state or StudyState()
    roster = roster or standard_roster()
    events = []
    for session_id, kw, attendees in specs:
        new, state = run(state, session_cmd(session_id, roster=roster, **kw))
        events += new
        if attendees:
            new, state = run(state, attend_cmd(session_id, attendees, roster=roster))
            events += new
    return state, events


def study_envelopes(events, unit_id=UNIT, start=1):
    return [envelope_for(e, stream_id=unit_stream(unit_id), version=i, position=i)
            for i, e in enumerate(events, start=start)]
