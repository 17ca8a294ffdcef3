"""The HTTP gateway: a thin nameko service that turns requests into service RPCs."""
from __future__ import annotations

import eventlet
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from pymongo import MongoClient

from services.gateway.app import Gateway, ServiceUnavailable
from services.gateway.dashboard import Dashboard
from services.gateway.openapi import build_openapi
from services.gateway.tokens import TokenStore
from shared.config import DOMAIN_SERVICES, settings
from shared.service_kit.peers import ClusterRpc


class GatewayDatabase(DependencyProvider):
    """The gateway's own small database: token hashes only."""

    def setup(self):
        cfg = settings()
        self.client = MongoClient(cfg.mongo_uri)
        self.tokens = TokenStore(self.client[cfg.database_name("gateway")])

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.tokens


def rpc_call(cluster, service: str, method: str, kwargs: dict, timeout: float):
    try:
        with eventlet.Timeout(timeout):
            return getattr(cluster[service], method)(**kwargs)
    except eventlet.Timeout:
        raise ServiceUnavailable(service, f"no answer within {timeout:.0f}s") from None
    except UnknownService:
        raise ServiceUnavailable(service, "not running") from None


class GatewayService:
    name = "gateway"
    tokens = GatewayDatabase()
    cluster = ClusterRpc()

    def _gateway(self) -> Gateway:
        timeout = settings().rpc_timeout
        return Gateway(self.tokens,
                       lambda svc, method, kw: rpc_call(self.cluster, svc, method, kw, timeout),
                       self._health, build_openapi)

    def _health(self):
        services = {}
        for name in DOMAIN_SERVICES:
            try:
                services[name] = rpc_call(self.cluster, name, "health", {}, 3)
            except ServiceUnavailable as err:
                services[name] = {"service": name, "ok": False, "error": str(err)}
            except Exception as err:  # e.g. its database is down
                services[name] = {"service": name, "ok": False, "error": str(err)}
        try:
            self.tokens.tokens.database.command("ping")
            mongo = {"ok": True}
        except Exception as err:
            mongo = {"ok": False, "error": str(err)}
        ok = mongo["ok"] and all(s.get("ok") for s in services.values())
        body = {"status": "ok" if ok else "degraded", "services": services,
                "dependencies": {"mongodb": mongo, "rabbitmq": {"ok": True}}}
        return body, 200 if ok else 503

    @http("GET,POST,PUT,PATCH,DELETE", "/api/v1/<path:path>")
    def api(self, request, path):
        return self._gateway().handle(request)

    # the web dashboard (issue 9): server-rendered pages over the same service RPCs
    def _dashboard(self) -> Dashboard:
        timeout = settings().rpc_timeout
        return Dashboard(self.tokens,
                         lambda svc, method, kw: rpc_call(self.cluster, svc, method, kw, timeout))

    @http("GET", "/")
    def dashboard_root(self, request):
        from werkzeug.utils import redirect
        return redirect("/dashboard/")

    @http("GET,POST", "/dashboard/")
    def dashboard_index(self, request):
        return self._dashboard().handle(request)

    @http("GET,POST", "/dashboard/<path:path>")
    def dashboard(self, request, path):
        return self._dashboard().handle(request)
