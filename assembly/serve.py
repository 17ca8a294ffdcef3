"""Entry point of every service process: `dudao serve NAME` (the same command in
containers, in `make run`'s Procfile and in the tests' process fixtures)."""
from __future__ import annotations

import logging
import signal
import sys

from assembly import catalogue


def serve(name: str) -> None:
    import eventlet
    eventlet.monkey_patch()  # before nameko or pymongo touch sockets or threads
    from shared import opcount
    opcount.install(name)  # make bench counts database commands (off unless asked for)

    from nameko.runners import ServiceRunner

    from shared.config import settings

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s")
    # before the service starts: the gateway answers /audit/as-of with every domain
    # service's projections (shared.audit.remote), which it must not import itself
    catalogue.register_services()
    runner = ServiceRunner(settings().nameko_config())
    runner.add_service(catalogue.service_class(name))

    def stop(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    logging.getLogger(__name__).info("%s started", name)
    runner.wait()
