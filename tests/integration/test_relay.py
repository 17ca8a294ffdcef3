"""The outbox relay against a real server and broker: it publishes in order, an idle
poll is one indexed read (every service polls several times a second), and a relay
that takes the lease over starts from what the last holder published."""
import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from pymongo import MongoClient, monitoring

from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore
from shared.relay import Relay

ACTOR = {"id": "o", "name": "office", "role": "office", "scope": None}


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.seen: list[tuple[str, str]] = []

    def started(self, event):
        collection = event.command.get(event.command_name)
        self.seen.append((event.command_name, collection if isinstance(collection, str) else ""))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def watched(mongo_uri, db_prefix):
    commands = Commands()
    client = MongoClient(mongo_uri, event_listeners=[commands])
    store = MongoEventStore("units", client, f"{db_prefix}_units")
    store.ensure_indexes()
    yield store, commands
    client.close()


@pytest.fixture
def received(amqp_uri):
    """Everything published to the units exchange, in arrival order."""
    connection = Connection(amqp_uri)
    queue = Queue("relay-test", exchange=get_event_exchange("units", {}), routing_key="#")
    queue(connection.default_channel).declare()

    def drain() -> list[int]:
        positions = []
        while (message := queue(connection.default_channel).get(no_ack=True)) is not None:
            positions.append(message.headers["dudao-position"])
        return positions

    yield drain
    connection.release()


def append(store, n):
    for i in range(n):
        store.append(f"unit-{i % 3}", None, [NewEvent("Counted", {"unit_id": f"u{i % 3}", "n": i})],
                     actor=ACTOR)


def test_an_idle_poll_is_one_read_and_writes_nothing(watched, received, amqp_uri):
    store, commands = watched
    append(store, 5)
    relay = Relay(store, amqp_uri)
    try:
        assert relay.publish_pending() == 5
        assert received() == [1, 2, 3, 4, 5]
        commands.seen.clear()
        for _ in range(10):
            assert relay.publish_pending() == 0
        assert commands.seen == [("find", "events")] * 10
        append(store, 2)
        assert relay.publish_pending() == 2
        assert received() == [6, 7]
    finally:
        relay.close()


def test_a_relay_taking_the_lease_over_starts_after_what_the_holder_published(watched, received,
                                                                              amqp_uri):
    store, _ = watched
    append(store, 3)
    first, second = Relay(store, amqp_uri, owner="first"), Relay(store, amqp_uri, owner="second")
    try:
        assert first.publish_pending() == 3
        append(store, 2)
        assert second.publish_pending() == 0, "the first relay still holds the lease"
        first.release_lease()
        assert second.publish_pending() == 2
        assert received() == [1, 2, 3, 4, 5]
        assert first.publish_pending() == 0, "the second relay holds the lease now"
        assert second.published_position() == 5
    finally:
        first.close()
        second.close()


def test_the_relay_is_woken_after_an_inbox_transaction_only_if_it_appended(watched):
    from shared.eventstore.base import AppendRequest
    from shared.eventstore.mongo import run_transaction

    store, _ = watched
    store.committed.clear()
    run_transaction(store.client, lambda s: store.meta.find_one({"_id": "nothing"}, session=s))
    store.wake_relay_if_appended()
    assert not store.committed.is_set(), "a delivery that only updated read models"
    request = AppendRequest("unit-9", None, [NewEvent("Counted", {"unit_id": "u9", "n": 9})], ACTOR)
    run_transaction(store.client, lambda s: store.append_in_session(s, request))
    store.wake_relay_if_appended()
    assert store.committed.is_set(), "a reaction appended events: the relay must look now"
    store.committed.clear()
    store.wake_relay_if_appended()
    assert not store.committed.is_set(), "one wake per appending transaction"


def test_a_commit_in_another_instance_wakes_the_lease_holder(watched, received, amqp_uri,
                                                             mongo_uri, db_prefix):
    """The holder polls only once an hour here: what it publishes of the other instance's
    appends, it publishes because that instance announced them."""
    import threading

    from assembly.stack import wait_until

    holder_store, _ = watched
    client = MongoClient(mongo_uri)
    other_store = MongoEventStore("units", client, f"{db_prefix}_units")
    holder, other = Relay(holder_store, amqp_uri, owner="holder"), Relay(other_store, amqp_uri, owner="other")
    stop = threading.Event()
    try:
        assert holder.publish_pending() == 0 and holder.held
        threads = [threading.Thread(target=holder.run, args=(stop.is_set, holder_store.committed, 3600, 3600)),
                   threading.Thread(target=holder.listen, args=(stop.is_set, holder_store.committed)),
                   threading.Thread(target=other.run, args=(stop.is_set, other_store.committed, 3600, 3600))]
        for thread in threads:
            thread.start()
        assert holder.listening.wait(30), "the holder's listener did not bind"
        append(other_store, 2)  # the other instance commits: its relay is woken, not the holder's
        seen = []
        wait_until(lambda: seen.extend(received()) or seen == [1, 2], timeout=30,
                   message="the holder to publish the other instance's events")
        assert not other.held, "the other instance never held the lease"
    finally:
        stop.set()
        holder_store.committed.set()
        other_store.committed.set()
        holder.close()
        other.close()
        client.close()


def test_what_the_store_committed_is_handed_to_the_relay_as_the_log_would_answer_it(watched, received,
                                                                                   amqp_uri):
    """The relay publishes this process's own commits without reading the log, and what it
    is handed is what events_since answers for those positions (personal data opened);
    anything that does not continue from what it published comes from the log."""
    store, commands = watched
    assert store.committed_since(0, 10) == [], "nothing kept before a relay asks"
    store.append("unit-p", None, [NewEvent("MemberEnrolled", {"unit_id": "u1", "member_id": "m-1",
                                                               "name": "交接张某"})], actor=ACTOR)
    returned = store.append("unit-q", None, [NewEvent("Counted", {"unit_id": "u2", "n": 1})], actor=ACTOR)
    returned[0]["payload"]["unit_id"] = "changed by the caller"  # must not reach the relay
    append(store, 2)
    handed = store.committed_since(0, 10)
    assert handed == store.events_since(0, 10)
    assert handed[0]["payload"]["name"] == "交接张某"
    assert handed[1]["payload"]["unit_id"] == "u2"
    assert store.committed_since(0, 10) == [], "taken once"

    relay = Relay(store, amqp_uri)
    try:
        commands.seen.clear()
        assert relay.publish_pending() == 4, "taken already: read from the log"
        assert ("find", "events") in commands.seen
        append(store, 2)  # positions 5 and 6, handed off
        commands.seen.clear()
        assert relay.publish_pending() == 2
        assert ("find", "events") not in commands.seen, "handed, not read back"
        append(store, 2)  # 7 and 8 handed, then 7 taken away: a gap at 7
        store.handoff.take(6, 1)
        commands.seen.clear()
        assert relay.publish_pending() == 2
        assert ("find", "events") in commands.seen, "a gap is read from the log"
        assert received() == [1, 2, 3, 4, 5, 6, 7, 8]
    finally:
        relay.close()


def test_the_handoff_is_bounded_and_keeps_the_newest():
    from shared.eventstore.mongo import Handoff
    handoff = Handoff(limit=3)
    handoff.put([{"position": 1}])
    assert handoff.take(0, 10) == [], "nothing is kept before a relay asks (its first take)"
    handoff.put([{"position": p} for p in range(1, 6)])
    assert handoff.take(0, 10) == [], "1 and 2 were dropped: a gap at 1"
    assert [d["position"] for d in handoff.take(2, 10)] == [3, 4, 5]
