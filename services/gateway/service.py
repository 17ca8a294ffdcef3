"""The HTTP gateway: a thin nameko service that turns requests into service RPCs."""
from __future__ import annotations

import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from pymongo import MongoClient
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from services.gateway.app import Gateway, ServiceUnavailable, error, harden_headers, internal_error
from services.gateway.dashboard import Dashboard
from services.gateway.http_limits import REQUEST_LINE_MAX, LimitedProtocol
from services.gateway.openapi import build_openapi
from services.gateway.ratelimit import AuthFailureLimiter
from services.gateway.tokens import TokenStore
from shared import launcher
from shared.config import DOMAIN_SERVICES, settings
from shared.service_kit.container import BROKER_ERRORS
from shared.service_kit.peers import ClusterRpc

log = logging.getLogger(__name__)
BROKER_DOWN = "the message broker is not answering"
# a service that raised one of these could not reach its own database: a 503, not a 500
DATABASE_DOWN = {"ConnectionFailure", "AutoReconnect", "ServerSelectionTimeoutError",
                 "NetworkTimeout", "NotPrimaryError", "WaitQueueTimeoutError"}


class HardenedWsgiApp(WsgiApp):
    """nameko's WSGI app with the gateway's guarantees on *every* answer, those nameko
    makes itself included: the security headers (services.gateway.app.harden_headers),
    and JSON instead of werkzeug's HTML pages for a path or method no entrypoint takes."""

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")

        def hardened_start_response(status, headers, exc_info=None):
            return start_response(status, harden_headers(path, list(headers)), exc_info)

        request = Request(environ, shallow=True)  # as nameko's: see WsgiApp.__call__
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:  # a redirect (e.g. /dashboard -> /dashboard/) stays one
            answer = exc if (exc.code or 500) < 400 else json_http_exception(exc)
        else:
            request.path_values = values
            answer = provider.handle_request(request)
        return answer(environ, hardened_start_response)


def json_http_exception(exc: HTTPException) -> Response:
    code = exc.code or 500
    if code == 405:
        allowed = sorted(getattr(exc, "valid_methods", None) or [])
        return error(405, "method_not_allowed", "this method is not allowed here",
                     headers={"Allow": ", ".join(allowed)}, allowed=allowed)
    if code == 404:
        return error(404, "not_found", "no such page or route (the API is under /api/v1)")
    return error(code, "bad_request" if code < 500 else "internal", exc.description or exc.name)


class HardenedWebServer(WebServer):
    def get_wsgi_app(self):
        return HardenedWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=LimitedProtocol, debug=False):
        """nameko's server with the request line and header limits of
        services.gateway.http_limits, refused as JSON."""
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        server.url_length_limit = REQUEST_LINE_MAX
        return server


class HardenedHttpHandler(HttpRequestHandler):
    """nameko's http entrypoint on the hardened server; whatever escapes a handler is a
    JSON 500, never nameko's plain-text 'Error: …' with the exception's text."""

    server = HardenedWebServer()

    def response_from_exception(self, exc):
        log.error("the gateway's handler raised %s", type(exc).__name__, exc_info=exc)
        return internal_error()


http = HardenedHttpHandler.decorator


# failed authentication per client address, for the API and the dashboard's login alike
LIMITER = AuthFailureLimiter(settings().auth_failure_limit, settings().auth_failure_window)


class GatewayDatabase(DependencyProvider):
    """The gateway's own small database: token hashes only."""

    def setup(self):
        cfg = settings()
        self.client = MongoClient(cfg.mongo_uri, **cfg.mongo_options())
        self.tokens = TokenStore(self.client[cfg.database_name("gateway")])

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.tokens


# RPCs that may take longer than DUDAO_RPC_TIMEOUT: a roster of thousands of members, a
# county's unit list (hundreds of new streams in one transaction)
LONG_RPCS = {("units", "import_roster"): 120.0, ("units", "preview_roster"): 120.0,
             ("units", "import_unit_list"): 120.0, ("units", "preview_unit_list"): 120.0}


def rpc_call(cluster, service: str, method: str, kwargs: dict, timeout: float):
    timeout = max(timeout, LONG_RPCS.get((service, method), 0.0))
    try:
        with eventlet.Timeout(timeout):
            return getattr(cluster[service], method)(**kwargs)
    except eventlet.Timeout:
        raise ServiceUnavailable(service, f"no answer within {timeout:.0f}s") from None
    except UnknownService:
        raise ServiceUnavailable(service, "not running") from None
    except BROKER_ERRORS:  # the request could not be sent, or its answer could not come back
        raise ServiceUnavailable(service, BROKER_DOWN) from None
    except RemoteError as err:
        if err.exc_type in DATABASE_DOWN:
            raise ServiceUnavailable(service, "its database is not answering") from None
        raise


# how long /health waits for each service and for the database (they are asked at once)
HEALTH_SECONDS = 1.0


def _broker_health() -> dict:
    """Whether the broker's port takes a connection (an AMQP handshake on every probe would
    fill the broker's log); the services' own answers say the rest."""
    parts = launcher.amqp_parts(settings().amqp_uri)
    if launcher.port_open(parts.hostname or "127.0.0.1", parts.port or 5672, HEALTH_SECONDS):
        return {"ok": True}
    return {"ok": False, "error": "not answering"}  # names no host, as the database's


class GatewayService:
    name = "gateway"
    tokens = GatewayDatabase()
    cluster = ClusterRpc()

    def _gateway(self) -> Gateway:
        timeout = settings().rpc_timeout
        return Gateway(self.tokens,
                       lambda svc, method, kw: rpc_call(self.cluster, svc, method, kw, timeout),
                       self._health, build_openapi, limiter=LIMITER,
                       max_body_bytes=settings().max_body_bytes)

    def _service_health(self, name: str) -> dict:
        try:
            return rpc_call(self.cluster, name, "health", {}, HEALTH_SECONDS)
        except ServiceUnavailable as err:
            return {"service": name, "ok": False, "error": str(err)}
        except Exception as err:  # e.g. its database is down: the kind, never the text
            kind = getattr(err, "exc_type", None) or type(err).__name__
            return {"service": name, "ok": False, "error": f"it failed ({kind})"}

    def _database_health(self) -> dict:
        try:
            with eventlet.Timeout(HEALTH_SECONDS):
                self.tokens.tokens.database.command("ping")
            return {"ok": True}
        except (Exception, eventlet.Timeout) as err:  # the driver names hosts: not for a public page
            log.warning("the gateway's database is not answering: %s", err)
            return {"ok": False, "error": f"not answering ({type(err).__name__})"}

    def _health(self):
        """Every service and the database asked at once, each given HEALTH_SECONDS: the
        answer comes within about a second even when something is down."""
        pool = eventlet.GreenPool(len(DOMAIN_SERVICES) + 2)
        asked = {name: pool.spawn(self._service_health, name) for name in DOMAIN_SERVICES}
        database = pool.spawn(self._database_health)
        broker_check = pool.spawn(_broker_health)
        services = {name: thread.wait() for name, thread in asked.items()}
        mongo = database.wait()
        broker = broker_check.wait()
        if any(BROKER_DOWN in s.get("error", "") for s in services.values()):
            broker = {"ok": False, "error": "not answering"}
        ok = mongo["ok"] and broker["ok"] and all(s.get("ok") for s in services.values())
        body = {"status": "ok" if ok else "degraded", "services": services,
                "dependencies": {"mongodb": mongo, "rabbitmq": broker}}
        return body, 200 if ok else 503

    @http("GET,POST,PUT,PATCH,DELETE,OPTIONS", "/api/v1/<path:path>")
    def api(self, request, path):
        return self._gateway().handle(request)

    # the web dashboard (issue 9): server-rendered pages over the same service RPCs
    def _dashboard(self) -> Dashboard:
        timeout = settings().rpc_timeout
        return Dashboard(self.tokens,
                         lambda svc, method, kw: rpc_call(self.cluster, svc, method, kw, timeout),
                         limiter=LIMITER, max_body_bytes=settings().max_body_bytes)

    @http("GET", "/")
    def dashboard_root(self, request):
        from werkzeug.utils import redirect
        return redirect("/dashboard/")

    @http("GET,POST,PUT,PATCH,DELETE,OPTIONS", "/dashboard/")
    def dashboard_index(self, request):
        return self._dashboard().handle(request)

    @http("GET,POST,PUT,PATCH,DELETE,OPTIONS", "/dashboard/<path:path>")
    def dashboard(self, request, path):
        return self._dashboard().handle(request)
