"""A brake on failed authentication, per client address, kept in the gateway's process.

After ``limit`` failed tokens from one address within ``window`` seconds, the gateway
answers that address's further failures 429 with ``Retry-After`` (the seconds until its
oldest counted failure leaves the window) instead of 401. A valid token is never
refused by it, so a colleague behind the same address keeps working. The clock is
injected so tests need not wait; eventlet's green threads switch only on I/O, so the
methods here need no lock."""
from __future__ import annotations

import collections
import math
import time
from typing import Callable

MAX_ADDRESSES = 10_000  # the table's bound: beyond it, expired entries, then the oldest, go


class AuthFailureLimiter:
    def __init__(self, limit: int = 20, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_addresses: int = MAX_ADDRESSES):
        self.limit, self.window, self.clock = limit, window, clock
        self.max_addresses = max_addresses
        self._failures: dict[str, collections.deque] = {}

    def _recent(self, address: str, now: float) -> collections.deque | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def retry_after(self, address: str) -> int | None:
        """Seconds the address must wait, or None when it is not held back."""
        now = self.clock()
        failures = self._recent(address, now)
        if failures is None or len(failures) < self.limit:
            return None
        return max(1, math.ceil(failures[-self.limit] + self.window - now))

    def failed(self, address: str) -> None:
        now = self.clock()
        failures = self._recent(address, now)
        if failures is None:
            if len(self._failures) >= self.max_addresses:
                self._evict(now)
            failures = self._failures[address] = collections.deque()
        failures.append(now)
        while len(failures) > self.limit:  # only the latest `limit` decide when it ends
            failures.popleft()

    def _evict(self, now: float) -> None:
        for address in list(self._failures):
            self._recent(address, now)
        while len(self._failures) >= self.max_addresses:
            del self._failures[next(iter(self._failures))]

    def __len__(self) -> int:
        return len(self._failures)
