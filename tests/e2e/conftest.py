import tempfile
import uuid
from pathlib import Path

import pytest

from assembly.stack import Stack
from shared import launcher


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    """All five services as real processes, shared by one test module, on a vhost
    and database prefix of its own."""
    vhost = "dudao-e2e-" + uuid.uuid4().hex[:8]
    amqp = launcher.create_vhost(amqp_base_uri, vhost)
    with tempfile.TemporaryDirectory(prefix="dudao-e2e-") as tmp:
        running = Stack(mongo_uri, amqp, "e" + uuid.uuid4().hex[:9], Path(tmp))
        try:
            running.start_all()
            yield running
        finally:
            running.stop_all()
            launcher.delete_vhost(amqp_base_uri, vhost)
