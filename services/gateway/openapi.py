"""The whole API as OpenAPI 3, generated from the route table (services/gateway/routes/),
the services' marshmallow request schemas and the answers' shapes the routes declare
(routes/shapes.py), so it cannot drift from what the gateway serves. schemathesis holds
the running gateway to it (tests/e2e/test_contract.py)."""
from __future__ import annotations

import importlib
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.gateway.routes import Route, all_routes
from shared.schema_fields import unique

PREFIX = "/api/v1"
COMMANDS = ("POST", "PUT", "PATCH", "DELETE")

# the one error body (services/gateway/app.py `error`, and every service refusal)
ERROR = {"type": "object", "required": ["error", "message", "details"], "additionalProperties": False,
         "properties": {"error": {"type": "string", "minLength": 1},
                        "message": {"type": "string", "minLength": 1},
                        "details": {"type": "object"}}}
# an optional client key per command (1–200 printable ASCII characters, no space), echoed
IDEMPOTENCY_KEY = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"}

# every error an operation can answer, by what it takes: (status, description, headers)
ERRORS = {
    400: "the body is not a JSON object (not UTF-8 JSON, NaN/Infinity, nested deeper than 32), "
         "or the Idempotency-Key header is malformed",
    401: "no valid token (none, unknown or revoked)",
    403: "the token's role or scope may not do this",
    404: "no such unit, group, survey, … (or none the caller may know of)",
    409: "conflict: the state has moved on (a second ballot, a stale version, a repeated step)",
    413: "the body is larger than the gateway reads (DUDAO_MAX_BODY_BYTES; a file: "
         "DUDAO_ATTACHMENT_MAX_BYTES)",
    422: "refused by the input limits, the schema or a rule; details name the fields",
    429: "too many failed tokens from this address; try again after Retry-After seconds",
    503: "a service (or the gateway's database) is not answering; try again shortly",
}
RESPONSE_NAMES = {400: "BadRequest", 401: "Unauthenticated", 403: "Forbidden", 404: "NotFound",
                  405: "MethodNotAllowed", 409: "Conflict", 413: "TooLarge", 422: "Invalid",
                  429: "TooManyRequests", 503: "Unavailable"}
HEADERS = {429: {"Retry-After": {"description": "seconds until a token is tried again", "required": True,
                                 "schema": {"type": "integer", "minimum": 1}}},
           405: {"Allow": {"description": "the methods the path takes", "required": True,
                           "schema": {"type": "string", "minLength": 1}}}}


# what every answer carries (services/gateway/app.py harden_headers): name -> its one value
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _hardened(headers: dict | None = None) -> dict:
    """A response's headers: its own and the security headers every answer carries."""
    every = {name: {"$ref": f"#/components/headers/{name}"}
             for name in (*SECURITY_HEADERS, "Content-Security-Policy")}
    return {**(headers or {}), **every}


def schema_class(ref: str):
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _body_schema(route: Route):
    cls = schema_class(route.schema)
    given = (set(route.path_fields().values()) | set(route.query)) & set(cls._declared_fields)
    return cls(exclude=sorted(given)) if given else cls


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[:-len("Schema")] if name.endswith("Schema") else name


def unique_items(converter, field, **kwargs) -> dict:
    """A list field validated by shared.schema_fields.unique declares ``uniqueItems``."""
    validators = getattr(field, "validators", None) or []
    return {"uniqueItems": True} if unique in validators else {}


def openapi_path(route: Route) -> str:
    return PREFIX + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route.path)


def _parameters(route: Route, plugin: MarshmallowPlugin) -> list[dict]:
    path = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
            for name in re.findall(r"{([^}]+)}", openapi_path(route))]
    fields = schema_class(route.schema)._declared_fields if route.schema else {}
    query = []
    for name in route.query:
        field = fields.get(name)
        schema = plugin.converter.field2property(field) if field is not None else {"type": "string"}
        # an empty value is no value (services/gateway/routes rpc_fields): ?unit_id= filters nothing
        schema = {k: v for k, v in schema.items() if k not in ("default", "nullable", "minLength")}
        query.append({"name": name, "in": "query", "required": bool(field is not None and field.required),
                      "allowEmptyValue": True, "schema": schema})
    header = ([{"name": "Idempotency-Key", "in": "header", "required": False, "schema": IDEMPOTENCY_KEY,
                "description": "optional: a retry with the same key answers the first outcome "
                               "instead of acting twice; echoed in the answer"}]
              if route.method in COMMANDS else [])
    return path + query + header


def _errors(route: Route) -> list[int]:
    codes = [401, 403, 404, 413, 422, 429, 503]
    if route.method in COMMANDS:  # a body that is not a JSON object, a malformed key
        codes += [400, 409]
    return sorted(codes)


def _success(route: Route) -> dict:
    headers = ({"Idempotency-Key": {"description": "the request's Idempotency-Key, when it had one",
                                    "schema": IDEMPOTENCY_KEY}}
               if route.method in COMMANDS else {})
    schema = route.result if route.result is not None else {}
    content = {media_type: {"schema": schema} for media_type in route.answer_media_types()}
    return {"description": "success", "content": content, "headers": _hardened(headers)}


def _operation(route: Route, plugin: MarshmallowPlugin) -> dict:
    op = {"summary": route.summary or f"{route.service}.{route.rpc}",
          "operationId": f"{route.service}.{route.rpc}",
          "tags": [route.service],
          "security": [{"bearer": []}],
          "x-roles": list(route.roles),
          # how a scoped token's reach narrows the answer (the role x route matrix checks it)
          "x-scope": "published" if route.public else "own",
          "parameters": _parameters(route, plugin),
          "responses": {str(route.status): _success(route),
                        **{str(code): {"$ref": f"#/components/responses/{RESPONSE_NAMES[code]}"}
                           for code in _errors(route)}}}
    if route.method in ("POST", "PUT", "PATCH"):
        body = route.body if route.body is not None else (_body_schema(route) if route.schema else
                                                          {"type": "object", "additionalProperties": False})
        op["requestBody"] = {"required": True, "content": {route.body_media_type: {"schema": body}}}
    return op


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _add_components(spec: APISpec) -> None:
    spec.components.schema("Error", ERROR)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    error = {"$ref": "#/components/schemas/Error"}
    for code, name in RESPONSE_NAMES.items():
        description = ERRORS.get(code, "the path does not take this method (Allow names those it takes)")
        spec.components.response(name, {"description": description, "content": _json(error),
                                        "headers": _hardened(HEADERS.get(code))})
    for header, value in SECURITY_HEADERS.items():
        spec.components.header(header, {"required": True, "schema": {"type": "string", "enum": [value]}})
    spec.components.header("Content-Security-Policy", {
        "required": True, "schema": {"type": "string", "pattern": "default-src 'self'"},
        "description": "scripts and styles from the gateway only"})


def _gateway_paths(spec: APISpec) -> None:
    """What the gateway answers before any route: health and this document, GET only."""
    error = {"$ref": "#/components/schemas/Error"}
    health = {"type": "object", "required": ["status", "services", "dependencies"],
              "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]},
                             "services": {"type": "object", "additionalProperties": {
                                 "type": "object", "required": ["ok"],
                                 "properties": {"ok": {"type": "boolean"}}}},
                             "dependencies": {"type": "object"}}}
    spec.path(path=PREFIX + "/health", operations={"get": {
        "summary": "Each service and dependency up or down", "operationId": "gateway.health",
        "tags": ["gateway"], "security": [],
        "responses": {"200": {"description": "all up", "content": _json(health), "headers": _hardened()},
                      "503": {"description": "something down (or the gateway's database)",
                              "content": _json({"oneOf": [health, error]}), "headers": _hardened()}}}})
    spec.path(path=PREFIX + "/openapi.json", operations={"get": {
        "summary": "This document", "operationId": "gateway.openapi", "tags": ["gateway"],
        "security": [],
        "responses": {"200": {"description": "the OpenAPI document", "headers": _hardened(),
                              "content": _json({"type": "object", "required": ["openapi", "paths"]})}}}})


def build_openapi() -> dict:
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(title="Dudao API", version="1.0.0", openapi_version="3.0.3", plugins=[plugin],
                   info={"description": "County campaign supervision (督导) — event-sourced services. "
                                        "Every refusal is JSON {error, message, details}; a method a "
                                        "path does not take is a 405 naming the ones it does in Allow."})
    plugin.converter.add_attribute_function(unique_items)
    _add_components(spec)
    paths: dict[str, dict] = {}
    for route in all_routes():
        paths.setdefault(openapi_path(route), {})[route.method.lower()] = _operation(route, plugin)
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    _gateway_paths(spec)
    return spec.to_dict()
