"""The supervision service's read models (see each module for its collections and doc shapes).

``PROJECTIONS`` uses the default configuration; ``build_projections(config)`` binds another
(the console recomputes arrival deadlines with ``config.arrival_lead_days``).
"""
from __future__ import annotations

from services.supervision.domain.config import DEFAULT_CONFIG, SupervisionConfig
from services.supervision.projections.console import GROUPS as CONSOLE_GROUPS
from services.supervision.projections.console import UNITS_COLLECTION as CONSOLE_UNITS
from services.supervision.projections.console import console_projections
from services.supervision.projections.facts import (
    TRANSITION_FACTS,
    UNIT_FACTS,
    facts_projections,
    speech_draft,
    transition_application,
)
from services.supervision.projections.history import BRIEFINGS, HISTORY, REPORTS, UNIT_GROUPS, history_projections
from services.supervision.projections.obligations import OBLIGATIONS, obligation_projections
from services.supervision.projections.portfolio import PORTFOLIOS, portfolio_projection


def build_projections(config: SupervisionConfig = DEFAULT_CONFIG) -> list:
    return [*console_projections(config), portfolio_projection(), *history_projections(),
            *facts_projections(), *obligation_projections(config)]


PROJECTIONS = build_projections()

__all__ = ["PROJECTIONS", "build_projections", "CONSOLE_GROUPS", "CONSOLE_UNITS", "PORTFOLIOS",
           "HISTORY", "UNIT_GROUPS", "REPORTS", "BRIEFINGS", "UNIT_FACTS", "TRANSITION_FACTS", "OBLIGATIONS",
           "transition_application", "speech_draft"]
