"""Server operations counted by process and purpose, for `make bench` (issue 18 item 1).

Off unless ``DUDAO_OP_COUNT_DIR`` names a directory (the bench sets it for the stack it
starts): then every command this process sends to the database (a find, an insert, a
getMore, a commitTransaction: each one a round trip on a real MongoDB) is counted under
the purpose its caller declared with ``purpose("stream load")``, and the counts are written
to ``DIR/<process>.json`` a few times a second. When off, ``purpose`` hands out one shared
null context and nothing is listened to: the cost is one attribute test per tagged call.

The purpose is a context variable: each green thread (greenlet keeps one context per
greenlet) and each real thread has its own, and an inner purpose wins over an outer one
(projection writes inside an inbox run count as projection writes)."""
from __future__ import annotations

import contextlib
import contextvars
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

ENV = "DUDAO_OP_COUNT_DIR"
DUMP_SECONDS = 0.2
UNTAGGED = "other"

_purpose: contextvars.ContextVar[str] = contextvars.ContextVar("dudao_op_purpose", default=UNTAGGED)
_NULL = contextlib.nullcontext()
_counter: "OpCounter | None" = None


class _Purpose:
    __slots__ = ("name", "token")

    def __init__(self, name: str):
        self.name, self.token = name, None

    def __enter__(self):
        self.token = _purpose.set(self.name)
        return self

    def __exit__(self, *exc):
        _purpose.reset(self.token)
        return False


def purpose(name: str):
    """``with purpose("append"): …``: the database commands sent inside count as ``name``."""
    return _NULL if _counter is None else _Purpose(name)


def current_purpose() -> str:
    return _purpose.get()


class OpCounter:
    """A pymongo CommandListener: (purpose, command name) -> commands started."""

    def __init__(self, process: str, directory: Path):
        from pymongo import monitoring

        class Listener(monitoring.CommandListener):
            def started(listener, event):  # noqa: N805 - the listener's own self is unused
                self.counts[(_purpose.get(), event.command_name)] += 1

            def succeeded(listener, event):  # noqa: N805
                pass

            def failed(listener, event):  # noqa: N805
                pass

        self.process = process
        self.path = Path(directory) / f"{process}.json"
        self.counts: Counter = Counter()
        self.listener = Listener()
        self._written: dict | None = None

    def snapshot(self) -> dict:
        return {f"{p}\t{c}": n for (p, c), n in list(self.counts.items())}

    def dump(self) -> None:
        now = self.snapshot()
        if now == self._written:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"process": self.process, "pid": os.getpid(), "at": time.time(),
                                   "counts": now}))
        tmp.replace(self.path)
        self._written = now


def install(process: str) -> OpCounter | None:
    """Count this process's database commands when DUDAO_OP_COUNT_DIR is set: call before
    any MongoClient is made (pymongo gives registered listeners to clients made later)."""
    global _counter
    directory = os.environ.get(ENV, "").strip()
    if not directory or _counter is not None:
        return _counter
    from pymongo import monitoring
    Path(directory).mkdir(parents=True, exist_ok=True)
    _counter = OpCounter(process, Path(directory))
    monitoring.register(_counter.listener)

    def dump_forever():
        while True:
            time.sleep(DUMP_SECONDS)
            try:
                _counter.dump()
            except OSError:
                pass

    threading.Thread(target=dump_forever, daemon=True, name="op-count").start()
    return _counter


def read_counts(directory: Path) -> dict[str, dict[tuple[str, str], int]]:
    """Every process's counts as last written: {process: {(purpose, command): n}}."""
    found = {}
    for path in Path(directory).glob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        found[data["process"]] = {tuple(k.split("\t", 1)): n for k, n in data["counts"].items()}
    return found
