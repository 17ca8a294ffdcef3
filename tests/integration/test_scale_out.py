"""Two instances of the same service side by side: they share the work, one relay
publishes (lease), and no event is applied twice."""
import time

import pytest

from assembly.stack import wait_until
from tests.integration.test_delivery_processes import converged, directory, register

pytestmark = pytest.mark.slow


def test_two_instances_of_each_service_share_work_without_double_applying(make_stack):
    stack = make_stack()
    stack.start_all()
    for name in ("units", "supervision", "study", "evaluation"):
        stack.start(name, instance=f"{name}-2")
    time.sleep(2)  # let the second instances bind their queues
    office = stack.as_role("office")
    ids = [register(office, f"单位{i}", batch=1 + i % 3) for i in range(20)]

    wait_until(lambda: converged(stack), timeout=60, message="every consumer to apply every event once")
    for service in ("supervision", "study", "evaluation"):
        entries = directory(stack, service)
        assert set(entries) == set(ids)
        assert {d["events_applied"] for d in entries.values()} == {1}
    lease = stack.db("units")["meta"].find_one({"_id": "relay_lease"})
    assert lease["expires"] > time.time(), "one live relay holds the lease"

    # the lease holder dies: the other instance takes over publishing
    holder_pid = int(lease["owner"].split(":")[1])
    holder = next(k for k, p in stack.processes.items() if p.pid == holder_pid)
    stack.kill(holder)
    more = [register(office, f"后来单位{i}") for i in range(3)]
    new_owner = wait_until(
        lambda: (stack.db("units")["meta"].find_one({"_id": "relay_lease"})["owner"]
                 != lease["owner"]) and stack.db("units")["meta"].find_one({"_id": "relay_lease"})["owner"],
        timeout=60, message="the surviving instance to take the expired lease")
    assert int(new_owner.split(":")[1]) != holder_pid
    head = stack.db("units")["meta"].find_one({"_id": "log_head"})["position"]
    wait_until(lambda: stack.db("units")["meta"].find_one({"_id": "relay_checkpoint"})["position"] == head,
               timeout=60, message="the new relay to publish up to the head")
    wait_until(lambda: converged(stack), timeout=60, message="consumers to apply the later events once")
    assert set(more) <= set(directory(stack, "supervision"))
