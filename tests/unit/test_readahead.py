"""shared.readahead: order, errors and early stops, with the reader on a thread.

The test run is monkey-patched by eventlet (tests/conftest.py), so in-process the reader is
a green thread; the real-thread path (the audit CLI and the benchmarks) runs in a clean
interpreter at the end."""
import subprocess
import sys
import textwrap

import pytest

from shared.readahead import green, read_ahead


class Source:
    """An iterable that records how far it was read and whether it was closed."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at, self.read, self.closed = n, fail_at, 0, False

    def __iter__(self):
        for i in range(self.n):
            if i == self.fail_at:
                raise ValueError(f"source failed at {i}")
            self.read += 1
            yield i

    def close(self):
        self.closed = True


@pytest.mark.parametrize("thread", [True, False])
def test_every_item_in_order_and_the_source_closed(thread):
    source = Source(1001)
    assert list(read_ahead(source, chunk=7, depth=2, thread=thread)) == list(range(1001))
    assert source.closed or not thread  # in line, the caller's own loop ended it


@pytest.mark.parametrize("thread", [True, False])
def test_a_source_error_reaches_the_consumer_after_the_items_before_it(thread):
    seen = []
    with pytest.raises(ValueError, match="failed at 25"):
        for item in read_ahead(Source(100, fail_at=25), chunk=10, thread=thread):
            seen.append(item)
    assert seen == list(range(25))


def test_stopping_early_stops_the_reader_and_closes_the_source():
    source = Source(100_000)
    items = read_ahead(source, chunk=10, depth=2, thread=True)
    assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()
    assert source.closed
    assert source.read <= 10 * (2 + 3)  # a few chunks ahead, not the whole source


def test_a_consumer_error_stops_the_reader_too():
    source = Source(100_000)
    with pytest.raises(KeyError):
        for item in read_ahead(source, chunk=10, depth=2, thread=True):
            if item == 3:
                raise KeyError(item)
    assert source.closed and source.read < 100


def test_under_eventlet_it_reads_in_line():
    assert green()  # tests/conftest.py monkey-patches
    source = Source(3)
    items = read_ahead(source)
    assert next(items) == 0 and source.read == 1  # nothing read ahead


def test_with_real_threads():
    script = textwrap.dedent("""
        import threading
        from shared.readahead import green, read_ahead

        assert not green()
        readers = set()

        def source(n, fail_at=None):
            for i in range(n):
                readers.add(threading.current_thread().name)
                if i == fail_at:
                    raise ValueError("boom")
                yield i

        assert list(read_ahead(source(10_000), chunk=64)) == list(range(10_000))
        assert readers == {"read-ahead"}
        try:
            list(read_ahead(source(500, fail_at=300), chunk=64))
            raise AssertionError("the error was lost")
        except ValueError:
            pass
        items = read_ahead(source(1_000_000), chunk=64, depth=2)
        next(items)
        items.close()
        assert [t.name for t in threading.enumerate()] == ["MainThread"]
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
