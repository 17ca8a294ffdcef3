"""The event store: one append-only, hash-chained log per service database."""
from shared.eventstore.base import (
    ANY,
    AppendRequest,
    CommandKey,
    CommandKeyReused,
    ConcurrencyError,
    EventStore,
    NewEvent,
    Upcasters,
)
from shared.eventstore.memory import MemoryEventStore

__all__ = ["ANY", "AppendRequest", "CommandKey", "CommandKeyReused", "ConcurrencyError", "EventStore",
           "NewEvent", "Upcasters", "MemoryEventStore"]
