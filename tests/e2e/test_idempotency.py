"""Idempotent commands (issue 14 part 3), through the real gateway and services: the same
``Idempotency-Key`` from the same person answers the first outcome and never acts twice,
whether the first try was answered, refused by a rule it made true, or lost to a 503."""
from __future__ import annotations

import concurrent.futures
import uuid

import pytest

from assembly.stack import throwaway_stack, wait_until
from tests.e2e.test_evaluation import Facts

UNIT = {"org_type": "党组", "batch": 1}


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    # a short RPC timeout: the 503 below comes after it
    with throwaway_stack(mongo_uri, amqp_base_uri, label="idem", env={"DUDAO_RPC_TIMEOUT": "4"}) as running:
        yield running


def register(stack, name: str, key: str | None = None, token: str | None = None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return stack.request("POST", "/units", token or stack.token("office"),
                         json={"name": name, **UNIT}, headers=headers)


def registered(stack, name: str) -> int:
    return stack.db("units")["events"].count_documents({"type": "UnitRegistered", "payload.name": name})


def units_logged(stack) -> int:
    return stack.db("units")["events"].count_documents({})


def test_a_retry_with_the_same_key_answers_the_first_outcome(stack):
    name, key = f"县档案馆 {uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    first = register(stack, name, key)
    again = register(stack, name, key)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json()
    assert first.headers["Idempotency-Key"] == again.headers["Idempotency-Key"] == key
    assert registered(stack, name) == 1


def test_without_a_key_the_gateway_makes_one_and_names_it(stack):
    name = f"县统计局 {uuid.uuid4().hex[:6]}"
    first = register(stack, name)
    assert first.status_code == 201, first.text
    made = first.headers["Idempotency-Key"]
    assert str(uuid.UUID(made)) == made
    # the key it made serves a retry like one the client chose
    assert register(stack, name, made).json() == first.json()
    second = register(stack, name)  # no key: a new request, a second unit of that name
    assert second.headers["Idempotency-Key"] != made
    assert registered(stack, name) == 2


def test_a_retry_the_rules_would_refuse_still_answers_the_first_outcome(stack):
    unit = register(stack, f"县审计局 {uuid.uuid4().hex[:6]}").json()["unit_id"]
    own = stack.token("unit", scope=unit)
    key = str(uuid.uuid4())
    member = {"name": "王五", "section": "综合科"}
    assert stack.request("POST", f"/units/{unit}/sections", own, json={"section": "综合科"}).ok
    first = stack.request("POST", f"/units/{unit}/members", own, json=member,
                          headers={"Idempotency-Key": key})
    again = stack.request("POST", f"/units/{unit}/members", own, json=member,
                          headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json()
    assert stack.db("units")["events"].count_documents(
        {"type": "MemberEnrolled", "payload.unit_id": unit}) == 1


def test_a_key_reused_for_another_request_is_409_and_stores_nothing(stack):
    key = str(uuid.uuid4())
    assert register(stack, f"县民政局 {uuid.uuid4().hex[:6]}", key).status_code == 201
    before = units_logged(stack)
    other = register(stack, f"县林业局 {uuid.uuid4().hex[:6]}", key)
    assert other.status_code == 409, other.text
    assert "Idempotency-Key" in other.json()["message"]
    assert units_logged(stack) == before


def test_keys_are_each_persons_own(stack):
    name, key = f"县水利局 {uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    mine = register(stack, name, key, token=stack.token("office", name="clerk A"))
    theirs = register(stack, name, key, token=stack.token("office", name="clerk B"))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["unit_id"] != theirs.json()["unit_id"]
    assert registered(stack, name) == 2


@pytest.mark.parametrize("key", ["has space", "x" * 201, "", "键"])
def test_a_malformed_key_is_400_and_stores_nothing(stack, key):
    before = units_logged(stack)
    headers = {"Idempotency-Key": key.encode("utf-8").decode("latin-1")}
    answer = stack.request("POST", "/units", stack.token("office"),
                           json={"name": "县文联", **UNIT}, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"]["header"] == "Idempotency-Key"
    assert units_logged(stack) == before


def test_concurrent_tries_with_one_key_register_once(stack):
    name, key = f"县气象局 {uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    office = stack.token("office")
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: register(stack, name, key, office), range(6)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["unit_id"] for a in answers}) == 1
    assert registered(stack, name) == 1


def test_a_retried_draw_answers_the_same_ballot_slips(stack):
    facts = Facts(stack)
    try:
        unit = facts.unit(phase="survey", people=5)  # under 30 people: sampled whole
    finally:
        facts.client.close()
    sup = stack.token("supervisor", scope=unit["group_id"])
    opened = stack.request("POST", "/surveys", sup, json={"unit_id": unit["unit_id"], "sample_size": 5})
    assert opened.status_code == 201, opened.text
    path, key = f"/surveys/{opened.json()['survey_id']}/draw", str(uuid.uuid4())
    first = stack.request("POST", path, sup, json={"public_entropy": "e"}, headers={"Idempotency-Key": key})
    again = stack.request("POST", path, sup, json={"public_entropy": "e"}, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json()["ballots"] == first.json()["ballots"]
    # and the slips are the ones the survey counts: a retried slip votes
    token = first.json()["ballots"][0]["token"]
    respondent = stack.token("respondent", scope=opened.json()["survey_id"], name="respondent idem")
    cast = stack.request("POST", "/ballots", respondent,
                         json={"token": token, "ratings": {"leadership": "satisfied",
                                                           "campaign": "satisfied"}})
    assert cast.status_code == 201, cast.text


def test_a_503_says_a_retry_is_safe_and_the_retry_acts_once(stack):
    """The units service down: the command is a 503 that carries its key; the request may
    still be queued (it expires after the RPC timeout) and run when the service is back;
    the client's retry with the key answers that outcome, one unit either way."""
    name, key = f"县供销社 {uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    stack.kill("units")
    try:
        down = register(stack, name, key)
        assert down.status_code == 503, down.text
        assert down.headers["Idempotency-Key"] == key
        assert "same Idempotency-Key" in down.json()["message"]
    finally:
        stack.start("units")
        stack.wait_answering(["units"])
    retried = register(stack, name, key)
    assert retried.status_code == 201, retried.text
    wait_until(lambda: registered(stack, name) >= 1, 10)
    assert registered(stack, name) == 1
    assert register(stack, name, key).json() == retried.json()
