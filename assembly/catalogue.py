"""Every Dudao process by name, and what each domain service tells the library about itself.

``service_class(name)`` is the nameko class ``dudao serve NAME`` runs. ``register_services()``
fills ``shared.registry`` with each domain service's projections (those of the Wiring its
class declares: what the running service maintains, so a rebuild compares like with like)
and views; every process calls it when it starts (``assembly.cli``, ``assembly.serve``, the
test session, the benchmark). Registration imports nothing: a service's modules are
imported the first time the library asks about it (the gateway's ``/audit/as-of``, an audit
rebuild, a backup)."""
from __future__ import annotations

import functools

from shared import registry
from shared.config import ALL_PROCESSES, DOMAIN_SERVICES


def _units():
    from services.units.service import UnitsService
    return UnitsService


def _supervision():
    from services.supervision.service import SupervisionService
    return SupervisionService


def _study():
    from services.study.service import StudyService
    return StudyService


def _evaluation():
    from services.evaluation.service import EvaluationService
    return EvaluationService


def _gateway():
    from services.gateway.service import GatewayService
    return GatewayService


SERVICE_CLASSES = {"units": _units, "supervision": _supervision, "study": _study,
                   "evaluation": _evaluation, "gateway": _gateway}
assert tuple(SERVICE_CLASSES) == ALL_PROCESSES


def _study_views():
    from services.study.projections import VIEWS
    return VIEWS


# read models that keep a basis and render what the API answers (shared.registry)
VIEWS = {"study": _study_views}


def service_class(name: str) -> type:
    return SERVICE_CLASSES[name]()


def maintained_projections(name: str) -> tuple:
    """The projections of the Wiring that the service's class declares."""
    from shared.service_kit import wiring_of
    return wiring_of(service_class(name)).projections


def register_services() -> None:
    """Register every domain service's projections and views (loaded when first asked)."""
    for name in DOMAIN_SERVICES:
        registry.register(name, projections=functools.partial(maintained_projections, name),
                          views=VIEWS.get(name))
