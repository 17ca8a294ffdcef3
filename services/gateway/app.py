"""The gateway's request handling, free of nameko so it can be tested alone:
authenticate, authorise by role and scope, validate the transport (JSON), then
forward to the service RPC named by the route and map its answer to HTTP."""
from __future__ import annotations

import base64
import functools
import json
import logging
from typing import Callable

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.http import dump_options_header
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from services.gateway.routes import FieldClash, Route, all_routes, rpc_fields
from services.gateway.tokens import Person, TokenError, TokenStore

PREFIX = "/api/v1"
log = logging.getLogger(__name__)

# (service, rpc, kwargs) -> {"ok": True, "result": ...} | refusal dict
Call = Callable[[str, str, dict], dict]


class ServiceUnavailable(Exception):
    def __init__(self, service: str, why: str):
        super().__init__(f"the {service} service is not answering ({why}); try again shortly")
        self.service = service


def json_response(body, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json")


def error(status: int, code: str, message: str, /, **details) -> Response:
    return json_response({"error": code, "message": message, "details": details}, status)


@functools.lru_cache(maxsize=8)
def route_map(routes: tuple) -> Map:
    """Built once per process: the gateway makes a Gateway per request."""
    return Map([Rule(PREFIX + r.path, methods=[r.method], endpoint=r) for r in routes],
               strict_slashes=False)


class Gateway:
    def __init__(self, tokens: TokenStore, call: Call, health: Callable[[], tuple[dict, int]],
                 openapi: Callable[[], dict] | None = None, routes: list[Route] | None = None):
        self.tokens = tokens
        self.call = call
        self.health = health
        self.openapi = openapi
        self.routes = tuple(routes) if routes is not None else tuple(all_routes())
        self.map = route_map(self.routes)

    def handle(self, request: Request) -> Response:
        try:
            return self._handle(request)
        except ServiceUnavailable as err:
            return error(503, "unavailable", str(err), service=err.service)

    def _handle(self, request: Request) -> Response:
        if request.path == PREFIX + "/health":
            body, status = self.health()
            return json_response(body, status)
        if request.path == PREFIX + "/openapi.json" and self.openapi:
            return json_response(self.openapi())
        try:
            route, params = self.map.bind_to_environ(request.environ).match()
        except NotFound:
            return error(404, "not_found", f"no route {request.method} {request.path}")
        except MethodNotAllowed as err:
            return error(405, "method_not_allowed",
                         f"{request.method} is not allowed on {request.path}",
                         allowed=sorted(err.valid_methods or []))
        person = self._authenticate(request)
        if person is None:
            return error(401, "unauthenticated",
                         "send a valid token as 'Authorization: Bearer <token>'")
        if person.role not in route.roles:
            return error(403, "forbidden", f"a {person.role} may not {route.method} {route.path}",
                         allowed_roles=list(route.roles))
        body = None
        if route.method in ("POST", "PUT", "PATCH"):
            body, problem = parse_json_object(request)
            if problem:
                return problem
        if route.unit_scoped and person.role == "unit":
            target = params.get("unit") or (body or {}).get("unit_id")
            if target is not None and target != person.scope:
                return error(403, "forbidden", "a unit may act only on itself",
                             unit=target, your_unit=person.scope)
        if route.service == "gateway" and route.rpc.startswith("audit_"):
            from shared.audit import remote  # the auditor's routes, answered over service RPCs
            answer, status = remote.answer(route.rpc, self.call, params, request.args.to_dict())
            return json_response(answer, status)
        if route.service == "gateway":
            return self._gateway_route(route, body or {}, params, person)
        try:
            fields = rpc_fields(route, params, request.args.to_dict(), body)
        except FieldClash as clash:
            return error(422, "invalid", "the request does not match the schema",
                         fields={str(clash): ["Given by the path, not the body."]})
        answer = self.call(route.service, route.rpc, {**fields, "actor": person.actor()})
        return to_response(answer, route.status)

    def _authenticate(self, request: Request) -> Person | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.tokens.authenticate(token.strip())

    # routes the gateway answers itself: its own token database
    def _gateway_route(self, route: Route, body: dict, params: dict, person: Person) -> Response:
        if route.rpc == "issue_token":
            unknown = set(body) - {"name", "role", "scope"}
            if unknown:
                return error(422, "invalid", "unknown fields", fields={k: ["Unknown field."] for k in unknown})
            try:
                issued = self.tokens.issue(body.get("name", ""), body.get("role", ""),
                                           body.get("scope"), issued_by=person.id)
            except TokenError as err:
                return error(422, "invalid", str(err))
            return json_response(issued, 201)
        if route.rpc == "revoke_token":
            if not self.tokens.revoke(params["person"]):
                return error(404, "not_found", f"no active token for {params['person']}")
            return json_response({"revoked": params["person"]})
        if route.rpc == "whoami":
            return json_response(person.actor())
        return error(404, "not_found", f"no route {route.method} {route.path}")


def parse_json_object(request: Request):
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None, error(400, "bad_request", "the request needs a JSON object body")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        return None, error(400, "bad_request", f"the body is not valid JSON: {err}")
    if not isinstance(body, dict):
        return None, error(400, "bad_request", "the body must be a JSON object")
    return body, None


def to_response(answer: dict, success_status: int) -> Response:
    if answer.get("ok"):
        result = answer.get("result")
        if isinstance(result, dict) and set(result) == {"__file__"}:
            return file_response(result["__file__"], success_status)
        return json_response(result, success_status)
    return json_response({"error": answer.get("error", "rejected"),
                          "message": answer.get("message", "refused"),
                          "details": answer.get("details") or {}},
                         answer.get("status", 422))


def file_response(spec: dict, status: int) -> Response:
    """A service answered with a file: {"filename", "media_type", "content_base64"}."""
    filename = str(spec.get("filename") or "download")
    disposition = dump_options_header("attachment", {"filename": filename})
    return Response(base64.b64decode(spec["content_base64"]), status=status,
                    mimetype=spec.get("media_type") or "application/octet-stream",
                    headers={"Content-Disposition": disposition})
