"""Reading a cursor ahead of its consumer, on a thread.

The database is another process: while the consumer hashes or folds one batch, a reader
thread can already be waiting for the next one, so the server's time hides behind the
client's instead of adding to it (verify and the audit's log reads use this)."""
from __future__ import annotations

import queue
import sys
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

CHUNK = 2000  # items handed over at a time: one queue round trip per item would cost more than it hides
DEPTH = 3  # chunks read ahead at most, which bounds the memory held
_END = object()


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def green() -> bool:
    """Whether eventlet has monkey-patched threads (the nameko services): a green "thread"
    never runs beside its consumer, so reading ahead would only add switching."""
    patcher = sys.modules.get("eventlet.patcher")
    return patcher is not None and patcher.is_monkey_patched("thread")


def read_ahead(source: Iterable[T], chunk: int = CHUNK, depth: int = DEPTH,
               thread: bool | None = None) -> Iterator[T]:
    """``source``'s items in order, fetched by a reader thread up to ``depth`` chunks ahead.

    Only the reader thread touches ``source`` (a pymongo cursor is not shared between
    threads) and it closes it when done. An exception raised by ``source`` is re-raised
    here; when the consumer stops early (the generator is closed or the consumer raised)
    the reader stops after the chunk it is fetching and is joined before this returns.
    ``thread`` None reads ahead unless eventlet patched threads; False reads in line."""
    if thread is None:
        thread = not green()
    if not thread:
        yield from source  # closing this generator closes the source too
        return
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def hand(item) -> bool:
        # a put that gives up once the consumer has gone, rather than blocking forever
        while not stopped.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def reader():
        block: list = []
        try:
            for item in source:
                block.append(item)
                if len(block) == chunk:
                    if not hand(block):
                        return
                    block = []
            if not block or hand(block):
                hand(_END)
        except BaseException as err:  # noqa: BLE001 - the consumer re-raises it
            # what was read before the failure still reaches the consumer, as in line
            if not block or hand(block):
                hand(_Failed(err))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=reader, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            block = handoff.get()
            if block is _END:
                return
            if isinstance(block, _Failed):
                raise block.error
            yield from block
    finally:
        stopped.set()
        worker.join()
