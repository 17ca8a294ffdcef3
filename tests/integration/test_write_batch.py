"""Gathered writes (shared.write_batch) on the real server, in each of the three ways a
server may take them: the same documents, in the same order, all or nothing."""
import threading

import pytest
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from shared import write_batch as wb
from shared.eventstore.mongo import run_transaction

MODES = [wb.ALWAYS, wb.AFTER_FIRST, wb.NO_CLIENT_BULK]


@pytest.fixture
def db(mongo_uri, db_prefix):
    client = MongoClient(mongo_uri)
    yield client[f"{db_prefix}_batch"]
    wb._client_bulk.pop(id(client), None)  # a mode set by hand must not outlive the client
    client.close()


def in_mode(db, mode):
    """Take ``mode`` as what the server does (the probe's answer, set by hand)."""
    if mode == wb.ALWAYS and wb.client_bulk_mode(db.client, db.name) != wb.ALWAYS:
        pytest.skip("this server refuses a bulkWrite as a transaction's first statement")
    wb._client_bulk[id(db.client)] = mode


def test_the_probe_answers_for_this_server(db):
    assert wb.client_bulk_mode(db.client, db.name) in MODES
    assert db.list_collection_names() == [] or wb.PROBE_COLLECTION not in db.list_collection_names()


@pytest.mark.parametrize("mode", MODES)
def test_writes_to_several_collections_land_together_in_order(db, mode):
    in_mode(db, mode)
    a, b = db["a"], db["b"]
    a.insert_one({"_id": "head", "n": 1})

    def work(session):
        with wb.gathering(db.client, session):
            wb.add_to(session, b, [wb.insert(b, {"_id": 1}), wb.insert(b, {"_id": 2})])
            wb.add_to(session, a, [wb.cas(a, {"_id": "head", "n": 1}, {"$set": {"n": 2}})])
            wb.add_to(session, b, [wb.replace(b, {"_id": 1}, {"_id": 1, "x": "replaced"}),
                                   wb.delete(b, {"_id": 2})])
            assert b.count_documents({}, session=session) == 0, "gathered, not yet sent"
        return "done"

    assert run_transaction(db.client, work) == "done"
    assert list(b.find()) == [{"_id": 1, "x": "replaced"}]
    assert a.find_one() == {"_id": "head", "n": 2}


@pytest.mark.parametrize("mode", MODES)
def test_a_compare_and_set_that_no_longer_holds_collides_and_writes_nothing(db, mode):
    in_mode(db, mode)
    a, b = db["a"], db["b"]
    a.insert_one({"_id": "head", "n": 5})
    with db.client.start_session() as session:
        session.start_transaction()
        with pytest.raises(DuplicateKeyError):
            with wb.gathering(db.client, session):
                wb.add_to(session, b, [wb.insert(b, {"_id": "written?"})])
                wb.add_to(session, a, [wb.cas(a, {"_id": "head", "n": 4}, {"$set": {"n": 6}})])
        session.abort_transaction()
    assert a.find_one() == {"_id": "head", "n": 5}
    assert b.count_documents({}) == 0


def test_a_compare_and_set_must_name_the_document():
    with pytest.raises(ValueError, match="_id"):
        wb.cas(MongoClient(connect=False)["x"]["y"], {"n": 1}, {"$set": {"n": 2}})


@pytest.mark.parametrize("mode", MODES)
def test_a_scope_that_raises_sends_nothing(db, mode):
    in_mode(db, mode)
    b = db["b"]
    with db.client.start_session() as session:
        session.start_transaction()
        with pytest.raises(RuntimeError):
            with wb.gathering(db.client, session):
                wb.add_to(session, b, [wb.insert(b, {"_id": 1})])
                raise RuntimeError("the work failed")
        session.commit_transaction()
    assert b.count_documents({}) == 0


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_compare_and_sets_are_retried_and_none_is_lost(db, mode):
    """Eight threads move one counter by gathered compare-and-set, each read first in its
    transaction: every conflict (a write conflict, or the collision of a stale read) is
    retried by run_transaction, and the counter ends at the number of moves."""
    in_mode(db, mode)
    counter, log = db["counter"], db["log"]
    counter.insert_one({"_id": "c", "n": 0})
    moves = 10

    def move(session):
        n = counter.find_one({"_id": "c"}, session=session)["n"]
        with wb.gathering(db.client, session):
            wb.add_to(session, log, [wb.insert(log, {"_id": n + 1})])
            wb.add_to(session, counter, [wb.cas(counter, {"_id": "c", "n": n}, {"$set": {"n": n + 1}})])

    def worker():
        for _ in range(moves):
            run_transaction(db.client, move)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.find_one()["n"] == 8 * moves
    assert sorted(d["_id"] for d in log.find()) == list(range(1, 8 * moves + 1))


def test_without_a_scope_writes_are_sent_at_once(db):
    b = db["b"]
    wb.add_to(None, b, [wb.insert(b, {"_id": 1})])
    assert b.count_documents({}) == 1
