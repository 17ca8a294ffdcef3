"""The whole API as OpenAPI 3, generated from the route table and the marshmallow
request schemas, so it cannot drift from what the gateway serves."""
from __future__ import annotations

import importlib
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.gateway.routes import all_routes

ERROR = {"type": "object", "required": ["error", "message"],
         "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                        "details": {"type": "object"}}}


def _schema_class(ref: str):
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _body_schema(route):
    """The request schema without the fields the path gives (the RPC takes them named,
    the HTTP client puts them in the URL)."""
    cls = _schema_class(route.schema)
    from_path = set(route.path_fields().values()) & set(cls._declared_fields)
    return cls(exclude=sorted(from_path)) if from_path else cls


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[:-len("Schema")] if name.endswith("Schema") else name


def build_openapi() -> dict:
    spec = APISpec(title="Dudao API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
                   info={"description": "County campaign supervision (督导) — event-sourced services"})
    spec.components.schema("Error", ERROR)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict] = {}
    for route in all_routes():
        path = "/api/v1" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route.path)
        op = {"summary": route.summary or f"{route.service}.{route.rpc}",
              "security": [{"bearer": []}],
              "x-roles": list(route.roles),
              "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                             for n in re.findall(r"{([^}]+)}", path)],
              "responses": {str(route.status): {"description": "success"},
                            **{str(code): {"description": text, "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Error"}}}}
                               for code, text in [(400, "body is not a JSON object"),
                                                  (401, "no valid token"), (403, "not allowed"),
                                                  (404, "not found"), (409, "conflict"),
                                                  (422, "refused by a rule or schema"),
                                                  (503, "a service is not answering; try again shortly")]}}}
        if route.schema:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": _body_schema(route)}}}
        paths.setdefault(path, {})[route.method.lower()] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    spec.path(path="/api/v1/health", operations={"get": {
        "summary": "Each service and dependency up or down", "security": [],
        "responses": {"200": {"description": "all up"}, "503": {"description": "something down"}}}})
    return spec.to_dict()
