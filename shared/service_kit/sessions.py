"""A service's database sessions, recorded so that its successor can end them.

A process killed inside a transaction leaves it open in the server, holding its write
locks (the log head's above all) until the server reaps it: 60 s on MongoDB
(``transactionLifetimeLimitSeconds``) and on SecantusDB (not settable there). Meanwhile
every append of the restarted service conflicts. So each process records the id of every
server session it takes (pymongo pools them: a handful of writes per process, each before
that session's first transaction), and a process starting on the same host ends the
sessions of the ones that are gone, with ``killSessions``, which both servers run and
which aborts their open transactions. A predecessor on another host is not judged here
(it may be alive): its transactions end with the server's lifetime limit."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from shared.opcount import purpose

log = logging.getLogger(__name__)

COLLECTION = "sessions"


def _gone(pid: int) -> bool:
    """Whether no live process of this host has ``pid`` (ours is this process's own
    predecessor when it had the same pid, as a restarted container's pid 1 does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child its parent has not reaped yet is gone too
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class SessionLedger:
    def __init__(self, client, db):
        self.client = client
        self.records = db[COLLECTION]
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.incarnation = uuid.uuid4().hex
        self._known: set = set()
        self._lock = threading.Lock()
        start_session = client.start_session

        def recording_start_session(*args, **kwargs):
            session = start_session(*args, **kwargs)
            self._note(session.session_id["id"])
            return session

        client.start_session = recording_start_session  # every transaction begins here

    def _note(self, session_id) -> None:
        if session_id in self._known:  # nearly always: pymongo reuses its server sessions
            return
        with self._lock:
            if session_id in self._known:
                return
            with purpose("session ledger"):
                self.records.replace_one({"_id": session_id},
                                         {"host": self.host, "pid": self.pid,
                                          "incarnation": self.incarnation, "at": time.time()},
                                         upsert=True)
            self._known.add(session_id)

    def end_predecessors(self) -> int:
        """End the sessions of this service's processes on this host that are gone; how many."""
        dead = [r["_id"] for r in self.records.find({"host": self.host})
                if r["incarnation"] != self.incarnation and _gone(r["pid"])]
        if dead:
            self.client.admin.command("killSessions", [{"id": session_id} for session_id in dead])
            self.records.delete_many({"_id": {"$in": dead}})
            log.info("ended %d database sessions of this service's previous processes", len(dead))
        return len(dead)
