"""The inbox against the real server, without the broker: order, duplicates,
gaps, two competing instances, parking and replay."""
import threading
import time

import pytest
from pymongo import MongoClient, monitoring

from shared.eventstore import MemoryEventStore, NewEvent
from shared.inbox import Inbox, NothingParked

ACTOR = {"id": "o", "name": "office", "role": "office", "scope": None}


@pytest.fixture
def source():
    """A units-like log to consume from."""
    store = MemoryEventStore("units")
    for i in range(6):
        store.append(f"unit-{i % 2}", None, [NewEvent("Counted", {"unit_id": f"u{i % 2}", "n": i})],
                     actor=ACTOR)
    return store


@pytest.fixture
def db(mongo_uri, db_prefix):
    client = MongoClient(mongo_uri)
    yield client, client[f"{db_prefix}_consumer"]
    client.close()


def counting_handler(db, fail_on=None):
    """Appends every applied n to a per-stream list: duplicates or reordering would show."""
    def handle(session, env):
        if fail_on is not None and fail_on(env):
            raise ValueError(f"cannot apply n={env['payload']['n']}")
        db["seen"].update_one({"_id": env["stream_id"]}, {"$push": {"ns": env["payload"]["n"]}},
                              upsert=True, session=session)
    return handle


def make_inbox(client, database, handler):
    inbox = Inbox(client, database, {"units": handler}, retries=2, retry_delay=0.001)
    inbox.ensure_indexes()
    return inbox


def fetch_from(store):
    return lambda source, after, limit: store.events_since(after, limit)


def seen(database):
    return {d["_id"]: d["ns"] for d in database["seen"].find()}


IN_ORDER = {"unit-0": [0, 2, 4], "unit-1": [1, 3, 5]}


def test_duplicates_and_reordering_end_identical_to_in_order(source, db):
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    envs = source.events_since(0)
    for i in [3, 0, 0, 5, 1, 2, 3, 4, 5, 0]:
        inbox.receive("units", envs[i], fetch_from(source))
    assert seen(database) == IN_ORDER
    assert inbox.checkpoint("units") == 6


def test_a_gap_is_filled_from_the_source(source, db):
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    last = source.events_since(0)[-1]
    assert inbox.receive("units", last, fetch_from(source)) == "applied"
    assert seen(database) == IN_ORDER


def test_two_instances_never_both_apply_a_position(source, db, mongo_uri):
    client, database = db
    other_client = MongoClient(mongo_uri)
    first = make_inbox(client, database, counting_handler(database))
    second = make_inbox(other_client, other_client[database.name],
                        counting_handler(other_client[database.name]))
    envs = source.events_since(0)
    barrier = threading.Barrier(2)

    def deliver(inbox, order):
        barrier.wait()
        for i in order:
            inbox.receive("units", envs[i], fetch_from(source))

    threads = [threading.Thread(target=deliver, args=(first, range(6))),
               threading.Thread(target=deliver, args=(second, [5, 4, 3, 2, 1, 0]))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    other_client.close()
    assert seen(database) == IN_ORDER


def test_a_checkpoint_read_overtaken_by_another_instance_still_applies_once(source, db, mongo_uri):
    """receive reads the checkpoint once; if another instance applies the event between
    that read and the transaction, the checkpoint CAS refuses it."""
    client, database = db
    first = make_inbox(client, database, counting_handler(database))
    second = make_inbox(client, database, counting_handler(database))
    env = source.events_since(0)[0]
    stale = first.checkpoint("units")
    assert second.receive("units", env, fetch_from(source)) == "applied"
    first.checkpoint = lambda _source: stale  # what first read before second applied
    assert first.receive("units", env, fetch_from(source)) == "duplicate"
    assert seen(database) == {"unit-0": [0]}


def another_log():
    """A second units log: same positions, different events (another stack's)."""
    store = MemoryEventStore("units")
    for i in range(6):
        store.append("unit-x", None, [NewEvent("Counted", {"unit_id": "ux", "n": 100 + i})],
                     actor=ACTOR)
    return store


def test_an_event_of_another_log_is_refused_and_changes_nothing(source, db):
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    ours, theirs = source.events_since(0), another_log().events_since(0)
    for env in ours[:3]:
        inbox.receive("units", env, fetch_from(source))
    assert inbox.receive("units", theirs[3], fetch_from(source)) == "refused"
    assert inbox.checkpoint("units") == 3 and database["parked_events"].count_documents({}) == 0
    assert inbox.receive("units", ours[3], fetch_from(source)) == "applied"
    assert seen(database) == {"unit-0": [0, 2], "unit-1": [1, 3]}


def test_a_gap_filled_from_another_log_is_refused(source, db):
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    other = another_log()
    for env in source.events_since(0)[:3]:
        inbox.receive("units", env, fetch_from(source))
    with pytest.raises(RuntimeError, match="does not continue"):
        inbox.receive("units", other.events_since(0)[5], fetch_from(other))
    assert inbox.checkpoint("units") == 3
    assert seen(database) == {"unit-0": [0, 2], "unit-1": [1]}


def test_a_checkpoint_kept_before_hashes_were_accepts_the_next_event_then_checks(source, db):
    client, database = db
    database["inbox_checkpoints"].insert_one({"_id": "units", "position": 0})  # no hash
    inbox = make_inbox(client, database, counting_handler(database))
    ours, theirs = source.events_since(0), another_log().events_since(0)
    assert inbox.receive("units", ours[0], fetch_from(source)) == "applied"
    assert database["inbox_checkpoints"].find_one({"_id": "units"})["hash"] == ours[0]["hash"]
    assert inbox.receive("units", theirs[1], fetch_from(source)) == "refused"


def test_failing_event_is_parked_its_stream_held_others_flow_then_replayed_once(source, db):
    client, database = db
    broken = make_inbox(client, database, counting_handler(database, lambda e: e["payload"]["n"] == 2))
    for env in source.events_since(0):
        broken.receive("units", env, fetch_from(source))
    # unit-1 flowed; unit-0 stopped at the broken event, and 4 waits behind it
    assert seen(database) == {"unit-0": [0], "unit-1": [1, 3, 5]}
    parked = broken.parked_events()
    assert [(p["position"], p["status"]) for p in parked] == [(3, "parked"), (5, "held")]
    assert "cannot apply n=2" in parked[0]["error"]
    assert broken.checkpoint("units") == 6

    fixed = make_inbox(client, database, counting_handler(database))
    assert fixed.replay("units", "unit-0") == [3, 5]
    assert seen(database) == IN_ORDER
    with pytest.raises(NothingParked):
        fixed.replay("units", "unit-0")
    assert seen(database) == IN_ORDER
    assert fixed.parked_events() == []


def test_a_parked_event_holds_personal_data_sealed_and_replays_it_opened(db):
    """A parked event is a stored copy: its personal data is sealed at rest with the
    consumer's own key (shared.personal_data), and the replay hands the handler plaintext."""
    client, database = db
    units = MemoryEventStore("units")
    units.append("unit-9", None, [NewEvent("MemberEnrolled", {"unit_id": "u9", "member_id": "m-9",
                                                              "name": "停放张某", "section": "办公室"})],
                 actor=ACTOR)
    names = []
    broken = make_inbox(client, database, lambda session, env: (_ for _ in ()).throw(ValueError("not yet")))
    for env in units.events_since(0):
        assert broken.receive("units", env, fetch_from(units)) == "parked"
    stored = database["parked_events"].find_one({"_id": "units:1"})
    assert "停放张某" not in str(stored)
    assert stored["envelope"]["payload"]["name"]["key"] == "units:m-9"
    assert database["personal_keys"].find_one({"_id": "units:m-9"})["key"] is not None

    fixed = make_inbox(client, database, lambda session, env: names.append(env["payload"]["name"]))
    assert fixed.replay("units", "unit-9") == [1]
    assert names == ["停放张某"] and type(names[0]) is str


def test_a_replay_that_still_fails_changes_nothing(source, db):
    client, database = db
    broken = make_inbox(client, database, counting_handler(database, lambda e: e["payload"]["n"] == 2))
    for env in source.events_since(0):
        broken.receive("units", env, fetch_from(source))
    with pytest.raises(ValueError):
        broken.replay("units", "unit-0")
    assert seen(database)["unit-0"] == [0]
    assert len(broken.parked_events()) == 2


def test_catch_up_pulls_what_the_broker_never_brought(source, db):
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    assert inbox.catch_up("units", fetch_from(source), page=4) == 6
    assert seen(database) == IN_ORDER


def test_no_delivery_waits_on_the_lock_while_a_gap_is_fetched(source, db):
    """The fetch is an RPC to the source, which may at that moment be waiting on us:
    holding the source's lock through it tied both services' workers in a cycle."""
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    envs = source.events_since(0)
    inbox.receive("units", envs[0], fetch_from(source))
    answered = []

    def fetch_while_another_delivery_arrives(src, after, limit):
        other = threading.Thread(target=lambda: answered.append(
            inbox.receive("units", envs[0], fetch_from(source))))
        other.start()
        other.join(5)
        return source.events_since(after, limit)

    assert inbox.receive("units", envs[3], fetch_while_another_delivery_arrives) == "applied"
    assert answered == ["duplicate"], "the redelivery was answered during the fetch"
    assert seen(database) == {"unit-0": [0, 2], "unit-1": [1, 3]}
    assert inbox.catch_up("units", fetch_while_another_delivery_arrives) == 2
    assert answered == ["duplicate", "duplicate"]
    assert seen(database) == IN_ORDER


class Commits(monitoring.CommandListener):
    def __init__(self):
        self.count = 0

    def started(self, event):
        self.count += event.command_name == "commitTransaction"

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def deliver_while_the_first_is_applied(source, mongo_uri, database_name, fail_on=None, then=None):
    """Event 1 is delivered and held inside its handler until the rest (events 2-6, or
    ``then``) wait behind the lock; returns each delivery's outcome, what was applied,
    and the commits it took."""
    commits = Commits()
    client = MongoClient(mongo_uri, event_listeners=[commits])
    database = client[database_name]
    first_inside, release = threading.Event(), threading.Event()
    count = counting_handler(database, fail_on)

    def handler(session, env):
        if env["position"] == 1:
            first_inside.set()
            release.wait(10)
        count(session, env)

    inbox = make_inbox(client, database, handler)
    envs = source.events_since(0)
    outcomes = {}

    def deliver(env):
        outcomes[env["position"]] = inbox.receive("units", env, fetch_from(source))

    threads = [threading.Thread(target=deliver, args=(envs[0],))]
    threads[0].start()
    assert first_inside.wait(10)
    rest = envs[1:] if then is None else then
    threads += [threading.Thread(target=deliver, args=(env,)) for env in rest]
    [t.start() for t in threads[1:]]
    deadline = time.monotonic() + 10
    while len(inbox._waiting["units"]) < 1 + len(rest) and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    [t.join(30) for t in threads]
    result = (outcomes, seen(database), commits.count, inbox)
    return result, client


def test_deliveries_waiting_behind_the_lock_are_applied_in_one_transaction(source, db, mongo_uri):
    _, database = db
    (outcomes, applied, commits, inbox), client = deliver_while_the_first_is_applied(
        source, mongo_uri, database.name)
    assert outcomes == {p: "applied" for p in range(1, 7)}
    assert applied == IN_ORDER
    assert commits == 2, "event 1 alone, then 2-6 together"
    assert inbox.checkpoint("units") == 6
    client.close()


def test_a_run_that_cannot_apply_falls_back_to_one_at_a_time(source, db, mongo_uri):
    _, database = db
    (outcomes, applied, _, inbox), client = deliver_while_the_first_is_applied(
        source, mongo_uri, database.name, fail_on=lambda e: e["payload"]["n"] == 2)
    assert outcomes == {1: "applied", 2: "applied", 3: "parked", 4: "applied", 5: "held",
                        6: "applied"}
    assert applied == {"unit-0": [0], "unit-1": [1, 3, 5]}
    assert [(p["position"], p["status"]) for p in inbox.parked_events()] == [(3, "parked"), (5, "held")]
    assert inbox.checkpoint("units") == 6
    client.close()


def test_an_event_of_another_log_waiting_in_a_run_is_refused_and_the_rest_still_applies(
        source, db, mongo_uri):
    _, database = db
    ours, theirs = source.events_since(0), another_log().events_since(0)
    (outcomes, applied, _, inbox), client = deliver_while_the_first_is_applied(
        source, mongo_uri, database.name, then=[theirs[1], ours[2], ours[3]])
    # theirs[1] leads the run behind event 1 (the lock wakes its waiters in turn); had
    # ours[2] overtaken it, ours[1] would already be applied and theirs[1] a duplicate
    assert outcomes[2] in ("refused", "duplicate")
    assert {p: outcomes[p] for p in (1, 3, 4)} == {1: "applied", 3: "applied", 4: "applied"}
    assert applied == {"unit-0": [0, 2], "unit-1": [1, 3]}, "ours[1] came through the gap fill"
    assert inbox.checkpoint("units") == 4
    client.close()


def test_a_rewritten_position_is_a_fork_alarm_that_stops_the_source(source, db):
    """The source lost #5-#6 (a crash behind what it had published) and wrote other
    events there: the consumer that applied the old ones raises a fork naming the position
    and both hashes, and applies nothing more from that source."""
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    for env in source.events_since(0):
        inbox.receive("units", env, fetch_from(source))
    applied_hash = source.events_since(5)[0]["hash"]
    rewritten = MemoryEventStore("units")
    for i in range(4):
        rewritten.append(f"unit-{i % 2}", None, [NewEvent("Counted", {"unit_id": f"u{i % 2}", "n": i})],
                         actor=ACTOR)
    for i in (40, 50, 60):
        rewritten.append("unit-9", None, [NewEvent("Counted", {"unit_id": "u9", "n": i})], actor=ACTOR)
    assert rewritten.events_since(5)[0]["hash"] != applied_hash

    # the relay re-sends from its checkpoint: #7 does not continue, and catch-up asks the
    # source what it holds at our checkpoint (#6)
    assert inbox.receive("units", rewritten.events_since(6)[0], fetch_from(rewritten)) == "refused"
    inbox.catch_up("units", fetch_from(rewritten))
    [alarm] = inbox.fork_alarms()
    assert (alarm["source"], alarm["position"]) == ("units", 6)
    assert alarm["applied_hash"] == applied_hash
    assert alarm["source_hash"] == rewritten.events_since(5)[0]["hash"]
    assert inbox.receive("units", rewritten.events_since(6)[0], fetch_from(rewritten)) == "forked"
    assert inbox.checkpoint("units") == 6 and seen(database) == IN_ORDER


def test_a_redelivered_position_with_another_hash_is_a_fork(source, db):
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    envs = source.events_since(0)
    for env in envs:
        inbox.receive("units", env, fetch_from(source))
    # the same event again is an ordinary duplicate, no alarm
    assert inbox.receive("units", envs[-1], fetch_from(source)) == "duplicate"
    assert inbox.fork_alarms() == []
    other = dict(envs[-1], hash="f" * 64)
    assert inbox.receive("units", other, fetch_from(source)) == "forked"
    [alarm] = inbox.fork_alarms()
    assert alarm["position"] == 6 and alarm["applied_hash"] == envs[-1]["hash"]
    assert alarm["source_hash"] == "f" * 64
    # the source stays stopped: even its real next event waits for the operator
    assert inbox.receive("units", envs[2], fetch_from(source)) == "forked"


def test_a_fork_found_before_a_restart_still_stops_the_source_after_it(source, db):
    client, database = db
    inbox = make_inbox(client, database, counting_handler(database))
    envs = source.events_since(0)
    for env in envs[:3]:
        inbox.receive("units", env, fetch_from(source))
    assert inbox.receive("units", dict(envs[2], hash="e" * 64), fetch_from(source)) == "forked"
    restarted = make_inbox(client, database, counting_handler(database))
    assert restarted.receive("units", envs[3], fetch_from(source)) == "forked"
    assert restarted.checkpoint("units") == 3
