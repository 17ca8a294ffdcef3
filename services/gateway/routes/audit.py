"""The auditor's read-only routes (DESIGN "Audit replay"); the gateway answers them itself
over service RPCs (shared/audit/remote.py)."""
from services.gateway.routes import Route
from services.gateway.routes.shapes import BOOL, INT, OBJECT, STR, array, dict_of, document, nullable

AUDITORS = ("auditor",)

ENTRY = document(service=STR, position=INT, type=STR, stream_id=STR, event_id=STR, recorded_at=STR,
                 payload=nullable(OBJECT))

ROUTES = [
    Route("GET", "/audit/verify", "gateway", "audit_verify", AUDITORS, 200,
          "Every service's hash chain and envelope schema (ok, or the first broken position), "
          "and every consumer's checkpoint against its source's log (ok, ahead or forked)",
          unit_scoped=False, result=document(ok=BOOL, services=dict_of(document(ok=BOOL)))),
    Route("GET", "/audit/timeline/<unit>", "gateway", "audit_timeline", AUDITORS, 200,
          "One unit's history across services with actors, times and causation links",
          unit_scoped=False, result=document(unit_id=STR, count=INT, entries=array(ENTRY))),
    Route("GET", "/audit/as-of", "gateway", "audit_as_of", AUDITORS, 200,
          "Projections as they stood at ?time=ISO-8601 (optionally only ?unit=…), from the logs",
          unit_scoped=False, query=("time", "unit"),
          result=document(as_of=STR, unit_id=nullable(STR), events_applied=INT, errors=array(),
                          services=dict_of(OBJECT))),
]
