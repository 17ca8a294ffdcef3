"""What a domain service's nameko entrypoints stand on, one module per concern:

- ``storage``: the service's database behind a DependencyProvider (event store,
  projections, inbox) and the reactions' view of it;
- ``relay_provider``: the outbox relay running beside the service;
- ``lease_provider``: a lease, so that one instance of a service does a thing at a time;
- ``peers``: RPC to another service named at call time, and the one failure rule;
- ``container``: the nameko container and broker options that ride out RabbitMQ outages;
- ``base``: the RPCs every service answers (audit, health, parked events), the
  catch-up timer, and ``endpoint`` that declares a typed RPC.

The answer shape and the typed entrypoint itself are in ``shared.edge`` (no nameko)."""
from shared.service_kit.base import DomainService, endpoint
from shared.service_kit.lease_provider import LeaseHolder
from shared.service_kit.peers import ClusterRpc, PeerUnavailable, ask_peer
from shared.service_kit.relay_provider import OutboxRelay
from shared.service_kit.storage import ReactionContext, ServiceStorage, Storage, StorageAccess, Wiring, wiring_of

__all__ = ["ClusterRpc", "DomainService", "LeaseHolder", "OutboxRelay", "PeerUnavailable", "ReactionContext",
           "ServiceStorage", "Storage", "StorageAccess", "Wiring", "ask_peer", "endpoint",
           "wiring_of"]
