"""Evaluation's storage: the shared service storage plus the private ``sealed_seeds``
collection, where a survey's seed waits, out of the log, until the draw reveals it.

The seed document is inserted by the very transaction that appends ``SurveyOpened``
(the store's ``on_append`` hook), so a seed exists iff its commitment does: a refused
or failed append leaves no seed behind.
"""
from __future__ import annotations

import base64
import contextlib
import hmac
import secrets
import threading

from services.evaluation import domain as D
from services.evaluation.domain.hashing import sha256_hex
from shared.service_kit import ServiceStorage, StorageAccess

SEALED_SEEDS = "sealed_seeds"  # private: never projected, never published, never served


class EvaluationAccess(StorageAccess):
    def __init__(self, storage, pending: dict, lock: threading.Lock):
        super().__init__(storage)
        self._pending, self._lock = pending, lock

    @contextlib.contextmanager
    def sealing(self, command: D.OpenSurvey):
        """While the block appends ``SurveyOpened`` for ``command``, that append's own
        transaction also stores the command's sealed seed."""
        key = sha256_hex(command.seed)
        # beside the seed, a secret the draw's ballot tokens are derived from (ballot_tokens)
        sealed = {**D.sealed_seed(command), "token_secret": secrets.token_hex(32)}
        with self._lock:
            self._pending[key] = sealed
        try:
            yield
        finally:
            with self._lock:
                self._pending.pop(key, None)


    def ballot_tokens(self, sealed: dict, count: int) -> tuple[str, ...]:
        """One fresh ballot token per sampled person, paired with the sample (in its order)
        only in the draw's answer.

        Nothing stored links a token, or its hash, to a person (issue 19): a keyless draw's
        tokens are random and kept nowhere. A draw sent with an idempotency key must answer
        the very same slips when retried, so its tokens are derived from the survey's
        sealed ``token_secret`` *and the raw idempotency key*, which no store keeps (the
        command record holds only a one-way hash of it; ``IdempotentRequest.
        unrecorded_secret`` makes guessing a weak key from it slow). Without the key,
        the stored documents cannot recompute a token; the key's holder is the client
        that drew, who holds the printed slips anyway."""
        secret = sealed.get("token_secret")
        if self.request is None or not secret:
            return tuple(secrets.token_urlsafe(16) for _ in range(count))
        master = self.request.unrecorded_secret(bytes.fromhex(secret))
        return tuple(_urlsafe(hmac.new(master, i.to_bytes(4, "big"), "sha256").digest()[:16])
                     for i in range(count))


def _urlsafe(raw: bytes) -> str:  # as secrets.token_urlsafe writes its bytes
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class EvaluationStorage(ServiceStorage):
    def setup(self):
        super().setup()
        self.pending_seeds: dict[str, dict] = {}
        self.lock = threading.Lock()
        storage = self.storage
        project = storage.store.on_append

        def on_append(session, envelopes):
            project(session, envelopes)
            for env in envelopes:
                if env["type"] != "SurveyOpened":
                    continue
                with self.lock:
                    sealed = self.pending_seeds.get(env["payload"]["seed_hash"])
                if sealed is not None:
                    storage.db[SEALED_SEEDS].insert_one(dict(sealed), session=session)

        storage.store.on_append = on_append

    def get_dependency(self, worker_ctx):
        return EvaluationAccess(self.storage, self.pending_seeds, self.lock)
