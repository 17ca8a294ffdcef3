"""shared.pace: the waits of a loop that looks for work (the relay's poll, the catch-up)."""
from shared.pace import Pace


def test_idle_looks_double_up_to_the_longest_and_work_comes_back_to_the_shortest():
    pace = Pace(2, 30)
    assert pace.current == 2
    assert [pace.found(False) for _ in range(6)] == [4, 8, 16, 30, 30, 30]
    assert pace.found(True) == 2
    pace.found(False)
    pace.busy()
    assert pace.current == 2


def test_a_longest_below_the_shortest_never_shortens_the_wait():
    # tests switch the catch-up off with DUDAO_CATCH_UP_SECONDS=3600: it stays off
    pace = Pace(3600, 4)
    assert pace.found(False) == 3600 and pace.found(True) == 3600


def test_a_zero_shortest_backs_off_to_the_longest_at_once():
    assert Pace(0, 5).found(False) == 5
