"""The OpenAPI document as generated from the route table (services/gateway/openapi.py):
every operation says what it answers on success and on every refusal it can give, every
body and parameter is documented. tests/e2e/test_contract.py holds the running gateway to
it with schemathesis; these check the document itself, without a stack."""
import jsonschema
import pytest

from services.gateway.openapi import build_openapi, openapi_path
from services.gateway.routes import all_routes
from services.gateway.routes.shapes import ID, record

SPEC = build_openapi()
ROUTES = all_routes()
COMMANDS = ("POST", "PUT", "PATCH", "DELETE")


def operation(route) -> dict:
    return SPEC["paths"][openapi_path(route)][route.method.lower()]


def name(route) -> str:
    return f"{route.method} {route.path}"


@pytest.mark.parametrize("route", ROUTES, ids=name)
def test_every_operation_documents_its_success_with_a_schema_and_media_type(route):
    assert route.result is not None, "declare the answer's shape (routes/shapes.py)"
    jsonschema.Draft4Validator.check_schema(route.result)
    success = operation(route)["responses"][str(route.status)]
    assert list(success["content"]) == list(route.answer_media_types())
    for media_type in route.answer_media_types():
        assert success["content"][media_type]["schema"] == route.result


@pytest.mark.parametrize("route", ROUTES, ids=name)
def test_every_operation_documents_each_refusal_it_can_give_as_the_one_error_body(route):
    responses = operation(route)["responses"]
    expected = {401, 403, 404, 413, 422, 429, 503} | ({400, 409} if route.method in COMMANDS else set())
    refusals = {int(code) for code in responses if int(code) >= 400}
    assert refusals == expected
    for code in refusals:
        ref = responses[str(code)]["$ref"].rpartition("/")[2]
        content = SPEC["components"]["responses"][ref]["content"]
        assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def test_the_error_body_is_error_message_details_and_nothing_else():
    error = SPEC["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message", "details"] and error["additionalProperties"] is False
    responses = SPEC["components"]["responses"]
    assert responses["MethodNotAllowed"]["headers"]["Allow"]["required"] is True
    assert responses["TooManyRequests"]["headers"]["Retry-After"]["required"] is True


@pytest.mark.parametrize("route", ROUTES, ids=name)
def test_every_command_takes_an_optional_idempotency_key_and_every_body_is_documented(route):
    op = operation(route)
    headers = [p for p in op["parameters"] if p["in"] == "header"]
    if route.method in COMMANDS:
        [key] = headers
        assert key["name"] == "Idempotency-Key" and key["required"] is False
        assert key["schema"]["maxLength"] == 200
        assert "Idempotency-Key" in op["responses"][str(route.status)]["headers"]
    else:
        assert headers == []
    if route.method in ("POST", "PUT", "PATCH"):
        assert op["requestBody"]["required"] is True
        assert op["requestBody"]["content"][route.body_media_type]["schema"]
    else:
        assert "requestBody" not in op
    path = {p["name"] for p in op["parameters"] if p["in"] == "path"}
    query = {p["name"] for p in op["parameters"] if p["in"] == "query"}
    assert path == {v for v in route.path.replace(">", "<").split("<")[1::2]}
    assert query == set(route.query)


def test_formats_and_uniqueness_are_declared():
    schemas = SPEC["components"]["schemas"]
    assert schemas["RegisterUnit"]["properties"]["sections"]["uniqueItems"] is True
    assert schemas["MeetingSchedule"]["properties"]["date"] == {"type": "string", "format": "date"}
    assert schemas["Attendance"]["properties"]["member_ids"]["uniqueItems"] is True
    units = SPEC["paths"]["/api/v1/units"]["get"]
    batch = next(p for p in units["parameters"] if p["name"] == "batch")
    assert batch["schema"]["type"] == "integer"
    revoke = SPEC["paths"]["/api/v1/units/{unit}/study-exemptions/{member}"]["delete"]
    assert next(p for p in revoke["parameters"] if p["name"] == "reason")["required"] is True


def test_files_are_documented_with_their_media_type():
    ledger = SPEC["paths"]["/api/v1/units/{unit}/study/ledger.xlsx"]["get"]["responses"]["200"]["content"]
    assert list(ledger) == ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]


def test_an_upload_is_a_multipart_body_with_a_binary_file_and_a_download_any_allowed_kind():
    upload = SPEC["paths"]["/api/v1/attachments"]["post"]
    [(media_type, body)] = upload["requestBody"]["content"].items()
    assert media_type == "multipart/form-data"
    assert body["schema"]["properties"]["file"] == {**body["schema"]["properties"]["file"],
                                                    "type": "string", "format": "binary"}
    assert set(body["schema"]["required"]) == {"file", "unit_id", "purpose"}
    download = SPEC["paths"]["/api/v1/attachments/{id}"]["get"]["responses"]["200"]["content"]
    assert {"application/pdf", "image/png", "image/jpeg", "application/msword"} <= set(download)


def test_a_declared_shape_refuses_an_answer_that_strays_from_it():
    shape = record(unit_id=ID)
    jsonschema.validate({"unit_id": "u-0123456789ab"}, shape)
    for stray in ({"unit_id": 1}, {}, {"unit_id": "u-0123456789ab", "extra": 1}, {"unit_id": "u-1"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(stray, shape)


def test_published_answers_are_marked_and_the_rest_is_narrowed_to_the_callers_own():
    scopes = {name(route): operation(route)["x-scope"] for route in ROUTES}
    assert scopes["GET /surveys/<survey>"] == "published" and scopes["GET /units/<unit>"] == "own"


def test_health_and_this_document_are_get_only_and_need_no_token():
    for path in ("/api/v1/health", "/api/v1/openapi.json"):
        assert list(SPEC["paths"][path]) == ["get"]
        assert SPEC["paths"][path]["get"]["security"] == []


def test_every_answer_documents_the_security_headers_it_carries():
    responses = [r for ops in SPEC["paths"].values() for op in ops.values() for r in op["responses"].values()]
    components = SPEC["components"]["responses"]
    for response in responses:
        response = components[response["$ref"].rpartition("/")[2]] if "$ref" in response else response
        assert {"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cache-Control",
                "Content-Security-Policy"} <= set(response["headers"])
    assert SPEC["components"]["headers"]["X-Frame-Options"]["schema"]["enum"] == ["DENY"]
