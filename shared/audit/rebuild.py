"""Rebuild a service's projections from the logs, beside the live ones, and diff them.

The service's own log is read up to its head; each foreign source's log up to the
service's inbox checkpoint for it (what the live projections have seen), so a consumer
that is merely behind does not show up as a difference. Events are folded in global
recorded_at order (each log in position order) in memory, written to ``<collection>__rebuild``
(shared.projection_store.MongoProjector with suffix "__rebuild"), and every difference is
reported per collection. ``swap`` renames live -> ``__old``, ``__rebuild`` -> live, and
drops ``__old`` only once every rename succeeded (rolling back otherwise); it refuses when
the service's log or checkpoints moved during the rebuild, or the replay hit errors."""
from __future__ import annotations

import time
from typing import Callable

from pymongo.errors import PyMongoError

from shared.audit import asof
from shared.audit.logs import AuditDatabases, merged
from shared.eventstore.mongo import HEAD_ID
from shared.projection_store import MongoProjector

SUFFIX = "__rebuild"
OLD = "__old"
INSERT_BATCH = 1000
MAX_LISTED = 50


class SwapRefused(Exception):
    pass


def snapshot(db, service: str, sources) -> dict:
    head = db["meta"].find_one({"_id": HEAD_ID}) or {"position": 0}
    marks = {service: head["position"]}
    for source in sources:
        if source != service:
            doc = db["inbox_checkpoints"].find_one({"_id": source})
            marks[source] = doc["position"] if doc else 0
    return marks


def rebuild(dbs: AuditDatabases, service: str, *, swap: bool = False,
            progress: Callable[[int], object] | None = None, projections=None) -> dict:
    """Replay, write beside, diff, and swap when asked. ``progress(total)`` returns an
    object with ``update(n)`` (a tqdm bar) or None."""
    projections = list(projections if projections is not None else asof.live_projections(service))
    db = dbs.db(service)
    sources = sorted({p.source for p in projections} | {service})
    marks = snapshot(db, service, sources)
    total = sum(marks.values())
    bar = progress(total) if progress else None

    def counted(source):
        for env in dbs.read(source, upto=marks[source]):
            if bar is not None:
                bar.update(1)
            yield env

    started = time.monotonic()
    with asof.collector_paused():
        folded = asof.fold(merged({s: counted(s) for s in sources}), None, [service],
                           projections=lambda _s: projections)
    runner = folded["runners"][service]
    replayed = time.monotonic() - started

    fresh = MongoProjector(db, projections, suffix=SUFFIX)
    fresh.drop()
    fresh.ensure_indexes()
    for collection, docs in runner.collections.items():
        values = list(docs.values())
        for i in range(0, len(values), INSERT_BATCH):
            db[collection + SUFFIX].insert_many(values[i:i + INSERT_BATCH], ordered=False)
    elapsed = time.monotonic() - started
    if bar is not None and hasattr(bar, "close"):
        bar.close()

    report = {"service": service, "read_upto": marks, "events": folded["applied"],
              "replay_seconds": round(replayed, 3), "seconds": round(elapsed, 3),
              "events_per_second": round(folded["applied"] / elapsed) if elapsed else None,
              "errors": folded["errors"],
              "collections": diff(MongoProjector(db, projections).dump(), fresh.dump())}
    report["identical"] = not report["errors"] and all(c["identical"] for c in report["collections"].values())
    report["swapped"] = False
    report["swap_refused"] = None
    if swap:
        try:
            if report["errors"]:
                raise SwapRefused(f"the replay hit {len(report['errors'])} errors")
            if snapshot(db, service, sources) != marks:
                raise SwapRefused("the service's log or inbox checkpoints moved during the rebuild; "
                                  "stop the service (or let it settle) and rebuild again")
            swap_in(db, sorted({p.collection for p in projections}))
            report["swapped"] = True
        except SwapRefused as err:
            report["swap_refused"] = str(err)
    return report


def diff(live: dict[str, dict], rebuilt: dict[str, dict]) -> dict:
    """Per collection: docs the log produces that live lacks (missing), live docs the log
    does not produce (extra), and docs that differ (with the differing fields)."""
    out = {}
    for collection in sorted(set(live) | set(rebuilt)):
        a, b = live.get(collection, {}), rebuilt.get(collection, {})
        missing = sorted((k for k in b if k not in a), key=str)
        extra = sorted((k for k in a if k not in b), key=str)
        differing = []
        for key in sorted((k for k in a if k in b and a[k] != b[k]), key=str):
            fields = sorted(f for f in set(a[key]) | set(b[key]) if a[key].get(f) != b[key].get(f))
            differing.append({"_id": key, "fields": {f: {"live": a[key].get(f), "rebuilt": b[key].get(f)}
                                                     for f in fields}})
        out[collection] = {"live": len(a), "rebuilt": len(b), "missing": missing, "extra": extra,
                           "differing": differing,
                           "identical": not (missing or extra or differing)}
    return out


def swap_in(db, collections: list[str]) -> None:
    """live -> __old, __rebuild -> live for every collection, then drop the __old ones.
    Any failure puts every live collection back as it was."""
    existing = set(db.list_collection_names())
    stale = [c + OLD for c in collections if c + OLD in existing]
    if stale:
        raise SwapRefused(f"{stale} exist from an earlier swap; inspect and drop them first")
    missing = [c + SUFFIX for c in collections if c + SUFFIX not in existing]
    if missing:
        raise SwapRefused(f"rebuilt collections {missing} are missing")
    moved_away, moved_in = [], []
    try:
        for c in collections:
            if c in existing:
                db[c].rename(c + OLD)
                moved_away.append(c)
            db[c + SUFFIX].rename(c)
            moved_in.append(c)
    except PyMongoError as err:
        for c in reversed(moved_in):
            db[c].rename(c + SUFFIX)
        for c in reversed(moved_away):
            db[c + OLD].rename(c)
        raise SwapRefused(f"the swap failed and was rolled back: {err}") from err
    for c in moved_away:
        db[c + OLD].drop()


def render(report: dict) -> list[str]:
    lines = [f"{report['service']}: replayed {report['events']} events "
             f"(read up to {', '.join(f'{s}@{p}' for s, p in report['read_upto'].items())}) "
             f"in {report['seconds']}s, {report['events_per_second']} events/s"]
    for e in report["errors"][:MAX_LISTED]:
        lines.append(f"  replay error at {e['source']}#{e['position']} {e['type']}: {e['error']}")
    for name, c in report["collections"].items():
        state = "identical" if c["identical"] else "DIFFERS"
        lines.append(f"  {name}: live {c['live']}, rebuilt {c['rebuilt']}: {state}")
        for key in c["missing"][:MAX_LISTED]:
            lines.append(f"    missing from live: {key}")
        for key in c["extra"][:MAX_LISTED]:
            lines.append(f"    extra in live (the log does not produce it): {key}")
        for d in c["differing"][:MAX_LISTED]:
            fields = ", ".join(f"{f}: live {v['live']!r} != rebuilt {v['rebuilt']!r}"
                               for f, v in d["fields"].items())
            lines.append(f"    differs {d['_id']}: {fields}")
        hidden = sum(max(0, len(c[k]) - MAX_LISTED) for k in ("missing", "extra", "differing"))
        if hidden:
            lines.append(f"    ... and {hidden} more (use --json)")
    lines.append("identical" if report["identical"] else "differences found")
    if report["swapped"]:
        lines.append("swapped: the rebuilt projections are now live")
    if report.get("swap_refused"):
        lines.append(f"NOT SWAPPED: {report['swap_refused']}")
    return lines
