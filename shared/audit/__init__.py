"""Audit replay (DESIGN "Audit replay"): verify every chain and every consumer's
checkpoints against its sources, export and verify an offline bundle, one unit's timeline
across services, any unit's state as of a moment, and a rebuild of a service's projections
from its log, diffed against the live ones.

Modules:
- ``logs``: the auditor's direct read access to each service's database (CLI only).
- ``bundle``: export and offline verification of a bundle (no database, no broker).
- ``timeline``, ``asof``: pure functions over envelopes, shared by the CLI and the gateway.
- ``checkpoints``: each consumer's inbox checkpoints against its sources' logs (verify).
- ``rebuild``: replay a service's log beside its live projections, diff, swap on request.
- ``remote``: the gateway's ``/audit`` routes, answered over service RPCs only.

Each service's projections come from ``shared.registry``. The ``dudao audit`` commands
and the sample campaign log of the audit tests are in ``assembly.audit``, which knows the
services.
"""

TOOL_VERSION = "dudao-audit/1"
