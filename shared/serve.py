"""Entry point of every service process: `dudao serve NAME` (the same command in
containers, in `make run`'s Procfile and in the tests' process fixtures)."""
from __future__ import annotations

import importlib
import logging
import signal
import sys

SERVICE_CLASSES = {
    "units": "services.units.service:UnitsService",
    "supervision": "services.supervision.service:SupervisionService",
    "study": "services.study.service:StudyService",
    "evaluation": "services.evaluation.service:EvaluationService",
    "gateway": "services.gateway.service:GatewayService",
}


def load_service_class(name: str):
    module, _, cls = SERVICE_CLASSES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def serve(name: str) -> None:
    import eventlet
    eventlet.monkey_patch()  # before nameko or pymongo touch sockets or threads

    from nameko.runners import ServiceRunner

    from shared.config import settings

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s")
    runner = ServiceRunner(settings().nameko_config())
    runner.add_service(load_service_class(name))

    def stop(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    logging.getLogger(__name__).info("%s started", name)
    runner.wait()
