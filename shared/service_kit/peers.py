"""Asking another service over RPC: the proxy chosen at call time, and one failure
rule for every question a service asks a peer (a timeout, a peer that is not running
or that raised: a 503 refusal naming the peer, never a hang)."""
from __future__ import annotations

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy

from shared.config import settings
from shared.domain import DomainError


class ClusterRpc(DependencyProvider):
    """``self.cluster["units"].events_since(0, 100)``: a target chosen at call time.

    Requests expire in the broker after the RPC timeout (``DUDAO_RPC_TIMEOUT``): a caller
    that gave up (and answered 503) must not see its request run minutes later, when the
    service comes back."""

    rpc_reply_listener = ReplyListener()

    def get_dependency(self, worker_ctx):
        listener = self.rpc_reply_listener
        expiration = settings().rpc_timeout

        class Targets:
            def __getitem__(self, service):
                return ServiceProxy(worker_ctx, service, listener, expiration=expiration)

        return Targets()




class PeerUnavailable(DomainError):
    status = 503
    code = "unavailable"


def ask_peer(cluster, service: str, method: str, why: str, **fields):
    """The result of ``service.method(**fields)``, or a 503 refusal that names the peer and
    ``why`` its answer is needed. The one failure rule for every question to a peer: no
    answer within the RPC timeout, a peer that is not running, a peer that raised, or one
    that refused (its own refusal is passed on in ``details``)."""
    timeout = settings().rpc_timeout
    try:
        with eventlet.Timeout(timeout):
            answer = getattr(cluster[service], method)(**fields)
    except eventlet.Timeout:
        raise PeerUnavailable(f"the {service} service did not answer {method} within {timeout:.0f}s; "
                              f"{why}; try again shortly", service=service) from None
    except UnknownService:
        raise PeerUnavailable(f"the {service} service is not running; {why}; try again shortly",
                              service=service) from None
    except RemoteError as err:
        raise PeerUnavailable(f"the {service} service cannot answer {method} ({err.exc_type}); {why}",
                              service=service) from None
    if isinstance(answer, dict) and "ok" in answer and ("result" in answer or "error" in answer):
        if not answer["ok"]:
            raise PeerUnavailable(f"the {service} service refused {method}: {answer.get('message')}; {why}",
                                  service=service, refusal=answer)
        return answer.get("result")
    return answer
