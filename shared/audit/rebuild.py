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

import dataclasses
import time
from typing import Callable

import bson
from bson.raw_bson import RawBSONDocument
from pymongo.errors import PyMongoError

from shared import personal_data as pd
from shared import registry
from shared.audit import asof
from shared.audit.logs import AuditDatabases, merged
from shared.envelope import ChainVerifier
from shared.eventstore.base import against_head
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


@dataclasses.dataclass
class Plan:
    """One service's rebuild: its projections and how far to read each log it folds."""
    service: str
    projections: list
    sources: list
    marks: dict


def plan_for(dbs: AuditDatabases, service: str, projections=None) -> Plan:
    """``projections`` default to the service's registered ones (shared.registry)."""
    projections = list(projections if projections is not None else registry.projections_of(service))
    sources = sorted({p.source for p in projections} | {service})
    return Plan(service, projections, sources, snapshot(dbs.db(service), service, sources))


def rebuild(dbs: AuditDatabases, service: str, *, swap: bool = False,
            progress: Callable[[int], object] | None = None, projections=None) -> dict:
    """Replay, write beside, diff, and swap when asked. ``progress(total)`` returns an
    object with ``update(n)`` (a tqdm bar) or None."""
    plan = plan_for(dbs, service, projections)
    return rebuild_plans(dbs, [plan], swap=swap, progress=progress)["services"][service]


def rebuild_all(dbs: AuditDatabases, services=None, *, swap: bool = False,
                progress: Callable[[int], object] | None = None) -> dict:
    """Every service at once, each log read once and its hash chain verified on the way
    (``chains``); a broken chain refuses every swap."""
    plans = [plan_for(dbs, s) for s in (services or dbs.services)]
    return rebuild_plans(dbs, plans, swap=swap, progress=progress, verify=True)


def rebuild_plans(dbs: AuditDatabases, plans: list[Plan], *, swap: bool = False,
                  progress: Callable[[int], object] | None = None, verify: bool = False) -> dict:
    """One pass over the logs for all the plans: each log is read as far as the furthest
    plan needs it, and each service folds a source's events up to its own mark (a
    consumer that is merely behind does not show up as a difference)."""
    upto: dict[str, int] = {}
    for plan in plans:
        for source, mark in plan.marks.items():
            upto[source] = max(upto.get(source, 0), mark)
    bar = progress(sum(upto.values())) if progress else None
    chains = {source: ChainVerifier() for source in upto} if verify else {}

    def stored(source):
        for env in dbs.read(source, upto=upto[source]):
            if bar is not None:
                bar.update(1)
            if verify:
                chains[source].check(env)  # the chain covers what is stored: ciphertext
            yield env

    def read(source):  # what the projections see: personal data opened (shared.personal_data)
        # and marked, so that the rebuilt documents are sealed as the live ones are
        return (pd.marked(env, source) for env in dbs.revealed(source, stored(source)))

    started = time.monotonic()
    with asof.collector_paused():
        folded = asof.fold(merged({s: read(s) for s in upto}), None, [p.service for p in plans],
                           projections={p.service: p.projections for p in plans}.get,
                           limits={p.service: p.marks for p in plans})
    replayed = time.monotonic() - started
    if bar is not None and hasattr(bar, "close"):
        bar.close()
    rebuilt = {p.service for p in plans}
    verified = {source: _chain_result(check, dbs, source, upto[source], source in rebuilt)
                for source, check in chains.items()}
    reports = {}
    for plan in plans:
        runner = folded["runners"][plan.service]
        errors = [e for e in folded["errors"] if e["service"] == plan.service]
        reports[plan.service] = _report(dbs.db(plan.service), plan, runner, errors, replayed,
                                        started, folded["applied_by"][plan.service])
    broken = sorted(source for source, r in verified.items() if not r["ok"])
    for plan in plans:
        report = reports[plan.service]
        if not swap:
            continue
        try:
            if broken:
                raise SwapRefused(f"the hash chain of {', '.join(broken)} is broken")
            if report["errors"]:
                raise SwapRefused(f"the replay hit {len(report['errors'])} errors")
            if snapshot(dbs.db(plan.service), plan.service, plan.sources) != plan.marks:
                raise SwapRefused("the service's log or inbox checkpoints moved during the "
                                  "rebuild; stop the service (or let it settle) and rebuild again")
            swap_in(dbs.db(plan.service), sorted({p.collection for p in plan.projections}))
            report["swapped"] = True
        except SwapRefused as err:
            report["swap_refused"] = str(err)
    elapsed = time.monotonic() - started
    events = sum(upto.values())
    return {"services": reports, "chains": verified, "events_read": events,
            "seconds": round(elapsed, 3),
            "events_per_second": round(events / elapsed) if elapsed else None,
            "verified": not broken if verify else None,
            "identical": not broken and all(r["identical"] for r in reports.values())}


def _chain_result(check: ChainVerifier, dbs: AuditDatabases, source: str, read_upto: int,
                  whole: bool) -> dict:
    """The chain over what was read. A log read whole (its service was rebuilt too) must
    end at the head its store recorded, as ``verify`` checks; a source read only up to a
    consumer's checkpoint must reach that far."""
    result = check.result()
    result["service"] = source
    if whole:
        return against_head(result, dbs.store(source).head())
    if result["ok"] and result["head_position"] != read_upto:
        result["ok"] = False
        result["first_broken"] = {"position": result["head_position"] + 1, "found_position": None,
                                  "reason": f"the log ends at {result['head_position']} but "
                                            f"{read_upto} events were expected"}
    return result


def _report(db, plan: Plan, runner, errors: list, replayed: float, started: float,
            applied: int) -> dict:
    """Write the folded collections beside the live ones (``*__rebuild``) and diff."""
    fresh = MongoProjector(db, plan.projections, suffix=SUFFIX)
    fresh.drop()
    fresh.ensure_indexes()
    # personal data sealed with the database's keys, as the live projections store it (a
    # person's value seals to the same bytes each time); a key the live side lacks is made
    keyring = pd.Keyring(fresh.vault.every_doc())
    rebuilt = {}
    for collection, docs in runner.collections.items():
        # what the database will hold, encoded once: inserted as it is, and compared with
        # the live documents byte for byte (decoding is five times dearer than encoding)
        encoded = {doc["_id"]: bson.encode(pd.seal_doc(doc, keyring.key_for)) for doc in docs.values()}
        rebuilt[collection] = encoded
        raw = [RawBSONDocument(data) for data in encoded.values()]
        for i in range(0, len(raw), INSERT_BATCH):
            db[collection + SUFFIX].insert_many(raw[i:i + INSERT_BATCH], ordered=False)
    fresh.vault.write(keyring, None)
    elapsed = time.monotonic() - started
    report = {"service": plan.service, "read_upto": dict(plan.marks), "events": applied,
              "replay_seconds": round(replayed, 3), "seconds": round(elapsed, 3),
              "events_per_second": round(applied / elapsed) if elapsed else None,
              "errors": errors,
              "collections": diff(MongoProjector(db, plan.projections).dump(), rebuilt)}
    report["identical"] = not errors and all(c["identical"] for c in report["collections"].values())
    report["swapped"] = False
    report["swap_refused"] = None
    return report


def diff(live: dict[str, dict], rebuilt: dict[str, dict[object, bytes]]) -> dict:
    """Per collection: docs the log produces that live lacks (missing), live docs the log
    does not produce (extra), and docs that differ (with the differing fields). ``rebuilt``
    holds each document as BSON."""
    out = {}
    for collection in sorted(set(live) | set(rebuilt)):
        a, b = live.get(collection, {}), rebuilt.get(collection, {})
        missing = sorted((k for k in b if k not in a), key=str)
        extra = sorted((k for k in a if k not in b), key=str)
        differing = []
        for key in sorted((k for k in a if k in b), key=str):
            if bson.encode(a[key]) == b[key]:
                continue
            ours = bson.decode(b[key])
            if ours == a[key]:  # the same fields in another order
                continue
            fields = sorted(f for f in set(a[key]) | set(ours) if a[key].get(f) != ours.get(f))
            differing.append({"_id": key, "fields": {f: {"live": a[key].get(f), "rebuilt": ours.get(f)}
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


def render_all(result: dict) -> list[str]:
    """rebuild --all: each log's chain, then each service's rebuild."""
    lines = [f"read {result['events_read']} events once in {result['seconds']}s, "
             f"{result['events_per_second']} events/s"]
    for source, chain in result["chains"].items():
        if chain["ok"]:
            lines.append(f"{source}: chain ok, {chain['checked']} events, "
                         f"head {chain['head_position']} {chain['head_hash']}")
        else:
            b = chain["first_broken"]
            lines.append(f"{source}: CHAIN BROKEN at position {b['position']}: {b['reason']}")
    for report in result["services"].values():
        lines += render(report)
    lines.append("verified and identical" if result["identical"] and result["verified"]
                 else "chain broken" if not result["verified"] else "differences found")
    return lines
