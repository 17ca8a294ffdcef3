"""A nameko timer that backs off while it finds nothing (shared.pace) and is brought back
to its shortest interval by work seen elsewhere: the consumers' catch-up, which on an idle
stack looked at every source every 2 s (issue 18, item 6)."""
from __future__ import annotations

import time

from eventlet import Timeout
from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from shared.pace import Pace


class PacedTimer(Timer):
    """``@paced_timer(shortest, longest)``: the method runs ``shortest`` seconds after a
    round that found work (it returned something true, or raised), and twice as long after
    each round that found none, up to ``longest``. ``busy()`` (work seen elsewhere) makes the
    next round come within ``shortest`` again."""

    def __init__(self, shortest: float, longest: float, **kwargs):
        super().__init__(interval=shortest, **kwargs)
        self.pace = Pace(shortest, longest)
        self._due: float | None = None
        self._found = False

    def busy(self) -> None:
        self.pace.busy()
        if self._due is not None:
            self._due = min(self._due, time.monotonic() + self.pace.shortest)

    def _run(self):
        self._due = time.monotonic() + (0 if self.eager else self.pace.current)
        # waits in steps of at most ``shortest``: a busy() that brought the round forward
        # is seen within that (a green thread waking, no worker, no round trip)
        step = max(self.pace.shortest, 0.05)
        while True:
            remaining = self._due - time.monotonic()
            if remaining > 0:
                with Timeout(min(remaining, step), exception=False):
                    self.should_stop.wait()
                    break
                continue
            self._found = False
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()
            self._due = time.monotonic() + self.pace.found(self._found)

    def handle_result(self, worker_ctx, result, exc_info):
        self._found = exc_info is not None or bool(result)
        return super().handle_result(worker_ctx, result, exc_info)


paced_timer = PacedTimer.decorator


class TimerPace(DependencyProvider):
    """``self.pace.busy()`` in a worker: work is flowing, so every paced timer of the
    service comes back to its shortest interval."""

    def setup(self):
        self._timers = [e for e in self.container.entrypoints if isinstance(e, PacedTimer)]

    def get_dependency(self, worker_ctx):
        return self

    def busy(self) -> None:
        for timer in self._timers:
            timer.busy()
