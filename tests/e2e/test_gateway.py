"""The gateway's front line: authentication, roles, bad input, health and OpenAPI.
Every refusal is a JSON error with a message and leaves no event behind."""
import pytest
import requests

GOOD_UNIT = {"name": "县委宣传部", "org_type": "党组", "batch": 1}


def units_logged(stack):
    return stack.db("units")["events"].count_documents({})


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"] and isinstance(body["details"], dict)
    if code:
        assert body["error"] == code
    return body


def test_health_reports_every_service_up(stack):
    body = requests.get(stack.base_url + "/health", timeout=10).json()
    assert body["status"] == "ok"
    assert set(body["services"]) == {"units", "supervision", "study", "evaluation"}
    assert all(s["ok"] for s in body["services"].values())


def test_register_then_read_back_and_every_consumer_sees_it(stack):
    from assembly.stack import wait_until
    office = stack.as_role("office")
    created = office.post("/units", json=GOOD_UNIT)
    assert created.status_code == 201
    unit_id = created.json()["unit_id"]
    card = office.get(f"/units/{unit_id}").json()
    assert (card["name"], card["org_type"], card["batch"], card["phase"]) == ("县委宣传部", "党组", 1, "registered")
    for service in ("supervision", "study", "evaluation"):
        wait_until(lambda: stack.db(service)["unit_directory"].find_one({"_id": unit_id}),
                   message=f"{service} to apply UnitRegistered")
    stored = stack.db("units")["events"].find_one({"payload.unit_id": unit_id})
    assert stored["actor"]["role"] == "office" and stored["actor"]["name"] == "test office"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"},
                                     {"Authorization": "Basic Zm9vOmJhcg=="}])
def test_missing_or_bad_token_is_401(stack, headers):
    before = units_logged(stack)
    response = requests.post(stack.base_url + "/units", json=GOOD_UNIT, headers=headers, timeout=10)
    assert_error(response, 401, "unauthenticated")
    assert units_logged(stack) == before


def test_wrong_role_is_403(stack):
    before = units_logged(stack)
    auditor = stack.as_role("auditor")
    body = assert_error(auditor.post("/units", json=GOOD_UNIT), 403, "forbidden")
    assert "office" in body["details"]["allowed_roles"]
    assert units_logged(stack) == before


def test_revoked_token_is_refused(stack):
    office = stack.as_role("office")
    issued = office.post("/tokens", json={"name": "临时人员", "role": "auditor"})
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert stack.request("GET", "/units", token).status_code == 200
    assert office.delete(f"/tokens/{issued.json()['person_id']}").status_code == 200
    assert_error(stack.request("GET", "/units", token), 401)


def test_token_grant_is_validated(stack):
    office = stack.as_role("office")
    assert_error(office.post("/tokens", json={"name": "x", "role": "king"}), 422)
    assert_error(office.post("/tokens", json={"name": "x", "role": "unit"}), 422)  # no scope
    assert_error(office.post("/tokens", json={"name": "x", "role": "office", "extra": 1}), 422)
    assert_error(stack.as_role("auditor").post("/tokens", json={"name": "x", "role": "office"}), 403)


@pytest.mark.parametrize("body,field", [
    ({"org_type": "党组", "batch": 1}, "name"),                      # missing field
    ({**GOOD_UNIT, "colour": "red"}, "colour"),                      # unknown field
    ({**GOOD_UNIT, "batch": "one"}, "batch"),                        # wrong type
    ({**GOOD_UNIT, "batch": 7}, "batch"),                            # out of range
    ({**GOOD_UNIT, "org_type": "公司"}, "org_type"),                  # not in the list
])
def test_bad_fields_are_422_naming_the_field_and_store_nothing(stack, body, field):
    before = units_logged(stack)
    error = assert_error(stack.as_role("office").post("/units", json=body), 422)
    assert field in error["details"]["fields"]
    assert units_logged(stack) == before


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(stack, raw):
    before = units_logged(stack)
    response = stack.request("POST", "/units", stack.token("office"), data=raw,
                             headers={"content-type": "application/json"})
    assert_error(response, 400, "bad_request")
    assert units_logged(stack) == before


def test_unknown_unit_is_404_and_unknown_route_is_404(stack):
    office = stack.as_role("office")
    assert_error(office.get("/units/u-doesnotexist"), 404, "not_found")
    assert_error(office.get("/no-such-thing"), 404, "not_found")
    assert_error(office.patch("/units"), 405)


def test_openapi_lists_the_routes_with_their_schemas(stack):
    spec = requests.get(stack.base_url + "/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    post_units = spec["paths"]["/api/v1/units"]["post"]
    schema = post_units["requestBody"]["content"]["application/json"]["schema"]
    assert "$ref" in schema or "properties" in schema
    assert "/api/v1/units/{unit}" in spec["paths"]
    assert "/api/v1/health" in spec["paths"]
