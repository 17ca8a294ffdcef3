"""`python -m bench` (what `make bench` runs): see bench/__init__.py."""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from bench.report import ms, percentile, rate, table, verdict

APPEND_TARGET = 0.5
REPLAY_TARGET = 0.5
P99_TARGET = 0.100


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="abcd", help="which parts to run: any of a, b, c, d")
    parser.add_argument("--append-seconds", type=float, default=3.0,
                        help="how long each store append run lasts")
    parser.add_argument("--replay-events", type=int, default=15000)
    parser.add_argument("--mongo-fold-events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="offered commands per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the load is offered")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    if "DUDAO_TEST_WORKDIR" not in os.environ:
        # started by hand: get a throwaway server and vhost the way `make bench` does
        from assembly.devstack import bench
        return bench(sys.argv[1:] if argv is None else argv)
    args = parse(sys.argv[1:] if argv is None else argv)
    from pymongo import MongoClient

    from assembly.catalogue import register_services
    register_services()  # the county rebuild (d) folds each service's registered projections

    mongo_uri = os.environ["DUDAO_MONGO_URI"]
    amqp_uri = os.environ["DUDAO_AMQP_URI"]
    prefix = os.environ["DUDAO_DB_PREFIX"]
    workdir = Path(os.environ["DUDAO_TEST_WORKDIR"])
    client = MongoClient(mongo_uri)
    server = client.server_info().get("version", "?")
    print(f"Dudao benchmarks — mongo {mongo_uri} (server {server}), {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; real threads, no monkey-patching in this process",
          flush=True)
    started = time.time()
    load_before = os.getloadavg()[0]
    rows = []
    if "a" in args.only:
        from bench import append
        print("(a) appends …", flush=True)
        shapes = [(1, 1), (1, 8), (10, 1), (10, 8)]
        rows += _append_rows(append.run(client, prefix, args.append_seconds, shapes))
    if "b" in args.only:
        from bench import replay
        print("(b) replay …", flush=True)
        rows += _replay_rows(replay.run(client, prefix, args.replay_events, args.mongo_fold_events))
    if "c" in args.only:
        from bench import propagation
        print(f"(c) propagation at {args.rate:g} commands/s for {args.seconds:g} s …", flush=True)
        rows += _propagation_rows(propagation.run(mongo_uri, amqp_uri, prefix, workdir,
                                                  args.rate, args.seconds))
    if "d" in args.only:
        from bench import county
        print("(d) county log: verify and rebuild …", flush=True)
        rows += county.rows(county.run(client, prefix))
    client.close()
    print()
    print(table(("", "case", "through Dudao", "raw pymongo", "ratio", "target", ""), rows))
    print(f"\n(total {time.time() - started:.0f} s; figures only — nothing here fails on a timing.)\n"
          f"Machine load average (1 min) {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
          f"end, on {os.cpu_count()} CPUs: anything else running here competes with the figures.")
    return 0


def _append_rows(results) -> list[tuple]:
    rows = []
    for r in results:
        case = f"{r.events_per_command:>2}-event cmd × {r.writers} writer{'s' if r.writers > 1 else ''}"
        judged = r.writers == 8
        indexed, bare = r.store_rate / r.indexed_rate, r.store_rate / r.bare_rate
        rows.append(("(a) append", case, rate(r.store_rate), f"{rate(r.indexed_rate)} same indexes",
                     f"{indexed:.2f}", f">= {APPEND_TARGET}" if judged else "",
                     verdict(indexed >= APPEND_TARGET) if judged else ""))
        rows.append(("", "", "", f"{rate(r.bare_rate)} _id only", f"{bare:.2f}",
                     f">= {APPEND_TARGET}" if judged else "",
                     verdict(bare >= APPEND_TARGET) if judged else ""))
    batches = [f"{r.events_per_command}x{r.writers}: {sum(r.batches) / max(len(r.batches), 1):.1f}"
               for r in results]
    rows.append(("", "commands per group commit (mean)", ", ".join(batches), "", "", "", ""))
    return rows


def _replay_rows(r) -> list[tuple]:
    ratio = r.store_rate / r.raw_rate
    return [
        ("(b) replay", f"{r.events} events: iter_all + upcast + MemoryProjectionRunner",
         rate(r.store_rate), f"{rate(r.raw_rate)} cursor", f"{ratio:.2f}",
         f">= {REPLAY_TARGET}", verdict(ratio >= REPLAY_TARGET)),
        ("", "(info) iter_all + upcast only, no fold", rate(r.read_rate), "",
         f"{r.read_rate / r.raw_rate:.2f}", "", ""),
        ("", f"(info) fold through MongoProjector, first {r.mongo_events}", rate(r.mongo_rate),
         "", f"{r.mongo_rate / r.raw_rate:.2f}", "", ""),
    ]


def _propagation_rows(r) -> list[tuple]:
    p99 = percentile(r.all_three, 99)
    rows = [
        ("(c) propagation", f"offered {r.rate:g} cmd/s for {r.seconds:g} s",
         f"{r.commands} sent, achieved {r.achieved_rate:.1f}/s, max send lag {ms(r.send_lag_max)}",
         "", "", "", ""),
        ("", "POST /units answered (p50 / p99)",
         f"{ms(percentile(r.ack, 50))} / {ms(percentile(r.ack, 99))}", "", "", "", ""),
        ("", "visible in all three p50 / p95",
         f"{ms(percentile(r.all_three, 50))} / {ms(percentile(r.all_three, 95))}", "", "", "", ""),
        ("", "visible in all three p99 (max)", f"{ms(p99)} ({ms(max(r.all_three, default=float('nan')))})",
         "", "", f"<= {P99_TARGET * 1000:.0f} ms", verdict(p99 <= P99_TARGET)),
    ]
    for consumer, values in r.per_consumer.items():
        rows.append(("", f"  {consumer} p50 / p99",
                     f"{ms(percentile(values, 50))} / {ms(percentile(values, 99))}", "", "", "", ""))
    rows += [
        ("", "  split: POST → units commit p50 / p99",
         f"{ms(percentile(r.to_commit, 50))} / {ms(percentile(r.to_commit, 99))}", "", "", "", ""),
        ("", "  split: commit → visible in all p50 / p99",
         f"{ms(percentile(r.commit_to_visible, 50))} / {ms(percentile(r.commit_to_visible, 99))}",
         "", "", "", ""),
        ("", "refused commands / never visible", f"{r.failed} / {r.missing}", "", "", "", ""),
        ("", "CPU busy during the load (cores)",
         ", ".join(f"{name} {used:.2f}" for name, used in sorted(r.cpu.items(), key=lambda kv: -kv[1])),
         "", "", "", ""),
        ("", "CPU busy while idle, no commands (cores)",
         ", ".join(f"{name} {used:.2f}" for name, used in sorted(r.idle_cpu.items(), key=lambda kv: -kv[1])),
         "", "", "", ""),
        ("", "CPU per command above idle (ms)",
         ", ".join(f"{name} {ms_each:.0f}" for name, ms_each in _per_command(r)), "", "", "", ""),
        ("", "server operations per command", ", ".join(f"{k} {v:.1f}" for k, v in r.ops_per_command.items())
         or "not reported", "", "", "", ""),
        ("", "wall time by phase", ", ".join(f"{k} {v:.1f} s" for k, v in r.phases.items()),
         "", "", "", ""),
    ]
    return rows


def _per_command(r) -> list[tuple[str, float]]:
    rate_achieved = r.commands / r.phases["load"] if r.phases.get("load") else r.rate
    costs = [(name, (r.cpu[name] - r.idle_cpu.get(name, 0.0)) * 1000 / rate_achieved)
             for name in r.idle_cpu]
    costs.append(("total", sum(c for _, c in costs)))
    return sorted(costs, key=lambda kv: -kv[1])


if __name__ == "__main__":
    sys.exit(main())
