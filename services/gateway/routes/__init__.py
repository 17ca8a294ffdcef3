"""The HTTP API as data: every route names the service RPC it forwards to and
who may call it. Each service's routes live in their own module here."""
from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil

ALL_ROLES = ("office", "supervisor", "unit", "respondent", "auditor", "operator")
READERS = ("office", "supervisor", "unit", "auditor")


@dataclasses.dataclass(frozen=True)
class Route:
    method: str          # GET | POST | PUT | DELETE
    path: str            # werkzeug pattern under /api/v1, e.g. "/units/<unit>"
    service: str         # the nameko service that answers
    rpc: str             # its RPC method: called as rpc(body=, params=, query=, actor=)
    roles: tuple         # who may call it
    status: int = 200    # on success (201 for commands that create, 202 accepted)
    summary: str = ""
    schema: str | None = None  # "module:SchemaClass" of the request body, for OpenAPI
    # "unit": a unit token may only touch its own unit (path <unit> or body unit_id)
    unit_scoped: bool = True


@functools.lru_cache(maxsize=1)
def all_routes() -> tuple[Route, ...]:
    routes: list[Route] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(getattr(module, "ROUTES", []))
    return tuple(routes)
