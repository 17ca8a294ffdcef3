"""The small county the contract tests run against (tests/e2e/test_contract.py): a real
stack with a few of the demo county's units loaded through the API (assembly/demo), and
the people of every role around them: who they are, what they may reach, and a request
body for any route built from its RPC schema, so a new route needs nothing added here."""
from __future__ import annotations

import dataclasses
import datetime as dt

import requests
from marshmallow import fields, validate

from assembly import demo
from assembly.demo import county
from services.gateway.openapi import schema_class
from tests import sample_files

# unit A (its group G, two surveys of G: A's and C's) and unit B of another group, waiting
# for its survey
UNIT_A, UNIT_B, UNIT_C = "县委组织部", "县政府办公室", "县纪委"
SMALL_COUNTY = tuple(u for u in county.UNITS if u.name in (UNIT_A, UNIT_B, UNIT_C))
# refused failed tokens are counted per address (services/gateway/ratelimit.py): the
# matrix and schemathesis send hundreds on purpose, and must see 401s, not 429s
# the scheduler is kept from ticking (its first tick comes after an interval): what it records
# as time passes is nobody's request, and would count as "a refused request stored something"
STACK_ENV = {"DUDAO_AUTH_FAILURE_LIMIT": "1000000", "DUDAO_SCHEDULER_SECONDS": "3600"}


@dataclasses.dataclass(frozen=True)
class Person:
    name: str            # in the matrix: no_token, office, unit_other, …
    role: str | None     # None: no valid token at all
    token: str | None
    scope: str | None = None


@dataclasses.dataclass
class County:
    """What the loaded county holds, by the RPC field names that reach it."""
    units: dict          # name -> unit id
    groups: dict         # unit id -> group id
    surveys: dict        # unit id -> survey id
    ids: dict            # RPC field (unit_id, member_id, transition_id, …) -> an id of unit A's
    people: dict         # matrix name -> Person

    @property
    def unit_a(self) -> str:
        return self.units[UNIT_A]

    def units_outside(self, person: Person) -> set:
        """The units a scoped person may not read: every unit but their own (a unit), or but
        their group's (a supervisor)."""
        if person.role == "unit":
            return set(self.units.values()) - {person.scope}
        if person.role == "supervisor":
            return {u for u, g in self.groups.items() if g != person.scope}
        return set()


def load_county(stack) -> County:
    office = stack.token("office", "contract office")
    loaded = demo.load(stack.base_url, office, seed=7, units=SMALL_COUNTY, log=lambda *_: None)
    units = {name: r["unit_id"] for name, r in loaded["units"].items()}
    groups = {r["unit_id"]: r["group_id"] for r in loaded["units"].values()}
    surveys = {r["unit_id"]: r["survey_id"] for r in loaded["units"].values() if r.get("survey_id")}
    a = units[UNIT_A]
    client = stack.as_role("office", name="contract office")
    card = client.get(f"/units/{a}").json()
    members = client.get(f"/units/{a}/members").json()
    sheet = client.get(f"/units/{a}/study").json()
    ids = {"unit_id": a, "group_id": groups[a], "survey_id": surveys[a],
           "member_id": members["members"][0]["member_id"],
           "study_group_id": members["study_groups"][0]["study_group_id"],
           "transition_id": card["agreed_transitions"][0], "session_id": sheet["sessions"][0]["session_id"],
           "task": "supervise_mobilization_meeting"}
    ids["member_ids"] = [ids["member_id"]]
    ids["attachment_id"] = attach(stack, office, a)
    ballot_survey, ids["token"] = open_ballot(stack, loaded, units[UNIT_B])
    return County(units, groups, surveys, ids, people(stack, units, groups, surveys, ballot_survey))


def attach(stack, office_token: str, unit_id: str) -> str:
    """A work plan of unit A's as a PDF (an evidence file kept by the units service)."""
    stored = requests.post(stack.base_url + "/attachments", files={"file": ("方案.pdf", sample_files.pdf())},
                           data=upload_fields({"unit_id": unit_id}), timeout=30,
                           headers={"Authorization": f"Bearer {office_token}"})
    assert stored.status_code == 201, stored.text
    return stored.json()["attachment_id"]


def upload_fields(ids: dict) -> dict:
    """The form fields of an upload naming unit A's work plan."""
    return {"unit_id": ids["unit_id"], "purpose": "work_plan"}


def open_ballot(stack, loaded: dict, unit_id: str) -> tuple[str, str]:
    """A survey of unit B (waiting for it, the public notified) opened and drawn by its
    group: its id and one unspent ballot token."""
    group = next(g for g in loaded["groups"] if g["group_id"] == loaded["units"][UNIT_B]["group_id"])
    supervisor = {"Authorization": f"Bearer {group['token']}"}
    # the demo notifies 40 people: the survey's gate wants a sample of at least 30
    opened = requests.post(stack.base_url + "/surveys", json={"unit_id": unit_id, "sample_size": 30},
                           headers=supervisor, timeout=30)
    assert opened.status_code == 201, opened.text
    survey_id = opened.json()["survey_id"]
    drawn = requests.post(f"{stack.base_url}/surveys/{survey_id}/draw", json={}, headers=supervisor, timeout=30)
    assert drawn.status_code == 201, drawn.text
    return survey_id, drawn.json()["ballots"][0]["token"]


def people(stack, units: dict, groups: dict, surveys: dict, ballot_survey: str) -> dict:
    """Everyone the matrix asks as: "_own" are inside the scope of what it reaches (unit A,
    its group, the survey the ballot token is for), "_other" outside."""
    a, b = units[UNIT_A], units[UNIT_B]
    revoked = stack.as_role("office", name="contract office").post(
        "/tokens", json={"name": "revoked office", "role": "office", "scope": None}).json()
    stack.as_role("office", name="contract office").delete(f"/tokens/{revoked['person_id']}")

    def person(name, role, scope=None):
        return Person(name, role, stack.token(role, f"contract {name}", scope), scope)
    everyone = [Person("no_token", None, None), Person("bad_token", None, "dd_not-a-token-at-all"),
                Person("revoked_token", None, revoked["token"]),
                person("office", "office"), person("auditor", "auditor"), person("operator", "operator"),
                person("supervisor_own", "supervisor", groups[a]),
                person("supervisor_other", "supervisor", groups[b]),
                person("unit_own", "unit", a), person("unit_other", "unit", b),
                person("respondent_own", "respondent", ballot_survey),
                person("respondent_other", "respondent", surveys[a])]
    return {p.name: p for p in everyone}


# --- a request body for any route, from its RPC schema ------------------------------------

TODAY = dt.date.today().isoformat()
# optional fields given all the same: a report of kind contact_details (the first kind)
# needs its contact entries; a directive names the unit it is for (or a group)
ALSO_GIVEN = ("contact", "unit_id")


def body_for(route, ids: dict) -> dict | None:
    """A body the route's schema accepts, naming unit A's things where it names ids: the
    required fields only, each the least its validators take. An upload's are its form
    fields (the file beside them: ``files_for``)."""
    if route.method not in ("POST", "PUT", "PATCH"):
        return None
    if route.body_media_type == "multipart/form-data":
        return upload_fields(ids)
    if route.body is not None or not route.schema:
        return {}
    given = set(route.path_fields().values()) | set(route.query)
    declared = schema_class(route.schema)._declared_fields
    return {name: value_for(field, name, ids) for name, field in declared.items()
            if (field.required or name in ALSO_GIVEN) and name not in given}


def files_for(route) -> dict | None:
    """The file part of an upload: a small PDF."""
    if route.body_media_type != "multipart/form-data":
        return None
    return {"file": ("方案.pdf", sample_files.pdf(), "application/pdf")}


def query_for(route, ids: dict) -> dict:
    """The query parameters the route's schema requires (a revocation's reason)."""
    declared = schema_class(route.schema)._declared_fields if route.schema else {}
    return {name: value_for(declared[name], name, ids) for name in route.query
            if name in declared and declared[name].required}


def value_for(field: fields.Field, name: str, ids: dict):
    if name in ids:
        return ids[name]
    validators = field.validators
    choices = next((v.choices for v in validators if isinstance(v, validate.OneOf)), None)
    if choices:
        return list(choices)[0]
    if isinstance(field, fields.Nested):
        schema = field.schema
        return {n: value_for(f, n, ids) for n, f in schema.fields.items() if f.required}
    if isinstance(field, fields.List):
        return [value_for(field.inner, name.removesuffix("s"), ids)]
    if isinstance(field, fields.Dict):  # every key it takes, or one
        keys = next((v.choices for v in field.key_field.validators if isinstance(v, validate.OneOf)), ["x"])
        return {key: value_for(field.value_field, key, ids) for key in keys}
    if isinstance(field, fields.Boolean):
        return False
    if isinstance(field, fields.Date):
        return TODAY
    if isinstance(field, (fields.Integer, fields.Float)):
        low = next((v.min for v in validators if isinstance(v, validate.Range) and v.min is not None), 1)
        return max(low, 1)
    length = next((v.min for v in validators if isinstance(v, validate.Length) and v.min), 1)
    return "x" * max(length, 1)
