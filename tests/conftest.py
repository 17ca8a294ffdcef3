import eventlet

eventlet.monkey_patch()  # nameko 2.14 does not patch for us; must come first

import os  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# Every MemoryProjectionRunner in the tests (and in service processes the tests start,
# which inherit the environment) asserts that projections do not mutate their inputs:
# the runners no longer copy documents (shared/projection.py). Export it as 0 to skip.
os.environ.setdefault("DUDAO_CHECK_PROJECTION_PURITY", "1")

from assembly.catalogue import register_services  # noqa: E402
from shared import launcher  # noqa: E402

# the test session is a composition root too: the audit and ops code under test (as-of,
# rebuild, backup) asks shared.registry for each service's projections
register_services()


@pytest.fixture(scope="session")
def mongo_uri():
    """The Mongo-wire server for the whole run: DUDAO_MONGO_URI (set by `make test`
    to its throwaway SecantusDB, or by you to a real MongoDB), else our own."""
    if os.environ.get("DUDAO_MONGO_URI"):
        yield os.environ["DUDAO_MONGO_URI"]
        return
    with tempfile.TemporaryDirectory(prefix="dudao-test-db-") as tmp:
        port = launcher.free_port()
        proc = launcher.start_secantus(Path(tmp), port)
        try:
            yield launcher.mongo_uri_for(port)
        finally:
            proc.terminate()
            proc.wait(10)


@pytest.fixture(scope="session")
def mongo_client(mongo_uri):
    from pymongo import MongoClient
    client = MongoClient(mongo_uri)
    yield client
    client.close()


@pytest.fixture
def db_prefix(mongo_client):
    """A fresh database prefix per test, dropped afterwards."""
    prefix = "t" + uuid.uuid4().hex[:10]
    yield prefix
    for name in mongo_client.list_database_names():
        if name.startswith(prefix + "_"):
            mongo_client.drop_database(name)


@pytest.fixture(scope="session")
def amqp_base_uri():
    uri = os.environ.get("DUDAO_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    launcher.ensure_rabbit(uri)
    return uri


@pytest.fixture
def amqp_uri(amqp_base_uri):
    """A throwaway RabbitMQ vhost per test, so queues never leak between tests."""
    vhost = "dudao-test-" + uuid.uuid4().hex[:10]
    uri = launcher.create_vhost(amqp_base_uri, vhost)
    yield uri
    launcher.delete_vhost(amqp_base_uri, vhost)


@pytest.fixture(scope="session")
def broker_node(tmp_path_factory):
    """A throwaway RabbitMQ node for the tests that stop and start the broker (never the
    shared one); ``broker_node.vhost(name)`` keeps each test's queues apart."""
    from tests.rabbit_node import rabbit_node
    with rabbit_node(tmp_path_factory.mktemp("rabbit")) as node:
        yield node


@pytest.fixture
def make_stack(mongo_uri, amqp_uri, db_prefix, tmp_path):
    """Build a Stack of real service processes; everything it started is stopped after."""
    from assembly.stack import Stack
    stacks = []

    def make(**extra_env):
        stack = Stack(mongo_uri, amqp_uri, db_prefix, tmp_path / f"stack{len(stacks)}", extra_env)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop_all()
