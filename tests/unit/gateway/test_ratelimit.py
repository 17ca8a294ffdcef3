"""The brake on failed authentication (services.gateway.ratelimit), on an injected clock."""
from services.gateway.ratelimit import AuthFailureLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_after_the_limit_within_the_window_the_address_is_held_back():
    clock = Clock()
    limiter = AuthFailureLimiter(limit=3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") is None
        limiter.failed("10.0.0.1")
        clock.now += 1
    assert limiter.retry_after("10.0.0.1") == 57  # at 1003; the first failure leaves at 1060
    assert limiter.retry_after("10.0.0.2") is None  # another address is not affected


def test_it_ends_when_the_oldest_counted_failure_leaves_the_window():
    clock = Clock()
    limiter = AuthFailureLimiter(limit=2, window=10, clock=clock)
    limiter.failed("a")
    clock.now += 5
    limiter.failed("a")
    assert limiter.retry_after("a") == 5
    clock.now += 5
    assert limiter.retry_after("a") is None  # one failure left in the window
    limiter.failed("a")
    assert limiter.retry_after("a") == 5


def test_failures_spread_wider_than_the_window_never_add_up():
    clock = Clock()
    limiter = AuthFailureLimiter(limit=3, window=60, clock=clock)
    for _ in range(100):
        limiter.failed("a")
        clock.now += 31
        assert limiter.retry_after("a") is None


def test_failing_on_while_held_back_keeps_it_held_back():
    clock = Clock()
    limiter = AuthFailureLimiter(limit=2, window=10, clock=clock)
    limiter.failed("a")
    limiter.failed("a")
    for _ in range(5):  # one every 3 s: faster than 2 in 10 s
        clock.now += 3
        assert limiter.retry_after("a") is not None
        limiter.failed("a")
    clock.now += 10
    assert limiter.retry_after("a") is None


def test_the_table_is_bounded_and_forgets_expired_addresses():
    clock = Clock()
    limiter = AuthFailureLimiter(limit=2, window=10, clock=clock, max_addresses=100)
    for i in range(1000):
        limiter.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) <= 100
    clock.now += 11
    limiter.failed("new")
    assert limiter.retry_after("10.0.3.231") is None
    assert len(limiter) == 1
