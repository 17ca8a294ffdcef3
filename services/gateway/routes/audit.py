"""The auditor's read-only routes (DESIGN "Audit replay"); the gateway answers them itself
over service RPCs (shared/audit/remote.py)."""
from services.gateway.routes import Route

AUDITORS = ("auditor",)

ROUTES = [
    Route("GET", "/audit/verify", "gateway", "audit_verify", AUDITORS, 200,
          "Every service's hash chain and envelope schema (ok, or the first broken position), "
          "and every consumer's checkpoint against its source's log (ok, ahead or forked)",
          unit_scoped=False),
    Route("GET", "/audit/timeline/<unit>", "gateway", "audit_timeline", AUDITORS, 200,
          "One unit's history across services with actors, times and causation links",
          unit_scoped=False),
    Route("GET", "/audit/as-of", "gateway", "audit_as_of", AUDITORS, 200,
          "Projections as they stood at ?time=ISO-8601 (optionally only ?unit=…), from the logs",
          unit_scoped=False),
]
