
import pytest

from assembly.stack import throwaway_stack


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    """All five services as real processes, shared by one test module, on a vhost
    and database prefix of its own."""
    with throwaway_stack(mongo_uri, amqp_base_uri, label="e2e") as running:
        yield running
