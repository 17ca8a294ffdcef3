"""The nameko service container every process runs in (``SERVICE_CONTAINER_CLS``), and the
broker settings that let a service ride out a RabbitMQ outage of any length.

nameko 2.14 kills the whole container when a worker thread raises after the service's
code returned. A worker does that when the broker goes away while it is answering: an
RPC's reply (or an event's acknowledgement) is published with three retries, then
``kombu.exceptions.OperationalError: ECONNREFUSED`` escapes the worker, and the process
exits for good. Such a worker has nothing left to do that a dead broker could take: its
request was never acknowledged, so the broker hands it out again once it is back (where
the idempotency key answers the first outcome), and the caller has given up on the reply
(its RPC timeout, a 503). So it is logged and dropped; every other error still kills."""
from __future__ import annotations

import logging

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from nameko.containers import ServiceContainer

log = logging.getLogger(__name__)

# what a worker's reply or acknowledgement raises when the broker is gone: kombu's error
# after its retries, py-amqp's connection and channel errors, the socket's own
BROKER_ERRORS = (OperationalError, AMQPError, OSError)

# The queue consumer reconnects forever (kombu's ConsumerMixin, backoff 2 s, 4 s, … up to
# 30 s), but once connected it opens its channel under these options; nameko's default of
# three retries within 4 s lets an outage that starts in that moment end the consumer.
TRANSPORT_OPTIONS = {"max_retries": None, "connect_retries_timeout": None,
                     "interval_start": 1, "interval_step": 1, "interval_max": 5}


class BrokerTolerantContainer(ServiceContainer):
    """A container that outlives a worker whose answer the broker could not take."""

    def _handle_worker_thread_exited(self, gt, worker_ctx):
        try:
            gt.wait()
        except BROKER_ERRORS as err:
            self._worker_threads.pop(worker_ctx, None)
            log.warning("%s could not be answered, the broker is away (%s: %s); the request "
                        "stays unacknowledged and the broker delivers it again",
                        worker_ctx, type(err).__name__, err)
            return
        except BaseException:
            pass  # nameko's own handling below: it waits again and sees the same error
        super()._handle_worker_thread_exited(gt, worker_ctx)


CONTAINER_PATH = f"{__name__}.{BrokerTolerantContainer.__name__}"
