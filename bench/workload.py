"""The commands the benchmarks write: unit streams like the units service's own.

A command is 1 or 10 events on one unit stream. Each writer works on its own
streams and keeps several commands per stream, so appends carry a real expected
version (not only "new stream"). ``UnitRegistered`` is written at schema version 1
and upcast to 2 on read, so the replay pays for upcasting like a real old log."""
from __future__ import annotations

import itertools

from shared.eventstore import NewEvent, Upcasters

ACTOR = {"id": "bench", "name": "Benchmark office clerk", "role": "office", "scope": None}
COMMANDS_PER_STREAM = 5
PHASES = ("学习动员", "分析评议", "整改提高", "survey", "accepted")


def upcasters() -> Upcasters:
    registry = Upcasters()
    # v1 had no sections; v2 lists them (empty when unknown)
    registry.register("UnitRegistered", 1, lambda p: {**p, "sections": p.get("sections", [])})
    return registry


def unit_events(unit_id: str, count: int, first_in_stream: bool) -> list[NewEvent]:
    events = []
    if first_in_stream:
        events.append(NewEvent("UnitRegistered", {"unit_id": unit_id, "name": f"县委办公室 {unit_id}",
                                                  "org_type": "党支部", "batch": 1}, schema_version=1))
    for n in itertools.count():
        if len(events) == count:
            return events
        events.append(NewEvent("PhaseEntered", {"unit_id": unit_id, "phase": PHASES[n % len(PHASES)],
                                                "deadline": "2005-03-31",
                                                "note": "进度服从质量，可适当延长"}, schema_version=1))


class WriterScript:
    """The commands one writer issues, in order: (stream_id, expected_version, events)."""

    def __init__(self, writer: int, events_per_command: int, tag: str):
        self.writer, self.size, self.tag = writer, events_per_command, tag
        self.command = 0
        self.version = 0

    def next(self) -> tuple[str, int, list[NewEvent]]:
        stream_no, nth = divmod(self.command, COMMANDS_PER_STREAM)
        unit_id = f"{self.tag}-w{self.writer}-{stream_no}"
        if nth == 0:
            self.version = 0
        events = unit_events(unit_id, self.size, first_in_stream=nth == 0)
        self.command += 1
        return f"unit-{unit_id}", self.version, events

    def done(self, appended: int) -> None:
        self.version += appended
