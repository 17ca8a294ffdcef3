"""The shapes of the answers, as JSON Schema: each route's ``result`` (its OpenAPI success
response). The services' handlers answer plain dicts; their shapes are declared here once,
beside the routes, and schemathesis' response_schema_conformance (tests/e2e/test_contract.py)
fails when a handler's answer strays from them.

``record`` is an answer whose every field is listed (a command's ids): nothing more may
come. ``document`` is a read model: the fields listed are always there, with those types;
a projection may carry more (its own bookkeeping), which the schema leaves open."""
from __future__ import annotations

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
OBJECT = {"type": "object"}
ANY: dict = {}
# an id the services mint (shared.edge.new_id): a short prefix and 12 hex digits
ID = {"type": "string", "pattern": "^[a-z]+-[0-9a-f]{12}$"}
# an id as given by a client (a path variable), echoed back
GIVEN_ID = {"type": "string", "minLength": 1}
# a file answer (a service's {"__file__": …}): the body is the file itself
BINARY = {"type": "string", "format": "binary"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def one_of(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


def array(items: dict = ANY, *, unique: bool = False) -> dict:
    return {"type": "array", "items": items, **({"uniqueItems": True} if unique else {})}


def dict_of(values: dict = ANY) -> dict:
    """An object keyed by data (ids, sections, batches), every value of one shape."""
    return {"type": "object", "additionalProperties": values}


def record(**fields: dict) -> dict:
    """Exactly these fields, every one present."""
    return {"type": "object", "required": sorted(fields), "properties": fields,
            "additionalProperties": False}


def document(**fields: dict) -> dict:
    """At least these fields, every one present; a read model may carry more."""
    return {"type": "object", "required": sorted(fields), "properties": fields}


def optional(schema: dict, *names: str) -> dict:
    """The schema with ``names`` no longer required (JSON Schema wants no empty list)."""
    required = [n for n in schema["required"] if n not in names]
    return {**{k: v for k, v in schema.items() if k != "required"}, **({"required": required} if required else {})}


RATIO = document(numerator=INT, denominator=INT, value=NUM)
