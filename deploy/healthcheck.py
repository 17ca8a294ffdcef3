#!/opt/dudao/bin/python
"""Container probe for every Dudao process (Docker HEALTHCHECK, compose, Kubernetes).

    dudao-healthcheck [--live] [NAME]

NAME is the process to check; without it, the one PID 1 runs (`dudao serve NAME`), so the
image's single HEALTHCHECK works whichever service the container was started as.

Readiness (default) — the process does its job:
  gateway           GET /api/v1/health answers 200 (every service and MongoDB up);
  domain services   the service's `health` RPC answers through RabbitMQ with ok (it pings
                    its own database), within DUDAO_PROBE_TIMEOUT seconds (default 5).
Liveness (--live) — this container is not wedged; deliberately blind to the health of the
other services, so that one service or the database being down never restarts the rest:
  gateway           the gateway serves HTTP: GET /api/v1/openapi.json (no backend call) is 200;
  domain services   this container holds an established connection to the broker
                    (nameko keeps one open for its consumers; without it the process is useless).

Exit status 0 healthy, 1 unhealthy, 2 usage error. Configuration: the DUDAO_* variables.
"""
from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

PROCESSES = ("units", "supervision", "study", "evaluation", "gateway")
TCP_ESTABLISHED = "01"


def probe_timeout() -> float:
    return float(os.environ.get("DUDAO_PROBE_TIMEOUT", "5"))


def process_of_pid1(cmdline_path: str = "/proc/1/cmdline") -> str | None:
    """The NAME in PID 1's `… dudao serve NAME`, if PID 1 is a Dudao process."""
    try:
        with open(cmdline_path, "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None
    for i, arg in enumerate(argv[:-1]):
        if arg == "serve" and argv[i + 1] in PROCESSES:
            return argv[i + 1]
    return None


# -- gateway --------------------------------------------------------------------------------
def gateway_status(route: str) -> int | None:
    """HTTP status of one of the local gateway's routes, None when it does not answer."""
    port = os.environ.get("DUDAO_GATEWAY_PORT", "8080")
    url = f"http://127.0.0.1:{port}/api/v1/{route}"
    try:
        with urllib.request.urlopen(url, timeout=probe_timeout()) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except (OSError, ValueError):
        return None


def gateway_ok(live: bool) -> bool:
    # /health asks every service (seconds when one is down); the OpenAPI document needs no one
    status = gateway_status("openapi.json" if live else "health")
    if status != 200:
        print(f"gateway: {'openapi.json' if live else 'health'} answered {status}", file=sys.stderr)
    return status == 200


# -- domain services ------------------------------------------------------------------------
def service_answers(name: str) -> bool:
    """The service's `health` RPC through the broker (any replica may answer: they share
    one RPC queue)."""
    import warnings
    warnings.simplefilter("ignore")  # eventlet's deprecation notice is noise in probe output
    import eventlet
    eventlet.monkey_patch()
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": os.environ.get("DUDAO_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
              "serializer": "json"}
    try:
        with eventlet.Timeout(probe_timeout() + 2):
            with ClusterRpcProxy(config, timeout=probe_timeout()) as cluster:
                return bool(getattr(cluster, name).health().get("ok"))
    except BaseException as err:  # eventlet.Timeout is a BaseException
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        print(f"{name}: health RPC failed: {type(err).__name__}: {err}", file=sys.stderr)
        return False


def broker_endpoints() -> set[tuple[str, int]]:
    uri = urllib.parse.urlsplit(os.environ.get("DUDAO_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    port = uri.port or (5671 if uri.scheme == "amqps" else 5672)
    infos = socket.getaddrinfo(uri.hostname or "127.0.0.1", port, proto=socket.IPPROTO_TCP)
    return {(socket.inet_pton(info[0], info[4][0]).hex(), port) for info in infos}


def _proc_net_address(hex_address: str) -> tuple[str, int]:
    """/proc/net/tcp{,6} writes addresses as host-order 32-bit words; turn them into the
    network-order bytes inet_pton gives, so the two compare."""
    address, port = hex_address.split(":")
    words = [address[i:i + 8] for i in range(0, len(address), 8)]
    raw = b"".join(bytes.fromhex(w)[::-1] for w in words)
    if len(raw) == 16 and raw[:12] == b"\0" * 10 + b"\xff\xff":
        raw = raw[12:]  # IPv4-mapped IPv6: compare as IPv4
    return raw.hex(), int(port, 16)


def broker_connected(proc_net: str = "/proc/net") -> bool:
    """Some process in this network namespace (a container: the service) holds an
    established TCP connection to the broker."""
    try:
        wanted = broker_endpoints()
    except (OSError, ValueError) as err:  # e.g. the broker's name does not resolve
        print(f"broker address unknown: {err}", file=sys.stderr)
        return False
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(proc_net, table)) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 3 and fields[3] == TCP_ESTABLISHED \
                    and _proc_net_address(fields[2]) in wanted:
                return True
    print("no established connection to the broker", file=sys.stderr)
    return False


def check(name: str, live: bool) -> bool:
    if name == "gateway":
        return gateway_ok(live)
    return broker_connected() if live else service_answers(name)


def main(argv: list[str]) -> int:
    live = "--live" in argv
    names = [a for a in argv if a != "--live"]
    name = names[0] if names else process_of_pid1()
    if name not in PROCESSES or len(names) > 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return 0 if check(name, live) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
