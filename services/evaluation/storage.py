"""Evaluation's storage: the shared service storage plus the private ``sealed_seeds``
collection, where a survey's seed waits, out of the log, until the draw reveals it.

The seed document is inserted by the very transaction that appends ``SurveyOpened``
(the store's ``on_append`` hook), so a seed exists iff its commitment does: a refused
or failed append leaves no seed behind.
"""
from __future__ import annotations

import contextlib
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
        with self._lock:
            self._pending[key] = D.sealed_seed(command)
        try:
            yield
        finally:
            with self._lock:
                self._pending.pop(key, None)


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
