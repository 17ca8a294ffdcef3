"""``dudao audit``: the auditor's commands. They read each service's database directly
(DUDAO_MONGO_URI, DUDAO_DB_PREFIX) except ``verify-bundle``, which needs only the files."""
from __future__ import annotations

import json
import sys

import click

from shared.config import DOMAIN_SERVICES


def _bar(total: int | None, desc: str, quiet: bool, unit: str = "ev"):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr,
                disable=quiet, leave=False, mininterval=0.5)


def _dbs():
    from shared.audit.logs import AuditDatabases
    return AuditDatabases()


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


quiet_option = click.option("--quiet", "-q", is_flag=True, help="no progress bars")
json_option = click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")


@click.group()
def audit():
    """Audit replay: verify chains, export/verify bundles, timelines, as-of, rebuild."""


@audit.command("verify")
@json_option
@quiet_option
def verify(as_json, quiet):
    """Every service's hash chain and envelope schema, and every consumer's inbox
    checkpoint against its source's log. Exit 0 only if all hold."""
    from shared.attachment_files import with_files
    from shared.audit import checkpoints
    from shared.inbox import kept_checkpoints
    dbs = _dbs()
    chains = {}
    try:
        for service in DOMAIN_SERVICES:
            store = dbs.store(service)
            with _bar(dbs.count(service), f"verify {service}", quiet) as bar:
                store.on_read = lambda _env: bar.update(1)
                # the chain, then every stored file against the sha256 its event recorded
                chains[service] = with_files(store.verify(), dbs.db(service))
        # every checkpoint read before any source is looked at (see shared.audit.checkpoints)
        kept = {service: kept_checkpoints(dbs.db(service)) for service in DOMAIN_SERVICES}
        report = checkpoints.verdict(chains, checkpoints.check(kept, dbs.event_at, dbs.head))
    finally:
        dbs.close()
    if as_json:
        _echo_json(report)
    else:
        for line in _verify_lines(report):
            click.echo(line)
    sys.exit(0 if report["ok"] else 1)


def _verify_lines(report: dict) -> list[str]:
    from shared.audit import checkpoints
    lines = []
    for service, r in report["services"].items():
        files = r.get("attachments") or {"ok": True, "checked": 0, "failures": []}
        if r["ok"]:
            lines.append(f"{service}: ok, {r['checked']} events, head {r['head_position']} {r['head_hash']}"
                         + (f", {files['checked']} files" if files["checked"] else ""))
        elif r.get("first_broken"):
            b = r["first_broken"]
            lines.append(f"{service}: BROKEN at position {b['position']}: {b['reason']} "
                         f"({r['checked']} events verified before it)")
        else:
            lines.append(f"{service}: chain ok ({r['checked']} events), but "
                         f"{len(files['failures'])} of {files['checked']} stored files changed")
        lines += [f"{service}: FILE CHANGED (event #{f['position']}): {f['reason']}" for f in files["failures"]]
    lines += [checkpoints.render(pair) for pair in report["checkpoints"]["pairs"]]
    chains_hold = all(r["ok"] or not r.get("first_broken") for r in report["services"].values())
    files_hold = all((r.get("attachments") or {"ok": True})["ok"] for r in report["services"].values())
    if report["ok"]:
        lines.append("all chains hold, and every consumer's checkpoint matches its source's log")
    elif not files_hold:
        lines.append("VERIFICATION FAILED: a stored evidence file no longer matches the sha256 "
                     "its event recorded")
    elif chains_hold:
        lines.append("VERIFICATION FAILED: every chain holds, but a consumer applied what its "
                     "source's log no longer holds (deploy/README.md, \"A fork\")")
    else:
        lines.append("VERIFICATION FAILED")
    return lines


@audit.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@quiet_option
def export(directory, quiet):
    """Write every log and a manifest to DIRECTORY (an offline bundle)."""
    from pathlib import Path

    from shared.attachment_files import AttachmentFiles
    from shared.audit import TOOL_VERSION
    from shared.audit.bundle import verify_bundle, write_bundle
    from shared.clock import utc_now_iso
    from shared.eventstore.mongo import HEAD_ID
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise click.UsageError(f"{directory} is not empty")
    dbs = _dbs()
    try:
        # read each log up to the head it had when the export began: a consistent prefix
        heads = {s: (dbs.db(s)["meta"].find_one({"_id": HEAD_ID}) or {"position": 0})["position"]
                 for s in DOMAIN_SERVICES}
        with _bar(sum(heads.values()), "export", quiet) as bar:
            files = {s: AttachmentFiles(dbs.db(s)) for s in DOMAIN_SERVICES}
            manifest = write_bundle(target, {s: dbs.read(s, upto=heads[s]) for s in DOMAIN_SERVICES},
                                    created_at=utc_now_iso(), tool_version=TOOL_VERSION,
                                    on_envelope=lambda _s, _e: bar.update(1),
                                    attachment_bytes=lambda s, attachment_id: files[s].read(attachment_id))
    finally:
        dbs.close()
    for service, m in manifest["services"].items():
        click.echo(f"{service}: {m['count']} events, head {m['head_position']} {m['head_hash']}"
                   + (f", {m['files']} files" if m.get("files") else ""))
    check = verify_bundle(target)
    if not check["ok"]:
        for p in check["problems"]:
            click.echo(f"warning: {p['file']}: {p['reason']}", err=True)
        click.echo("exported, but the logs do not verify (see warnings)", err=True)
        sys.exit(1)
    click.echo(f"bundle written to {directory}")


@audit.command("verify-bundle")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--expect-head", multiple=True, metavar="SERVICE=HASH",
              help="a head hash recorded elsewhere that the bundle must end at")
@json_option
@quiet_option
def verify_bundle_cmd(directory, expect_head, as_json, quiet):
    """Check a bundle offline (no database, no broker). Exit 0 only if every byte holds."""
    from shared.audit.bundle import verify_bundle
    expected = {}
    for item in expect_head:
        service, sep, head = item.partition("=")
        if not sep:
            raise click.UsageError(f"--expect-head takes SERVICE=HASH, not {item!r}")
        expected[service] = head
    with _bar(None, "verify-bundle", quiet) as bar:
        report = verify_bundle(directory, expected, on_line=lambda: bar.update(1))
    if as_json:
        _echo_json(report)
    else:
        for service, r in report["services"].items():
            click.echo(f"{service}: {r['count']} events, head {r['head_position']} {r['head_hash']}"
                       f"{'' if r['chain_ok'] else ' (chain broken)'}"
                       + (f", {r['files']} files checked" if r.get("files") else ""))
        for p in report["problems"]:
            where = f" [position {p['position']}]" if "position" in p else ""
            click.echo(f"PROBLEM {p['file']}{where}: {p['reason']}")
        click.echo("bundle verified" if report["ok"] else "BUNDLE VERIFICATION FAILED")
    sys.exit(0 if report["ok"] else 1)


@audit.command("timeline")
@click.argument("unit")
@json_option
def timeline(unit, as_json):
    """One ordered history across services for UNIT, with causation links."""
    import re

    from shared.audit import timeline as tl
    dbs = _dbs()
    try:
        query = {"$or": [{"payload.unit_id": unit}, {"stream_id": {"$regex": re.escape(unit) + "$"}}]}
        events = []
        for service in DOMAIN_SERVICES:
            for doc in dbs.db(service)["events"].find(query).sort("_id", 1):
                doc.pop("_id", None)
                events.append((service, doc))
        wanted = list(tl.needed_causes(e for _s, e in events))
        causes = []
        if wanted:
            for service in DOMAIN_SERVICES:
                for doc in dbs.db(service)["events"].find({"event_id": {"$in": wanted}}):
                    doc.pop("_id", None)
                    causes.append((service, doc))
    finally:
        dbs.close()
    result = tl.build(unit, events, causes)
    if as_json:
        _echo_json(result)
    else:
        for line in tl.render(result):
            click.echo(line)
    if not result["count"]:
        sys.exit(1)


@audit.command("as-of")
@click.argument("time")
@click.option("--unit", default=None, help="only this unit's documents")
@quiet_option
def as_of_cmd(time, unit, quiet):
    """Every service's projections as they stood at TIME (ISO-8601; a date means its end),
    folded from the logs alone. Prints JSON {service: {collection: [docs]}}."""
    from shared.audit import asof
    from shared.audit.logs import merged
    try:
        until = asof.parse_time(time)
    except asof.BadTime as err:
        raise click.BadParameter(str(err), param_hint="TIME") from None
    dbs = _dbs()
    try:
        total = sum(dbs.count(s) for s in DOMAIN_SERVICES)
        with _bar(total, "as-of", quiet) as bar, asof.collector_paused():
            def counted(service):
                for env in dbs.read(service):
                    bar.update(1)
                    yield env
            # a replay of projections: personal data opened with each service's keys
            result = asof.as_of(merged({s: dbs.revealed(s, counted(s)) for s in DOMAIN_SERVICES}),
                                until, unit)
    finally:
        dbs.close()
    _echo_json(result)


@audit.command("rebuild")
@click.argument("service", type=click.Choice(DOMAIN_SERVICES), required=False)
@click.option("--all", "every", is_flag=True,
              help="every service in one pass over the logs, each log's hash chain verified "
                   "as it is read")
@click.option("--swap", is_flag=True, help="make the rebuilt projections live")
@json_option
@quiet_option
def rebuild_cmd(service, every, swap, as_json, quiet):
    """Replay SERVICE's log (and its sources') into fresh projections beside the live ones,
    report every difference, and swap them in only with --swap. Exit 1 on differences
    (unless swapped) or a broken chain, 2 when a swap was refused."""
    from shared.audit import rebuild as rb
    if bool(service) == every:
        raise click.UsageError("name one SERVICE, or give --all")
    dbs = _dbs()
    try:
        if every:
            result = rb.rebuild_all(dbs, swap=swap,
                                    progress=lambda total: _bar(total, "rebuild --all", quiet))
            reports = list(result["services"].values())
        else:
            result = None
            reports = [rb.rebuild(dbs, service, swap=swap,
                                  progress=lambda total: _bar(total, f"rebuild {service}", quiet))]
    finally:
        dbs.close()
    if as_json:
        _echo_json(result if every else reports[0])
    else:
        lines = rb.render_all(result) if every else rb.render(reports[0])
        for line in lines:
            click.echo(line)
    if any(r["swap_refused"] for r in reports):
        sys.exit(2)
    fine = all(r["identical"] or r["swapped"] for r in reports)
    sys.exit(0 if fine and (not every or result["verified"]) else 1)
