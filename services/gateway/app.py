"""The gateway's request handling, free of nameko so it can be tested alone:
authenticate, authorise by role and scope, validate the transport (JSON, within the
input limits of services.gateway.inputs), then forward to the service RPC named by the
route and map its answer to HTTP. Every answer is JSON (a file download aside) and
carries the security headers; an unexpected failure is a JSON 500, the gateway's own
database down a JSON 503."""
from __future__ import annotations

import base64
import dataclasses
import functools
import json
import logging
import uuid
from typing import Callable
from urllib.parse import quote

from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.http import dump_options_header
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from services.gateway.inputs import InputError, check_query, parse_json
from services.gateway.ratelimit import AuthFailureLimiter
from services.gateway.routes import FieldClash, Route, all_routes, rpc_fields
from services.gateway.tokens import SCOPED_ROLES, Person, TokenError, TokenStore, validate_grant
from shared import attachments
from shared.config import settings
from shared.domain import SYSTEM
from shared.edge import IDEMPOTENCY_KEY
from shared.roster_limits import ROSTER_FILE_LIMIT

PREFIX = "/api/v1"
log = logging.getLogger(__name__)

# (service, rpc, kwargs) -> {"ok": True, "result": ...} | refusal dict
Call = Callable[[str, str, dict], dict]


class ServiceUnavailable(Exception):
    def __init__(self, service: str, why: str):
        super().__init__(f"the {service} service is not answering ({why}); try again shortly")
        self.service = service


# the owner of each scoped role's scope, asked whether it exists (as the system)
SCOPE_OWNERS = {"unit": ("units", "get_unit", "unit_id"),
                "supervisor": ("supervision", "get_group", "group_id"),
                "respondent": ("evaluation", "get_survey", "survey_id")}

# every answer, API and dashboard alike (the dashboard's templates load their scripts and
# styles from the gateway; Plotly sets inline style attributes, and its icons are data: URIs)
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                           "form-action 'self'")
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "no-referrer"),
                    ("Content-Security-Policy", CONTENT_SECURITY_POLICY))


def harden_headers(path: str, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The answer's headers with the security headers added where missing; an API answer
    (under /api/) is never cached, a dashboard page only when it says so (its static files)."""
    present = {name.lower() for name, _ in headers}
    added = [(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present]
    if path.startswith("/api/"):
        headers = [(n, v) for n, v in headers if n.lower() != "cache-control"]
        added.append(("Cache-Control", "no-store"))
    elif "cache-control" not in present:
        added.append(("Cache-Control", "no-store"))
    return headers + added


def harden(response: Response, path: str) -> Response:
    hardened = harden_headers(path, list(response.headers.items()))
    response.headers.clear()
    for name, value in hardened:
        response.headers.add(name, value)
    return response


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    # a lone surrogate (only ever in an echoed name) goes out as its JSON escape
    text = json.dumps(body, ensure_ascii=False, default=str)
    return Response(text.encode("utf-8", "backslashreplace"), status=status,
                    mimetype="application/json", headers=headers)


def error(status: int, code: str, message: str, /, headers: dict | None = None, **details) -> Response:
    return json_response({"error": code, "message": message, "details": details}, status, headers)


def method_not_allowed(request: Request, allowed) -> Response:
    allowed = sorted(allowed)
    return error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}",
                 headers={"Allow": ", ".join(allowed)}, allowed=allowed)


def internal_error() -> Response:
    return error(500, "internal", "the gateway could not handle this request; the failure is logged")


def database_unavailable() -> Response:
    # never the driver's message: it names the database's hosts and replica set
    return error(503, "unavailable", "the gateway's database is not answering; try again shortly",
                 service="gateway")


@functools.lru_cache(maxsize=8)
def route_map(routes: tuple) -> Map:
    """Built once per process: the gateway makes a Gateway per request."""
    return Map([Rule(PREFIX + r.path, methods=[r.method], endpoint=r) for r in routes],
               strict_slashes=False)


class Gateway:
    def __init__(self, tokens: TokenStore, call: Call, health: Callable[[], tuple[dict, int]],
                 openapi: Callable[[], dict] | None = None, routes: list[Route] | None = None,
                 *, limiter: AuthFailureLimiter | None = None, max_body_bytes: int | None = None,
                 attachment_max_bytes: int | None = None):
        self.tokens = tokens
        self.call = call
        self.health = health
        self.openapi = openapi
        self.routes = tuple(routes) if routes is not None else tuple(all_routes())
        self.map = route_map(self.routes)
        cfg = settings()
        self.limiter = (limiter if limiter is not None
                        else AuthFailureLimiter(cfg.auth_failure_limit, cfg.auth_failure_window))
        self.max_body_bytes = max_body_bytes if max_body_bytes is not None else cfg.max_body_bytes
        self.attachment_max_bytes = (attachment_max_bytes if attachment_max_bytes is not None
                                     else cfg.attachment_max_bytes)

    def handle(self, request: Request) -> Response:
        try:
            response = self._handle(request)
        except ServiceUnavailable as err:
            response = error(503, "unavailable", str(err), service=err.service)
        except InputError as err:
            response = error(err.status, err.code, err.message, **err.details)
        except ConnectionFailure as err:  # ServerSelectionTimeoutError, AutoReconnect, …
            log.warning("the gateway's database is not answering: %s", err)
            response = database_unavailable()
        except Exception:
            log.exception("the gateway failed on %s %s", request.method, request.path)
            response = internal_error()
        return harden(response, request.path)

    def _body_limit(self, request: Request) -> int:
        """The largest body the request's path takes: an upload's file limit (and room for
        its multipart framing and fields), else DUDAO_MAX_BODY_BYTES."""
        if request.path.rstrip("/") == PREFIX + "/attachments" and request.method == "POST":
            return self.attachment_max_bytes + MULTIPART_SLACK
        if is_roster_upload(request):
            return ROSTER_MAX_BYTES + MULTIPART_SLACK
        return self.max_body_bytes

    def _handle(self, request: Request) -> Response:
        limit = self._body_limit(request)
        if request.content_length is not None and request.content_length > limit:
            if is_roster_upload(request):
                raise roster_too_large()
            if limit != self.max_body_bytes:  # an upload: the refusal names the file limit
                raise file_too_large(self.attachment_max_bytes)
            raise body_too_large(self.max_body_bytes)
        if request.path in (PREFIX + "/health", PREFIX + "/openapi.json") and request.method != "GET":
            return method_not_allowed(request, ["GET"])
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
            return method_not_allowed(request, err.valid_methods or [])
        person = self._authenticate(request)
        if not isinstance(person, Person):
            return person
        if person.role not in route.roles:
            return error(403, "forbidden", f"a {person.role} may not {route.method} {route.path}",
                         allowed_roles=list(route.roles))
        check_query(request.args)
        if route.body_media_type == "multipart/form-data" and route.rpc in ROSTER_RPCS:
            if person.role == "unit" and params.get("unit") != person.scope:
                return error(403, "forbidden", "a unit may act only on itself",
                             unit=params.get("unit"), your_unit=person.scope)
            data = read_roster_upload(request)
            fields = {"content_base64": base64.b64encode(data).decode("ascii")}
            if "unit" in params:
                fields["unit_id"] = params["unit"]
            return self._command(route, fields, person, request)
        if route.body_media_type == "multipart/form-data":
            return self._upload(route, request, person)
        body = None
        if route.method in ("POST", "PUT", "PATCH"):
            body, problem = parse_json_object(request, self.max_body_bytes)
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
        if route.method == "GET":
            return to_response(self.call(route.service, route.rpc, {**fields, "actor": person.actor()}),
                               route.status)
        return self._command(route, fields, person, request)

    def _command(self, route: Route, fields: dict, person: Person, request: Request) -> Response:
        """A command carries an idempotency key to its service, the client's or a new one,
        and every answer names it: a retry with it answers the first outcome."""
        key = idempotency_key(request)
        kwargs = {**fields, "actor": person.actor(), "idempotency_key": key}
        try:
            if (route.service, route.rpc) == ("evaluation", "cast_ballot"):
                response = self._cast_ballot(route, kwargs, person, bearer_token(request))
            else:
                response = to_response(self.call(route.service, route.rpc, kwargs), route.status)
        except ServiceUnavailable as err:
            response = error(503, "unavailable", str(err), service=err.service)
        if response.status_code == 503:
            response = safe_to_retry(response)
        response.headers["Idempotency-Key"] = key
        return response

    def _authenticate(self, request: Request) -> Person | Response:
        """The person behind the bearer token, or the 401 (429 once the client's address
        has failed too often: services.gateway.ratelimit) to answer instead."""
        header = request.headers.get("Authorization")
        token = bearer_token(request)
        person = self.tokens.authenticate(token) if token else None
        if person is not None:
            return person
        unauthenticated = error(401, "unauthenticated",
                                "send a valid token as 'Authorization: Bearer <token>'")
        if header is None:  # no credential offered: nothing guessed
            return unauthenticated
        address = request.remote_addr or "unknown"
        held_back = self.limiter.retry_after(address)
        self.limiter.failed(address)
        if held_back is None:
            return unauthenticated
        wait = self.limiter.retry_after(address) or held_back
        return error(429, "too_many_requests",
                     f"too many failed tokens from your address; try again in {wait}s",
                     headers={"Retry-After": str(wait)}, retry_after=wait)

    # one ballot per respondent token: claimed here, in the gateway's token database, so
    # that nothing the evaluation service stores links a ballot to the person
    def _cast_ballot(self, route: Route, kwargs: dict, person: Person, token: str) -> Response:
        ballot_token = kwargs.get("token")
        if not isinstance(ballot_token, str):  # never forwarded unclaimed
            return error(422, "invalid", "the request does not match the schema",
                         fields={"token": ["A ballot token (a string) is required."]})
        claim = self.tokens.claim_ballot(token, ballot_token)
        if claim is None:
            return error(409, "conflict", "this respondent token has already cast its ballot; "
                         "each respondent votes once", person_id=person.id)
        try:
            answer = self.call(route.service, route.rpc, kwargs)
        except ServiceUnavailable as err:
            self.tokens.settle_ballot(token, ballot_token, claim, "unknown")
            return error(503, "unavailable", f"{err}. Your ballot may or may not have been "
                         "recorded: send the same ballot token again to find out",
                         service=err.service)
        except BaseException:
            self.tokens.settle_ballot(token, ballot_token, claim, "unknown")
            raise
        if answer.get("ok"):
            outcome = "cast"
        elif claim == "retry" and answer.get("error") == "conflict":
            outcome = "cast"  # the ballot token was spent: by the attempt that got no answer
        else:
            outcome = "refused"
        self.tokens.settle_ballot(token, ballot_token, claim, outcome)
        return to_response(answer, route.status)

    # routes the gateway answers itself: its own token database
    def _gateway_route(self, route: Route, body: dict, params: dict, person: Person) -> Response:
        if route.rpc == "issue_token":
            unknown = set(body) - {"name", "role", "scope"}
            if unknown:
                return error(422, "invalid", "unknown fields", fields={k: ["Unknown field."] for k in unknown})
            name, role, scope = body.get("name"), body.get("role"), body.get("scope")
            try:
                validate_grant(name, role, scope, strict_scope=True)
            except TokenError as err:
                return token_refusal(err)
            if role in SCOPED_ROLES:
                missing = self._missing_scope(role, scope)
                if missing:
                    return missing
            try:
                issued = self.tokens.issue(name, role, scope, issued_by=person.id, strict_scope=True)
            except TokenError as err:
                return token_refusal(err)
            return json_response(issued, 201)
        if route.rpc == "revoke_token":
            if not self.tokens.revoke(params["person"]):
                return error(404, "not_found", f"no active token for {params['person']}")
            return json_response({"revoked": params["person"]})
        if route.rpc == "whoami":
            return json_response(person.actor())
        if route.rpc == "download_attachment":
            return self._download(params["id"], person)
        return error(404, "not_found", f"no route {route.method} {route.path}")

    # evidence files: the gateway reads the multipart body, the owning service keeps the file
    def _upload(self, route: Route, request: Request, person: Person) -> Response:
        form, upload = read_upload(request, self.attachment_max_bytes)
        unit_id, purpose = form.get("unit_id"), form.get("purpose")
        if person.role == "unit" and unit_id is not None and unit_id != person.scope:
            return error(403, "forbidden", "a unit may attach files only to its own records",
                         unit=unit_id, your_unit=person.scope)
        owner = attachments.PURPOSES.get(purpose or "")
        if owner is None:
            return error(422, "invalid", "the request does not match the schema", fields={"purpose": [
                f"One of: {', '.join(attachments.PURPOSES)}."]})
        data = upload.stream.read(self.attachment_max_bytes + 1)
        if len(data) > self.attachment_max_bytes:
            raise file_too_large(self.attachment_max_bytes)
        filename = form.get("filename") or plain_name(upload.filename or "")
        fields = {"unit_id": unit_id, "purpose": purpose, "filename": filename,
                  "content_type": upload.mimetype or None,
                  "content_base64": base64.b64encode(data).decode("ascii")}
        return self._command(dataclasses.replace(route, service=owner, rpc="store_attachment"),
                             fields, person, request)

    def _download(self, attachment_id: str, person: Person) -> Response:
        owner = attachments.owner_of_id(attachment_id)
        if owner is None:
            return error(404, "not_found", f"no attachment {attachment_id}", attachment_id=attachment_id)
        answer = self.call(owner, "read_attachment", {"attachment_id": attachment_id,
                                                      "actor": person.actor()})
        return to_response(answer, 200)

    def _missing_scope(self, role: str, scope: str) -> Response | None:
        """A 422 when the scope names no unit, group or survey its owner knows."""
        service, rpc, field = SCOPE_OWNERS[role]
        answer = self.call(service, rpc, {field: scope, "actor": SYSTEM.to_dict()})
        if answer.get("ok"):
            return None
        if answer.get("status") == 404:
            return error(422, "invalid", f"no {SCOPED_ROLES[role]} {scope}: a {role} token's scope "
                         f"must exist", fields={"scope": [f"No such {SCOPED_ROLES[role]}."]})
        return to_response(answer, 200)


IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRY_IS_SAFE = (" A retry with the same Idempotency-Key header (this answer carries it) is safe: "
                 "it answers the first outcome and never acts twice.")


def idempotency_key(request: Request) -> str:
    """The client's ``Idempotency-Key``, or a new one when it sent none."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return str(uuid.uuid4())
    if not IDEMPOTENCY_KEY.match(key):
        raise InputError(400, "bad_request", "the Idempotency-Key header must be 1 to 200 printable "
                         "ASCII characters without spaces", header=IDEMPOTENCY_HEADER)
    return key


def safe_to_retry(response: Response) -> Response:
    """A 503 to a command says the retry it invites is safe (the key makes it so)."""
    body = json.loads(response.get_data())
    body["message"] = body.get("message", "") + RETRY_IS_SAFE
    kept = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
    return json_response(body, 503, headers=kept)


def token_refusal(err: TokenError) -> Response:
    return error(422, "invalid", str(err), fields={err.field: [str(err)]} if err.field else {})


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def body_too_large(limit: int) -> InputError:
    return InputError(413, "too_large", f"the body is larger than {limit} bytes", max_bytes=limit)


# what an upload's body may carry beside the file: the multipart boundaries and part
# headers, and its few small fields
MULTIPART_SLACK = 64 * 1024
UPLOAD_FIELDS = ("unit_id", "purpose", "filename")


def file_too_large(limit: int) -> InputError:
    return InputError(413, "too_large", f"the file is larger than the {limit} bytes an attachment may "
                      "be (DUDAO_ATTACHMENT_MAX_BYTES)", limit_bytes=limit)


# the roster import and the office's unit list (routes/roster.py): their own file limit, an .xlsx
ROSTER_RPCS = ("preview_roster", "import_roster", "preview_unit_list", "import_unit_list")
ROSTER_MAX_BYTES = ROSTER_FILE_LIMIT


def is_roster_upload(request: Request) -> bool:
    path = request.path.rstrip("/")
    return request.method == "POST" and ((path.startswith(PREFIX + "/units/") and (
        path.endswith("/roster") or path.endswith("/roster/preview"))) or
        path in (PREFIX + "/unit-list", PREFIX + "/unit-list/preview"))


def roster_too_large() -> InputError:
    return InputError(413, "too_large", f"the roster file is larger than {ROSTER_MAX_BYTES} bytes; "
                      "split it into smaller files", limit_bytes=ROSTER_MAX_BYTES)


def read_roster_upload(request: Request) -> bytes:
    """The roster's one file part (a part named 'file', nothing else), within its limit."""
    if request.mimetype != "multipart/form-data":
        raise InputError(400, "bad_request", "send the roster as multipart/form-data, the .xlsx file in a "
                         "part named 'file'")
    request.max_content_length = ROSTER_MAX_BYTES + MULTIPART_SLACK
    request.max_form_memory_size = 1 << 20
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise roster_too_large() from None
    problems = {name: ["Unknown field."] for name in set(form) | set(files) if name != "file"}
    if len(files.getlist("file")) > 1:
        problems["file"] = ["Give it once."]
    elif "file" not in files:
        problems["file"] = ["A file part named 'file' is required."]
    if problems:
        raise InputError(422, "invalid", "the request does not match the schema", fields=problems)
    data = files["file"].stream.read(ROSTER_MAX_BYTES + 1)
    if len(data) > ROSTER_MAX_BYTES:
        raise roster_too_large()
    return data


def plain_name(filename: str) -> str:
    """The file part's name without any path a browser sent with it (C:\\…\\plan.pdf)."""
    return filename.replace("\\", "/").rpartition("/")[2].strip()


def read_upload(request: Request, file_limit: int):
    """The upload's form fields and its one file part, read within ``file_limit`` (plus
    the multipart framing): werkzeug stops reading a body past ``max_content_length``, a
    chunked one included, and spools a large file to a temporary file, not memory."""
    if request.mimetype != "multipart/form-data":
        raise InputError(400, "bad_request", "send the file as multipart/form-data, with the file in "
                         "a part named 'file' and the fields unit_id and purpose")
    request.max_content_length = file_limit + MULTIPART_SLACK
    # werkzeug holds this to the parser's buffer too (a read is up to 64 KiB beside what is
    # buffered), not only to the text fields: 1 MiB, well above a read, is still small
    request.max_form_memory_size = 1 << 20
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise file_too_large(file_limit) from None
    problems = {name: ["Unknown field."] for name in set(form) | set(files)
                if name not in UPLOAD_FIELDS + ("file",)}
    problems.update({name: ["Give it once."] for name in UPLOAD_FIELDS + ("file",)
                     if len(form.getlist(name)) + len(files.getlist(name)) > 1})
    if "file" not in files:
        problems["file"] = ["A file part named 'file' is required."]
    for name in ("unit_id", "purpose"):
        if not form.get(name):
            problems[name] = ["Missing data for required field."]
    # the input limits (length, control characters, surrogates), as for a query string
    check_query(list(form.items(multi=True)) + [("filename", plain_name(f.filename or ""))
                                                for f in files.getlist("file")])
    if problems:
        raise InputError(422, "invalid", "the request does not match the schema", fields=problems)
    return form, files["file"]


def parse_json_object(request: Request, max_bytes: int | None = None):
    limit = max_bytes if max_bytes is not None else settings().max_body_bytes
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise body_too_large(limit) from None
    if len(raw) > limit:
        raise body_too_large(limit)
    if not raw.strip():
        return None, error(400, "bad_request", "the request needs a JSON object body")
    body = parse_json(raw)
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
    disposition = content_disposition(filename)
    return Response(base64.b64decode(spec["content_base64"]), status=status,
                    mimetype=spec.get("media_type") or "application/octet-stream",
                    headers={"Content-Disposition": disposition})


def content_disposition(filename: str) -> str:
    """``attachment`` with the name as plain ASCII (what every client reads) and, when it is
    not ASCII (a Chinese name), as RFC 6266's ``filename*`` in UTF-8 too."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = dump_options_header("attachment", {"filename": ascii_name})
    if ascii_name != filename:
        disposition += "; filename*=UTF-8''" + quote(filename, safe="")
    return disposition
