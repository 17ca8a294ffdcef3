"""The outbox relay: the event store is the outbox.

It publishes committed events to the service's RabbitMQ topic exchange in
position order, waits for the broker's publisher confirm, and only then moves
the published-position checkpoint. A crash between commit and publish means
the events are sent on restart (at-least-once; consumers drop duplicates by
position). With several instances of a service, only the holder of a lease in
the service's own database publishes.
"""
from __future__ import annotations

import logging
import socket
import threading
import time

from kombu import Connection, Exchange, Producer, Queue
from nameko.standalone.events import get_event_exchange

from shared.lease import Lease
from shared.opcount import purpose
from shared.pace import Pace

LEASE_ID = "relay_lease"
CHECKPOINT_ID = "relay_checkpoint"
# The published-position checkpoint is written at most this often while events keep coming
# (and at once when they stop, the lease is given up or the relay closes): each write is a
# round trip, and one left behind only means a crashed relay's successor sends those
# events again, which consumers drop as duplicates (issue 18).
CHECKPOINT_SECONDS = 0.5
# another instance's commits, announced to the lease holder (not durable: a lost one only
# leaves the event to the holder's next poll)
WAKE_EXCHANGE = Exchange("dudao.relay-wake", type="direct", durable=False)
LISTEN_SECONDS = 30.0  # how long the listener blocks before it looks whether to stop
log = logging.getLogger(__name__)


class Relay:
    def __init__(self, store, amqp_uri: str, *, lease_seconds: float = 10.0, batch: int = 500,
                 owner: str | None = None):
        self.store = store
        self.meta = store.meta
        self.amqp_uri = amqp_uri
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.lease = Lease(self.meta, LEASE_ID, seconds=lease_seconds, owner=owner)
        self.owner = self.lease.owner
        self.exchange = get_event_exchange(store.service, {})
        self._connection = None
        # while this relay holds the lease, the published position is known here: an idle
        # poll costs one indexed read, not three round trips and a write (every service
        # polls several times a second)
        self._published: int | None = None
        self._stored: int | None = None  # what the checkpoint document holds, when known
        self._stored_at = 0.0
        self.held = False  # whether the last publish_pending held the lease
        self.listening = threading.Event()  # set while listen() is bound to announcements

    # -- lease ---------------------------------------------------------------------------
    def hold_lease(self) -> bool:
        """Take or renew the lease; False while another live relay holds it."""
        held, newly = self.lease.hold()
        if not held or newly:  # newly taken: another holder may have published since
            self._published = self._stored = None
        self.held = held
        return held

    def release_lease(self) -> None:
        self.flush()
        self._published = self._stored = None
        self.lease.release()

    # -- publishing ----------------------------------------------------------------------
    def published_position(self) -> int:
        self.flush()
        doc = self.meta.find_one({"_id": CHECKPOINT_ID})
        return doc["position"] if doc else 0

    def flush(self) -> None:
        """Write the published position if the checkpoint document is behind it."""
        if self._published is not None and self._published != self._stored:
            self._store(self._published)

    def publish_pending(self) -> int:
        """Publish one batch of unpublished events; the number published."""
        if not self.hold_lease():
            return 0
        if self._published is None:
            doc = self.meta.find_one({"_id": CHECKPOINT_ID})
            self._published = self._stored = doc["position"] if doc else 0
        after = self._published
        # what this process just committed, when it continues from there (no read of the
        # log, issue 18); else, and for everything else, the log
        pending = self.store.committed_since(after, self.batch) or self.store.events_since(after, self.batch)
        if not pending:
            self.flush()  # the events stopped: the checkpoint catches up now
            return 0
        self.publish(pending)
        self.advance(pending[-1]["position"])
        return len(pending)

    def publish(self, pending: list[dict]) -> None:
        """Send the events in position order; returns once the broker confirmed them all."""
        producer = self._producer()
        for env in pending:
            # with confirm_publish the call returns only once the broker confirmed
            producer.publish(env, routing_key=env["type"], serializer="json",
                             delivery_mode=2, retry=True, declare=[self.exchange],
                             headers={"dudao-position": env["position"]})

    def advance(self, position: int) -> None:
        """Move the published position: only after every confirm up to it. The checkpoint
        document follows at most every CHECKPOINT_SECONDS (``flush`` writes it at once)."""
        self._published = position
        if time.monotonic() - self._stored_at >= CHECKPOINT_SECONDS:
            self._store(position)

    def _store(self, position: int) -> None:
        self.meta.update_one({"_id": CHECKPOINT_ID}, {"$max": {"position": position}}, upsert=True)
        self._stored, self._stored_at = position, time.monotonic()

    def _channel(self):
        if self._connection is None:
            self._connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
        return self._connection.default_channel

    def _producer(self) -> Producer:
        return Producer(self._channel(), exchange=self.exchange)

    # -- waking the holder from another instance ----------------------------------------
    def announce(self) -> None:
        """This instance committed but another holds the lease: wake that one."""
        producer = Producer(self._channel(), exchange=WAKE_EXCHANGE)
        producer.publish({"from": self.owner}, routing_key=self.store.service, serializer="json",
                         delivery_mode=1, declare=[WAKE_EXCHANGE], expiration=self.lease_seconds)

    def listen(self, should_stop, wake) -> None:
        """Until ``should_stop()``: set ``wake`` when another instance announces a commit
        while this one holds the lease (only the holder publishes; the others ignore it)."""
        queue = Queue(f"relay-wake.{self.store.service}.{self.owner}", WAKE_EXCHANGE,
                      routing_key=self.store.service, durable=False, exclusive=True, auto_delete=True)

        def on_message(body, message):
            if self.lease.held():
                wake.set()

        while not should_stop():
            try:
                with Connection(self.amqp_uri) as connection:
                    with connection.Consumer([queue], callbacks=[on_message], no_ack=True,
                                             accept=["json"]):
                        self.listening.set()
                        while not should_stop():
                            try:
                                connection.drain_events(timeout=LISTEN_SECONDS)
                            except socket.timeout:
                                pass
            except Exception as err:  # the broker away: the poll still finds every event
                self.listening.clear()
                log.info("relay wake listener for %s: %s; reconnecting", self.store.service, err)
                time.sleep(1)

    def close(self) -> None:
        try:
            self.flush()
        except Exception:  # the database may be gone: a successor then sends those again
            log.warning("relay for %s could not store its checkpoint at close", self.store.service)
        if self._connection is not None:
            self._connection.release()
            self._connection = None

    def run(self, should_stop, wake, poll_seconds: float, idle_seconds: float | None = None) -> None:
        """Loop until ``should_stop()``: publish, then sleep until woken or the poll interval.

        A commit in this process sets ``wake``: the relay publishes at once. The poll is for
        what nothing here announces (another instance's appends, a lease to take over): it
        starts at ``poll_seconds`` and doubles after each look that published nothing, up to
        ``idle_seconds`` (shared.pace), so an idle relay costs one read every
        ``idle_seconds``. Whatever it publishes brings the poll back to ``poll_seconds``."""
        pace = Pace(poll_seconds, poll_seconds if idle_seconds is None else idle_seconds)
        woken = True  # a start announces too: what this instance committed before it is published
        while not should_stop():
            # cleared before the read, not after the wait: a commit landing between the two
            # then still wakes the next wait instead of waiting out a backed-off poll
            wake.clear()
            published = 0
            try:
                with purpose("relay"):
                    published = self.publish_pending()
                if published == self.batch:  # a full batch: more may wait
                    continue
                if woken and not self.held:  # woken by a commit here: the holder is elsewhere
                    self.announce()
            except Exception:  # broker or database away: keep the checkpoint, try again
                log.exception("relay for %s failed; retrying", self.store.service)
                self.close()
                time.sleep(1)
                published = 1  # retry at the short pace, not a backed-off one
            woken = wake.wait(pace.found(published > 0))
