"""A request the gateway gave up on never runs later: RPC requests expire in the broker
after the RPC timeout (issue 14: "285 requests answered 503 ran later")."""
import time

import pytest
import requests

from assembly.stack import throwaway_stack, wait_until

pytestmark = pytest.mark.slow
TIMEOUT = 2


def test_a_command_answered_503_while_its_service_is_down_is_never_run(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, ["units"], {"DUDAO_RPC_TIMEOUT": str(TIMEOUT)},
                         label="rpc-expiry") as stack:
        stack.start("gateway")

        def gateway_up():
            try:
                return stack.request("GET", "/units", stack.token("office")).status_code == 200
            except requests.RequestException:
                return False
        wait_until(gateway_up, 60, 0.3, "the gateway to answer")
        office = stack.as_role("office")
        stack.stop("units")  # its request queue stays; nobody consumes it
        answer = office.post("/units", json={"name": "迟到的单位", "org_type": "党支部", "batch": 1})
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"] == "unavailable"

        time.sleep(TIMEOUT + 1)  # past the request's expiry
        stack.start("units")
        stack.wait_answering(["units"])
        time.sleep(1)
        assert office.get("/units").json() == []
        assert stack.db("units")["events"].count_documents({}) == 0
