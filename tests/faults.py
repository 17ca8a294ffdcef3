"""Faults injected into a real service process, for the delivery tests (test code only:
the production modules know nothing of them).

    python -m tests.faults FAULT serve NAME

installs FAULT in this process, then runs `dudao serve NAME` in it. From a test:

    stack.start("units", command=faults.command("relay-kill-before-publish"))

FAULT is one of
- ``relay-kill-before-publish``: the relay dies (SIGKILL) once it has read events to
  publish, before sending any: they are committed, not published;
- ``relay-kill-after-publish``: the relay dies once the broker confirmed a batch, before
  it moves its checkpoint: restarted, it publishes them again;
- ``kill-before-commit``: the service dies (SIGKILL) inside its first append's
  transaction, once the events and the log head are written, before the commit: the
  dead transaction holds its write locks in the server;
- ``relay-disabled``: the relay never starts (the test puts deliveries on the wire itself);
- ``slow-reply=METHOD:SECONDS``: the service's answers to the RPC METHOD leave SECONDS
  after its worker finished (so a test can stop the broker while an answer is on its way);
- ``poison-name=NAME``: the unit directory cannot apply the events of the unit named NAME,
  as a bug would (restarting the service without the fault is "the fix");
- ``kill-in-inbox-run=TYPE:N``: the service dies (SIGKILL) inside the Nth inbox transaction
  that applies an event of TYPE, once its handler has applied the run, before the commit
  (a consumer killed in the middle of a roster import's runs).
"""
from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import warnings

log = logging.getLogger("tests.faults")


def command(fault: str) -> list[str]:
    """The command that starts a service with ``fault`` (``Stack.start(command=...)``)."""
    name, _, _arg = fault.partition("=")
    if name not in FAULTS:
        raise ValueError(f"no fault named {name!r} (one of {', '.join(FAULTS)})")
    return [sys.executable, "-m", "tests.faults", fault]


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _before(method, action):
    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        action()
        return method(*args, **kwargs)
    return wrapped


def relay_kill_before_publish(_arg: str) -> None:
    from shared.relay import Relay
    Relay.publish = _before(Relay.publish, _die)


def relay_kill_after_publish(_arg: str) -> None:
    # ``advance`` moves the checkpoint once every event of the batch is confirmed
    from shared.relay import Relay
    Relay.advance = _before(Relay.advance, _die)


def kill_before_commit(_arg: str) -> None:
    # ``_write`` is the transaction's work: head read, events inserted, head moved
    from shared.eventstore.mongo import MongoEventStore
    write = MongoEventStore._write

    def write_then_die(self, session, batch):
        write(self, session, batch)
        _die()

    MongoEventStore._write = write_then_die


def relay_disabled(_arg: str) -> None:
    from shared.service_kit.relay_provider import OutboxRelay

    def start(self):
        log.warning("relay disabled (tests.faults relay-disabled)")

    OutboxRelay.start = start


def slow_reply(arg: str) -> None:
    import eventlet
    from nameko.rpc import Responder
    method, _, seconds = arg.partition(":")
    if not method or not seconds:
        raise SystemExit("slow-reply needs the RPC and the delay: slow-reply=METHOD:SECONDS")
    send = Responder.send_response

    def slow(self, result, exc_info):
        if self.message.delivery_info["routing_key"].endswith("." + method):
            eventlet.sleep(float(seconds))
        return send(self, result, exc_info)

    Responder.send_response = slow


def poison_name(poison: str) -> None:
    # before any service module builds its unit directory: unit_directory() takes the
    # module's _apply when it is called
    import shared.unit_directory as directory
    if not poison:
        raise SystemExit("poison-name needs the unit's name: poison-name=NAME")
    apply = directory._apply

    def poisoned(doc, env, key):
        if env["payload"].get("name") == poison:
            raise RuntimeError(f"cannot apply {env['type']} of unit named {poison!r} (injected fault)")
        return apply(doc, env, key)

    directory._apply = poisoned


def kill_in_inbox_run(arg: str) -> None:
    from shared.inbox import Inbox
    kind, _, nth = arg.partition(":")
    if not kind or not nth.isdigit():
        raise SystemExit("kill-in-inbox-run needs the event type and N: kill-in-inbox-run=TYPE:N")
    apply_many, seen = Inbox._apply_many, []

    def apply_then_die(self, session, source, envs, **options):
        outcomes = apply_many(self, session, source, envs, **options)
        if any(env["type"] == kind for env in envs):
            seen.append(len(envs))
            if len(seen) == int(nth):
                log.warning("dying inside inbox run #%s (%s events; tests.faults)", nth, len(envs))
                _die()
        return outcomes

    Inbox._apply_many = apply_then_die


FAULTS = {"relay-kill-before-publish": relay_kill_before_publish,
          "relay-kill-after-publish": relay_kill_after_publish,
          "kill-before-commit": kill_before_commit,
          "relay-disabled": relay_disabled,
          "slow-reply": slow_reply,
          "poison-name": poison_name,
          "kill-in-inbox-run": kill_in_inbox_run}


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "serve":
        raise SystemExit(__doc__)
    fault, name = argv[0], argv[2]
    key, _, arg = fault.partition("=")
    if key not in FAULTS:
        raise SystemExit(f"no fault named {key!r} (one of {', '.join(FAULTS)})")
    # as `dudao serve` does, before anything imports pymongo or kombu (the relay does)
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet
    eventlet.monkey_patch()
    FAULTS[key](arg)
    sys.argv = ["dudao", "serve", name]
    from assembly.cli import main as dudao
    dudao()


if __name__ == "__main__":
    main(sys.argv[1:])
