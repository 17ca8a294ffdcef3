"""The API contract, proven against a real stack with a small county loaded (issue 14
parts 9 and 10):

- a role × route matrix generated from the route table: every route for every kind of
  caller (no token, a bad one, a revoked one, each role, scoped ones inside and outside
  their scope) is answered as the route's roles and scope rules say, no scoped caller sees
  a unit outside its scope, and no refused request writes anything;
- schemathesis, once per role's token, with all its checks against the OpenAPI document the
  gateway serves (services/gateway/openapi.py): no server error, every answer's status,
  content type, headers and body as documented."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from assembly.stack import throwaway_stack, wait_until
from services.gateway.openapi import openapi_path
from services.gateway.routes import all_routes
from tests.e2e.contract import STACK_ENV, body_for, files_for, load_county, query_for

SERVICES = ("units", "supervision", "study", "evaluation")
UNSCOPED = ("office", "auditor", "operator")


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, env=STACK_ENV, label="contract") as running:
        yield running


@pytest.fixture(scope="module")
def county(stack):
    return load_county(stack)


# --- the role × route matrix ---------------------------------------------------------------

def targets(route, body: dict | None) -> bool:
    """Does the request name something in a scope: unit A's (a path id, a body's unit_id) or
    a survey's (a ballot token)?"""
    return bool(route.args) or bool(body and {"unit_id", "token"} & set(body))


def expected(route, person, body) -> str:
    """"unauthenticated", "forbidden" (the role may not), "refused" (403/404: not theirs)
    or "allowed", from the route's roles and the scope rules (shared/access.py)."""
    if person.role is None:
        return "unauthenticated"
    if person.role not in route.roles:
        return "forbidden"
    if person.role in UNSCOPED or not targets(route, body) or route.public:
        return "allowed"
    return "allowed" if person.name.endswith("_own") else "refused"


def path_for(route, ids: dict) -> str:
    path = route.path
    for variable, field in route.args:
        path = path.replace(f"<{variable}>", str(ids.get(field, f"x-{variable}")))
    return path.replace("<person>", "p-000000000000")


def send(stack, route, person, ids: dict) -> dict:
    body, files = body_for(route, ids), files_for(route)
    headers = {"Authorization": f"Bearer {person.token}"} if person.token else {}
    sent = {"data": body, "files": files} if files else {"json": body}  # an upload is multipart
    response = requests.request(route.method, stack.base_url + path_for(route, ids), **sent,
                                params=query_for(route, ids), headers=headers, timeout=30)
    return {"route": f"{route.method} {route.path}", "person": person.name, "status": response.status_code,
            "text": response.text, "expected": expected(route, person, body),
            "public": route.public, "media_type": response.headers.get("Content-Type", "").partition(";")[0],
            "documented": route.answer_media_types() if response.ok else ("application/json",)}


def logged(stack) -> int:
    """Everything stored: every service's log and evidence files, and the gateway's tokens."""
    return (sum(stack.db(s)["events"].count_documents({}) for s in SERVICES)
            + sum(stack.db(s)["attachments.files"].count_documents({}) for s in SERVICES)
            + stack.db("gateway")["tokens"].count_documents({}))


def settled(stack) -> int:
    """What is stored once nothing moves any more: the services react to each other's events
    (a survey opened reaches the units log a moment later), which is not the requests'
    doing."""
    counts = [logged(stack)]
    wait_until(lambda: counts.append(logged(stack)) or counts[-4:] == [counts[-1]] * 4, 30, 0.25,
               "the services to settle")
    return counts[-1]


def outcome_matches(result: dict) -> bool:
    status, want = result["status"], result["expected"]
    if want == "unauthenticated":
        return status == 401
    if want == "forbidden":
        return status == 403
    if want == "refused":
        return status in (403, 404)
    return status not in (401, 403) and status < 500


def test_every_route_answers_every_caller_as_its_roles_and_scope_say(stack, county):
    pairs = [(route, person) for route in all_routes() for person in county.people.values()]
    refused = [(r, p) for r, p in pairs if expected(r, p, body_for(r, county.ids)) != "allowed"]
    allowed = [(r, p) for r, p in pairs if (r, p) not in refused]
    before = settled(stack)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda rp: send(stack, *rp, county.ids), refused))
        assert logged(stack) == before, "a refused request stored something"
        results += list(pool.map(lambda rp: send(stack, *rp, county.ids), allowed))
    wrong = [r for r in results if not outcome_matches(r) or r["media_type"] not in r["documented"]]
    assert not wrong, f"{len(wrong)} of {len(results)} answers unlike the route table:\n" + "\n".join(
        f"  {r['route']} as {r['person']}: {r['status']} {r['media_type']} (expected {r['expected']}) "
        f"{r['text'][:160]}"
        for r in wrong)
    leaks = [(r, unit) for r in results if 200 <= r["status"] < 300 and not r["public"]
             for unit in county.units_outside(county.people[r["person"]]) if unit in r["text"]]
    assert not leaks, "\n".join(f"  {r['route']} as {r['person']} shows {unit}" for r, unit in leaks)
    assert len(results) == len(pairs) >= 12 * len(all_routes())



def test_every_path_answers_a_method_it_does_not_take_with_a_json_405_naming_those_it_does(stack, county):
    declared: dict = {}
    for route in all_routes():
        declared.setdefault(path_for(route, county.ids), set()).add(route.method)
    token = county.people["office"].token
    wrong = []
    for path, methods in declared.items():
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            response = requests.request(method, stack.base_url + path, timeout=30,
                                        headers={"Authorization": f"Bearer {token}"})
            allowed = set(response.headers.get("Allow", "").split(", ")) - {"HEAD", "OPTIONS"}
            if (response.status_code, allowed, response.headers.get("Content-Type")) != (
                    405, methods, "application/json") or response.json()["error"] != "method_not_allowed":
                wrong.append(f"  {method} {path}: {response.status_code} Allow {allowed} (takes {methods})")
    assert not wrong, "\n".join(wrong)

# --- schemathesis, once per role's token ---------------------------------------------------

ST = Path(sys.executable).with_name("st")  # schemathesis' command, installed by the dev extra
# one person of each role; a scoped one inside the scope the parameters below reach
ROLES = {"office": "office", "auditor": "auditor", "operator": "operator",
         "supervisor": "supervisor_own", "unit": "unit_own", "respondent": "respondent_own"}
# a schema-valid request the domain refuses by a rule (a unit already in that phase, a
# leader who is not a section-level cadre, …) is a 422 with the rule's message
ACCEPTED = ["2xx", "401", "403", "404", "409", "422"]


def toml(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string or list is a TOML one


def schemathesis_config(county, role: str) -> str:
    """Every check, a few derandomised examples per operation (one where the role is refused
    outright: the matrix above covers those), and each path variable the id of unit A's
    thing it names (the route table's args), so requests reach real data."""
    lines = ["seed = 1", "[generation]", "max-examples = 2", "deterministic = true", "no-shrink = true",
             "[phases.examples]", "enabled = false", "[phases.stateful]", "enabled = false",
             "[phases.coverage]", "enabled = false",
             "[checks.positive_data_acceptance]", f"expected-statuses = {toml(ACCEPTED)}"]
    for route in all_routes():
        values = {variable: county.ids[field] for variable, field in route.args if field in county.ids}
        lines += ["[[operations]]", f"include-path = {toml(openapi_path(route))}",
                  f"include-method = {toml(route.method)}",
                  "parameters = {" + ", ".join(f"{k} = {toml(v)}" for k, v in values.items()) + "}",
                  "[operations.generation]", f"max-examples = {2 if role in route.roles else 1}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_schemathesis_finds_nothing_with_each_roles_token(stack, county, role, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(county, role), "utf-8")
    token = county.people[ROLES[role]].token
    run = subprocess.run([str(ST), "--config-file", str(config), "run", stack.base_url + "/openapi.json",
                          "--checks", "all", "-H", f"Authorization: Bearer {token}",
                          "--request-timeout", "30"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, f"schemathesis as {role}:\n{run.stdout[-12000:]}\n{run.stderr[-2000:]}"
