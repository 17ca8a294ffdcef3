"""A lease in a service's own database: of several instances of a service, one does a
thing at a time (the relay publishes, the scheduler records time passing). Taken when free
or expired, renewed by its holder once half of it has run out (so a live holder never lets
it lapse), released at shutdown; a crashed holder's lease expires after ``seconds``."""
from __future__ import annotations

import os
import time
import uuid

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError


def new_owner() -> str:
    return f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(self, collection: Collection, lease_id: str, *, seconds: float = 10.0,
                 owner: str | None = None):
        self.collection, self.lease_id, self.seconds = collection, lease_id, seconds
        self.owner = owner or new_owner()
        self._until = 0.0  # while held: its expiry, known here (an idle check costs nothing)

    def hold(self) -> tuple[bool, bool]:
        """(held, newly taken): take or renew the lease; held is False while another live
        holder has it. Newly taken means another holder may have acted since."""
        now = time.time()
        if self._until - now > self.seconds / 2:
            return True, False
        try:
            doc = self.collection.find_one_and_update(
                {"_id": self.lease_id, "$or": [{"owner": self.owner}, {"expires": {"$lt": now}}]},
                {"$set": {"owner": self.owner, "expires": now + self.seconds}},
                upsert=True, return_document=True)
        except DuplicateKeyError:  # another took it between our read and our upsert
            doc = None
        if doc is None or doc["owner"] != self.owner:
            self._until = 0.0
            return False, False
        newly = self._until < now
        self._until = now + self.seconds
        return True, newly

    def held(self) -> bool:
        """Whether this holder's last take or renewal is still running (no round trip)."""
        return self._until > time.time()

    def release(self) -> None:
        self._until = 0.0
        self.collection.update_one({"_id": self.lease_id, "owner": self.owner}, {"$set": {"expires": 0}})
