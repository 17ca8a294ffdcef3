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
FOLD_TARGET = 0.5  # MongoProjector fold against a raw cursor read
P99_TARGET = 0.100
POST_P50_TARGET = 0.030
OPS_TARGET = 8.0  # server operations per registered unit, end to end
ADDED_MS_TARGET = 1.0  # a 1-event command's time above a raw insert of its document
IDLE_CORES_TARGET = 0.02


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="abcde", help="which parts to run: any of a, b, c, d, e")
    parser.add_argument("--roster-members", type=int, default=5000, help="members in (e)'s roster file")
    parser.add_argument("--append-seconds", type=float, default=3.0,
                        help="how long each store append run lasts")
    parser.add_argument("--replay-events", type=int, default=15000)
    parser.add_argument("--mongo-fold-events", type=int, default=0)  # 0: the whole log
    parser.add_argument("--rate", type=float, default=50.0, help="offered commands per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the load is offered")
    parser.add_argument("--attendance-sessions", type=int, default=20,
                        help="500-member attendance commands at the end of (c), one at a time (0: none)")
    parser.add_argument("--idle-seconds", type=float, default=None,
                        help="(c)'s idle window, once the stack settled (default: the catch-up's longest wait)")
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
    client = MongoClient(mongo_uri, serverMonitoringMode="poll")  # see propagation.run's probe
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
        ours = append.run(client, prefix, args.append_seconds, shapes)
        rows += _append_rows(ours)
        from bench import peer
        print("(a) the peer: eventsourcing on PostgreSQL …", flush=True)
        rows += _peer_rows(peer.run(args.append_seconds, shapes), ours)
    if "b" in args.only:
        from bench import replay
        print("(b) replay …", flush=True)
        rows += _replay_rows(replay.run(client, prefix, args.replay_events, args.mongo_fold_events))
    if "c" in args.only:
        from bench import propagation
        print(f"(c) propagation at {args.rate:g} commands/s for {args.seconds:g} s …", flush=True)
        from bench import attendance
        measured = propagation.run(mongo_uri, amqp_uri, prefix, workdir, args.rate, args.seconds,
                                   idle_seconds=args.idle_seconds,
                                   attendance_sessions=args.attendance_sessions)
        rows += _propagation_rows(measured)
        rows += attendance.rows(measured.attendance)  # issue 18 item 3, on the same stack
    if "d" in args.only:
        from bench import county
        print("(d) county log: verify and rebuild …", flush=True)
        rows += county.rows(county.run(client, prefix))
    if "e" in args.only:
        from bench import roster
        print(f"(e) roster import of {args.roster_members} members …", flush=True)
        rows += roster.rows(roster.run(mongo_uri, amqp_uri, prefix, workdir, args.roster_members))
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
        if r.writers == 1 and r.events_per_command == 1:  # issue 18: the lone writer's ratio
            rows.append(("", "  1-event x 1 writer against the indexed raw insert", "", "",
                         f"{indexed:.2f}", f">= {APPEND_TARGET}", verdict(indexed >= APPEND_TARGET)))
    for r in results:
        if r.writers != 1:
            continue
        commands = r.store_events / r.events_per_command
        added = (r.store_seconds - r.indexed_seconds) / commands
        judged = r.events_per_command == 1
        rows.append(("", f"added time per {r.events_per_command}-event command, 1 writer",
                     f"{added * 1000:+.2f} ms over the indexed raw insert", "", "",
                     f"<= {ADDED_MS_TARGET:.1f} ms" if judged else "",
                     verdict(added * 1000 <= ADDED_MS_TARGET) if judged else ""))
    batches = [f"{r.events_per_command}x{r.writers}: {sum(r.batches) / max(len(r.batches), 1):.1f}"
               for r in results]
    rows.append(("", "commands per group commit (mean)", ", ".join(batches), "", "", "", ""))
    return rows


def _peer_rows(run, ours) -> list[tuple]:
    """Item 5: the eventsourcing library's ratio to raw inserts into its own store, beside
    Dudao's ratio to raw inserts into its own, shape by shape."""
    if run.skipped:
        return [("(a) peer", "eventsourcing 9.5 on PostgreSQL", f"skipped: {run.skipped}", "", "", "", "")]
    rows = [("(a) peer", f"eventsourcing 9.5 on {run.server} ({run.durability})", "", "", "", "", "")]
    mine = {(r.events_per_command, r.writers): r for r in ours}
    for p in run.results:
        case = f"{p.events_per_command:>2}-event cmd × {p.writers} writer{'s' if p.writers > 1 else ''}"
        ratio = p.library_rate / p.raw_rate
        dudao = mine.get((p.events_per_command, p.writers))
        rows.append(("", case, rate(p.library_rate), f"{rate(p.raw_rate)} raw insert, same rows",
                     f"{ratio:.2f}", "", ""))
        if dudao is not None:
            our_ratio = dudao.store_rate / dudao.indexed_rate
            rows.append(("", "  Dudao's ratio to its own raw insert, beside", f"Dudao {our_ratio:.2f}",
                         f"peer {ratio:.2f}", "", "Dudao ahead", verdict(our_ratio > ratio)))
        if p.writers == 1:
            rows.append(("", f"  peer's added time per {p.events_per_command}-event command",
                         f"{p.added_ms:+.2f} ms over its raw insert", "", "", "", ""))
    return rows


def _replay_rows(r) -> list[tuple]:
    ratio = r.store_rate / r.raw_rate
    return [
        ("(b) replay", f"{r.events} events: iter_all + upcast + MemoryProjectionRunner",
         rate(r.store_rate), f"{rate(r.raw_rate)} cursor", f"{ratio:.2f}",
         f">= {REPLAY_TARGET}", verdict(ratio >= REPLAY_TARGET)),
        ("", "(info) iter_all + upcast only, no fold", rate(r.read_rate), "",
         f"{r.read_rate / r.raw_rate:.2f}", "", ""),
        ("", f"{r.mongo_events} events: iter_all + fold through MongoProjector (loads, writes)",
         rate(r.mongo_rate), "", f"{r.mongo_rate / r.raw_rate:.2f}", f">= {FOLD_TARGET}",
         verdict(r.mongo_rate / r.raw_rate >= FOLD_TARGET)),
        ("", "(info) of which in MongoProjector.apply", rate(r.projector_rate), "",
         f"{r.projector_rate / r.raw_rate:.2f}", "", ""),
    ]


def _propagation_rows(r) -> list[tuple]:
    p99 = percentile(r.all_three, 99)
    rows = [
        ("(c) propagation", f"offered {r.rate:g} cmd/s for {r.seconds:g} s",
         f"{r.commands} sent, achieved {r.achieved_rate:.1f}/s, max send lag {ms(r.send_lag_max)}",
         "", "", "", ""),
        ("", "POST /units answered (p50 / p99)",
         f"{ms(percentile(r.ack, 50))} / {ms(percentile(r.ack, 99))}", "", "",
         f"p50 <= {POST_P50_TARGET * 1000:.0f} ms", verdict(percentile(r.ack, 50) <= POST_P50_TARGET)),
        ("", "visible in all three p50 / p95",
         f"{ms(percentile(r.all_three, 50))} / {ms(percentile(r.all_three, 95))}", "", "", "", ""),
        ("", "visible in all three p99 (max)", f"{ms(p99)} ({ms(max(r.all_three, default=float('nan')))})",
         "", "", f"<= {P99_TARGET * 1000:.0f} ms", verdict(p99 <= P99_TARGET)),
    ]
    if r.alone_ack:
        rows.append(("", "one command at a time: POST p50 / visible in all three p50 / p99",
                     f"{ms(percentile(r.alone_ack, 50))} / {ms(percentile(r.alone_visible, 50))} / "
                     f"{ms(percentile(r.alone_visible, 99))}", "", "", "", ""))
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
        ("", "CPU busy while idle, first 2 s after start-up (cores)",
         ", ".join(f"{name} {used:.3f}" for name, used in sorted(r.early_idle_cpu.items(), key=lambda kv: -kv[1])),
         "", "", "", ""),
        ("", "CPU busy while idle, settled, no commands (cores)",
         ", ".join(f"{name} {used:.3f}" for name, used in sorted(r.idle_cpu.items(), key=lambda kv: -kv[1])),
         "", "", "", ""),
        ("", "CPU per command above idle (ms)",
         ", ".join(f"{name} {ms_each:.0f}" for name, ms_each in _per_command(r)), "", "", "", ""),
        _idle_row(r),
        ("", "server operations per command", ", ".join(f"{k} {v:.1f}" for k, v in r.ops_per_command.items())
         or "not reported", "", "", "", ""),
        ("", "wall time by phase", ", ".join(f"{k} {v:.1f} s" for k, v in r.phases.items()),
         "", "", "", ""),
    ]
    return rows + _counted_rows(r)


def _breakdown(counted: dict) -> list[tuple]:
    by_process: dict[str, dict[str, float]] = {}
    by_command: dict[str, float] = {}
    for (process, purpose, command), n in counted.items():
        by_process.setdefault(process, {})
        by_process[process][purpose] = by_process[process].get(purpose, 0.0) + n
        by_command[command] = by_command.get(command, 0.0) + n
    rows = []
    for process, purposes in sorted(by_process.items(), key=lambda kv: -sum(kv[1].values())):
        breakdown = ", ".join(f"{p} {n:.2f}" for p, n in sorted(purposes.items(), key=lambda kv: -kv[1]))
        rows.append(("", f"  {process}", f"{sum(purposes.values()):.2f}: {breakdown}", "", "", "", ""))
    rows.append(("", "  by command", ", ".join(f"{c} {n:.2f}" for c, n in
                                               sorted(by_command.items(), key=lambda kv: -kv[1])),
                 "", "", "", ""))
    return rows


def _idle_row(r) -> tuple:
    """Item 6: what the idle stack costs, every process of it and its database server."""
    stack = sum(v for name, v in r.idle_cpu.items() if not name.startswith("bench"))
    early = sum(v for name, v in r.early_idle_cpu.items() if not name.startswith("bench"))
    return ("", "idle stack, all its processes + database (cores), settled",
            f"{stack:.3f} (first 2 s after start-up: {early:.3f})", "", "",
            f"<= {IDLE_CORES_TARGET}", verdict(stack <= IDLE_CORES_TARGET))


def _counted_rows(r) -> list[tuple]:
    """Item 1: database commands per registered unit, counted in every process of the
    stack (shared.opcount), by process and by what they were for."""
    if not r.counted:
        return [("(c) operations", "counted in each process", "nothing reported", "", "", "", "")]
    total = sum(r.counted.values())
    rows = [("(c) operations", f"per registered unit at {r.rate:g} cmd/s, end to end "
                               f"(gateway + units + relay + 3 consumers)",
             f"{total:.1f}", "", "", f"<= {OPS_TARGET:g}", verdict(total <= OPS_TARGET))]
    rows += _breakdown(r.counted)
    if r.counted_alone:
        alone = sum(r.counted_alone.values())
        rows.append(("", "per registered unit, one command at a time (nothing to batch)", f"{alone:.1f}",
                     "", "", f"<= {OPS_TARGET:g}", verdict(alone <= OPS_TARGET)))
        rows += _breakdown(r.counted_alone)
    idle_process: dict[str, float] = {}
    for (process, _purpose, _command), n in r.idle_counted.items():
        idle_process[process] = idle_process.get(process, 0.0) + n
    rows.append(("", "  idle, no commands (operations/s)",
                 ", ".join(f"{p} {n:.1f}" for p, n in sorted(idle_process.items(), key=lambda kv: -kv[1]))
                 or "none", "", "", "", ""))
    return rows


def _per_command(r) -> list[tuple[str, float]]:
    rate_achieved = r.commands / r.phases["load"] if r.phases.get("load") else r.rate
    costs = [(name, (r.cpu[name] - r.idle_cpu.get(name, 0.0)) * 1000 / rate_achieved)
             for name in r.idle_cpu]
    costs.append(("total", sum(c for _, c in costs)))
    return sorted(costs, key=lambda kv: -kv[1])


if __name__ == "__main__":
    sys.exit(main())
