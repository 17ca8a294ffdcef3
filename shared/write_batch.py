"""A transaction's writes gathered into one round trip (issue 18).

Inside ``gathering(client, session)`` the event store, the projectors and the inbox add
their writes (``add_to``) instead of sending each collection's on its own, and the scope
sends them at its end, or earlier where a read must see them (``flush``): one client-level
``bulkWrite`` across collections on a server that has it (MongoDB 8.0: the command
covers several namespaces, inside a transaction too), else one ``bulk_write`` per run of
writes to the same collection, in order. The outcome is the same either way: the writes
apply in the order they were added, inside the caller's transaction, and a collision on
a unique index is raised as ``DuplicateKeyError``, which ``run_transaction`` retries.

What a scope defers is not visible to reads in the same transaction until it is flushed:
a scope only gathers writes that no read of the same transaction looks at before the
flush (the inbox flushes before each reaction, the event store at the end of each append).
Outside a scope (``add_to`` with no open batch for the session) a write is sent at once.

A compare-and-set in a gathered write cannot answer "matched nothing" on its own, so it is
written as an upsert whose filter names the document's ``_id``: when the condition no longer
holds, the upsert tries to insert a second document with that ``_id`` and the unique index
refuses it, aborting the transaction like any other conflict (``cas``)."""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

from pymongo import DeleteOne, InsertOne, MongoClient, ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, ClientBulkWriteException, DuplicateKeyError, OperationFailure
from pymongo.read_concern import ReadConcern

CLIENT_BULK_WIRE_VERSION = 25  # MongoDB 8.0: the bulkWrite command
DUPLICATE_KEY = 11000
PROBE_COLLECTION = "write_batch_probe"

# What a server does with the client-level bulkWrite, asked once per client:
NO_CLIENT_BULK = "none"  # older than 8.0: one bulk_write per collection
AFTER_FIRST = "after-first"  # not as a transaction's first statement (SecantusDB refuses
# the readConcern a driver attaches there): the first collection's writes go alone
ALWAYS = "always"

_open: dict[int, "WriteBatch"] = {}  # id(session) -> the batch gathering its writes
_client_bulk: dict[int, str] = {}  # id(client) -> one of the three above
_probe_lock = threading.Lock()


# The writes a batch takes, each addressed to its collection's namespace (which the
# client-level bulkWrite needs and a collection's bulk_write ignores)
def insert(collection: Collection, doc: dict) -> InsertOne:
    return InsertOne(doc, namespace=collection.full_name)


def replace(collection: Collection, filter_: dict, doc: dict, *, upsert: bool = False) -> ReplaceOne:
    return ReplaceOne(filter_, doc, upsert=upsert, namespace=collection.full_name)


def delete(collection: Collection, filter_: dict) -> DeleteOne:
    return DeleteOne(filter_, namespace=collection.full_name)


def cas(collection: Collection, filter_: dict, update: dict) -> UpdateOne:
    """A compare-and-set on a document that exists (``filter_`` names its ``_id``): a
    filter that no longer matches makes the write collide on ``_id`` (the module's
    docstring)."""
    if "_id" not in filter_:
        raise ValueError("a gathered compare-and-set must name the document's _id")
    return UpdateOne(filter_, update, upsert=True, namespace=collection.full_name)


def client_bulk_mode(client: MongoClient, database: str) -> str:
    """How this client's server takes the client-level bulkWrite (asked once per client):
    its wire version, then a probe transaction whose first statement is one, aborted."""
    known = _client_bulk.get(id(client))
    if known is None:
        with _probe_lock:
            known = _client_bulk.get(id(client)) or _probe(client, database)
            _client_bulk[id(client)] = known
    return known


def _probe(client: MongoClient, database: str) -> str:
    if client.admin.command("hello").get("maxWireVersion", 0) < CLIENT_BULK_WIRE_VERSION:
        return NO_CLIENT_BULK
    with client.start_session() as session:
        session.start_transaction(read_concern=ReadConcern("snapshot"))
        try:
            client.bulk_write([InsertOne({"_id": "probe"}, namespace=f"{database}.{PROBE_COLLECTION}")],
                              session=session)
            return ALWAYS
        except OperationFailure:
            return AFTER_FIRST
        finally:
            try:
                session.abort_transaction()  # nothing of the probe is kept
            except OperationFailure:
                pass


def _starting(session) -> bool:
    """Whether the session's transaction has sent no statement yet (pymongo keeps this on
    a private property; assumed so when it is not there: the safe answer)."""
    return getattr(session, "_starting_transaction", True)


class WriteBatch:
    def __init__(self, client: MongoClient, session, trusting: bool = False):
        self.client, self.session = client, session
        # the transaction's first attempt: what it takes as known is checked by its writes
        # (Projection.new_on); a retry reads everything
        self.trusting = trusting
        self.writes: list[tuple[Collection, object]] = []

    def add(self, collection: Collection, op) -> None:
        self.writes.append((collection, op))

    def flush(self) -> None:
        writes, self.writes = self.writes, []
        if not writes:
            return
        mode = client_bulk_mode(self.client, writes[0][0].database.name)
        if mode == AFTER_FIRST and _starting(self.session):
            first = _first_run(writes)  # sent alone: it starts the transaction
            self._per_collection(writes[:first])
            writes = writes[first:]
        if mode != NO_CLIENT_BULK and _first_run(writes) < len(writes):  # several collections
            self._client_bulk(writes)
        else:  # one collection's writes (or none): one bulk_write is as few round trips
            self._per_collection(writes)

    def _client_bulk(self, writes) -> None:
        try:
            self.client.bulk_write([op for _, op in writes], session=self.session, ordered=True)
        except ClientBulkWriteException as err:
            if _collided(err.write_errors):
                raise DuplicateKeyError("a unique key is taken (gathered writes)") from err
            if isinstance(err.error, Exception):
                # the command itself failed (a write conflict, the server gone): raised as it
                # came, with its labels, so that run_transaction retries what is transient
                raise err.error from err
            raise

    def _per_collection(self, writes) -> None:
        at = 0
        while at < len(writes):
            collection, end = writes[at][0], at + _first_run(writes[at:])
            ops = [op for _, op in writes[at:end]]
            try:
                collection.bulk_write(ops, ordered=True, session=self.session)
            except BulkWriteError as err:
                if _collided(err.details.get("writeErrors")):
                    raise DuplicateKeyError(f"{collection.name}: a unique key is taken") from err
                raise
            at = end


def _collided(write_errors) -> bool:
    """Whether a write failed on a unique index: a conflict, which the transaction retries."""
    return any(e.get("code") == DUPLICATE_KEY for e in write_errors or [])


def _first_run(writes) -> int:
    """How many writes from the start go to the same collection."""
    if not writes:
        return 0
    end = 1
    while end < len(writes) and writes[end][0].full_name == writes[0][0].full_name:
        end += 1
    return end


@contextlib.contextmanager
def gathering(client: MongoClient, session, trusting: bool = False) -> Iterator[WriteBatch]:
    """Gather the session's writes until the scope ends (sent then, unless it raised). A
    scope opened inside another for the same session shares its batch and flushes it at
    its own end too (the outer one's writes were added first: the order holds)."""
    outer = _batch_of(session)
    batch = outer or WriteBatch(client, session, trusting)
    if outer is None:
        _open[id(session)] = batch
    try:
        yield batch
        batch.flush()
    finally:
        if outer is None:
            _open.pop(id(session), None)


def add_to(session, collection: Collection, ops: list) -> None:
    """Gather ``ops`` in the session's open batch, or send them at once when none is open."""
    batch = _batch_of(session)
    if batch is None:
        if ops:
            collection.bulk_write(ops, ordered=False, session=session)
        return
    for op in ops:
        batch.add(collection, op)


def trusting(session) -> bool:
    """Whether the session's open batch is a first attempt's (see WriteBatch.trusting)."""
    batch = _batch_of(session)
    return batch is not None and batch.trusting


def flush(session) -> None:
    """Send what the session's open batch holds (before a read that must see it)."""
    batch = _batch_of(session)
    if batch is not None:
        batch.flush()


def _batch_of(session) -> WriteBatch | None:
    return _open.get(id(session)) if session is not None else None
