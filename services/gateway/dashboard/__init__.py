"""The web dashboard served by the gateway under /dashboard (issue 9)."""
from services.gateway.dashboard.views import COOKIE, PREFIX, Dashboard

__all__ = ["COOKIE", "PREFIX", "Dashboard"]
