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
    rpc: str             # its RPC method: called with named fields plus actor (rpc_fields)
    roles: tuple         # who may call it
    status: int = 200    # on success (201 for commands that create, 202 accepted)
    summary: str = ""
    schema: str | None = None  # "module:SchemaClass" of the request body, for OpenAPI
    # "unit": a unit token may only touch its own unit (path <unit> or body unit_id)
    unit_scoped: bool = True
    # published: every role it names reads all of it whatever their scope (a survey's result
    # and the check of its draw, R12; the county tables); else a scoped token reaches its own
    public: bool = False
    # the RPC's field each path variable fills, e.g. {"unit": "unit_id"}
    args: tuple = ()
    # the query-string parameters passed on as fields (others are ignored); a GET or
    # DELETE route's ``schema`` is its RPC's, which types them for OpenAPI
    query: tuple = ()
    # the success answer's JSON Schema (routes/shapes.py) and media type, for OpenAPI
    result: dict | None = dataclasses.field(default=None, hash=False, compare=False)
    media_type: str = "application/json"
    # when the answer is a stored file of one of several kinds: every media type it may have
    media_types: tuple = ()
    # the request body's media type: JSON, or multipart/form-data for a file upload
    body_media_type: str = "application/json"
    # the body's JSON Schema where no service schema gives it (the gateway's own routes)
    body: dict | None = dataclasses.field(default=None, hash=False, compare=False)

    def __post_init__(self):
        if isinstance(self.args, dict):
            object.__setattr__(self, "args", tuple(sorted(self.args.items())))
        object.__setattr__(self, "query", tuple(self.query))
        object.__setattr__(self, "media_types", tuple(self.media_types))

    def answer_media_types(self) -> tuple:
        return self.media_types or (self.media_type,)

    def path_fields(self) -> dict:
        return dict(self.args)


class FieldClash(ValueError):
    """A body field that the path already gives."""


def rpc_fields(route: Route, path: dict, query: dict | None, body: dict | None) -> dict:
    """The named fields of the route's RPC: body fields, the declared query parameters and
    the path variables under their field names. A body field the path gives is refused
    (FieldClash) rather than silently overridden; ``actor`` is never a field."""
    fields = dict(body or {})
    for name in route.query:
        if query and query.get(name) not in (None, ""):
            fields[name] = query[name]
    for variable, field in route.args:
        if field in fields:
            raise FieldClash(field)
        fields[field] = path[variable]
    if "actor" in fields:
        raise FieldClash("actor")
    return fields


@functools.lru_cache(maxsize=1)
def all_routes() -> tuple[Route, ...]:
    routes: list[Route] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(getattr(module, "ROUTES", []))
    return tuple(routes)
