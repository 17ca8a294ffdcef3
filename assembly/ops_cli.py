"""``dudao ops``: backup, restore, rebuild, parked events — what operators run."""
from __future__ import annotations

import json
import sys

import click

from shared.ops import BACKUP_SERVICES, SERVICES_WITH_STORE, OpsError


def _dbs():
    from shared.audit.logs import AuditDatabases
    return AuditDatabases()


@click.group()
def ops():
    """Operator commands (they read the service databases named by DUDAO_MONGO_URI/DUDAO_DB_PREFIX)."""


@ops.command("backup")
@click.argument("service", type=click.Choice(BACKUP_SERVICES))
@click.argument("directory", type=click.Path(file_okay=False))
def backup_cmd(service, directory):
    """Back up a service's log and private state (not its projections) into DIRECTORY."""
    from shared.ops import backup
    dbs = _dbs()
    try:
        manifest = backup(dbs, service, directory)
    except OpsError as err:
        raise click.ClickException(str(err)) from None
    finally:
        dbs.close()
    counts = ", ".join(f"{k} {v['count']}" for k, v in manifest["collections"].items())
    click.echo(f"backed up {service} into {directory}: {counts}")


@ops.command("restore")
@click.argument("service", type=click.Choice(BACKUP_SERVICES))
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="replace a non-empty database (stop the service first)")
def restore_cmd(service, directory, force):
    """Restore a backup, verify its chain, rebuild the projections from the logs."""
    from shared.ops import restore
    dbs = _dbs()
    try:
        report = restore(dbs, service, directory, force=force)
    except OpsError as err:
        raise click.ClickException(str(err)) from None
    finally:
        dbs.close()
    click.echo(f"restored {service}: {report['restored']}")
    if "rebuild" in report:
        click.echo(f"chain verified to position {report['verify']['head_position']}; "
                   f"projections rebuilt from {report['rebuild']['events']} events")


@ops.command("parked")
@click.argument("service", type=click.Choice(SERVICES_WITH_STORE))
def parked_cmd(service):
    """List events a service could not apply (parked, or held behind a parked one)."""
    from shared.ops import parked
    dbs = _dbs()
    try:
        rows = parked(dbs, service)
    finally:
        dbs.close()
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    if not rows:
        click.echo(f"{service}: nothing parked", err=True)


@ops.command("forks")
@click.argument("service", type=click.Choice(SERVICES_WITH_STORE))
def forks_cmd(service):
    """List sources a service stopped following because their log was rewritten (a fork);
    exits 1 when there is one. Recovery: deploy/README.md, "A fork"."""
    from shared.ops import forks
    dbs = _dbs()
    try:
        rows = forks(dbs, service)
    finally:
        dbs.close()
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    if rows:
        click.echo(f"{service}: FORK — " + "; ".join(r["message"] for r in rows), err=True)
        sys.exit(1)
    click.echo(f"{service}: no fork", err=True)


@ops.command("orphans")
@click.argument("service", type=click.Choice(SERVICES_WITH_STORE))
@click.option("--older-than", "minutes", type=click.IntRange(min=0), default=60, show_default=True,
              help="only files uploaded at least this many minutes ago (a younger one may be an "
                   "upload about to append its event)")
@click.option("--delete", is_flag=True, help="remove them")
def orphans_cmd(service, minutes, delete):
    """Evidence files in SERVICE's GridFS that no AttachmentStored event names (an upload
    that failed or crashed between writing the file and appending its event): listed, and
    removed with --delete. Nothing serves them."""
    import datetime as dt

    from shared.attachment_files import AttachmentFiles
    dbs = _dbs()
    try:
        files = AttachmentFiles(dbs.db(service))
        found = files.orphans(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes))
        for attachment_id in found:
            click.echo(attachment_id)
            if delete:
                files.delete(attachment_id)
    finally:
        dbs.close()
    click.echo(f"{service}: {len(found)} orphaned files{' removed' if delete and found else ''}", err=True)


@ops.command("replay")
@click.argument("service", type=click.Choice(SERVICES_WITH_STORE))
@click.argument("source", type=click.Choice(SERVICES_WITH_STORE))
@click.argument("stream_id")
def replay_cmd(service, source, stream_id):
    """After the fix is deployed: apply a stream's parked events once (through the service)."""
    import eventlet
    eventlet.monkey_patch()
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.config import settings
    with ClusterRpcProxy({"AMQP_URI": settings().amqp_uri}, timeout=settings().rpc_timeout) as rpc:
        answer = getattr(rpc, service).replay_parked(source=source, stream_id=stream_id)
    if not answer.get("ok"):
        click.echo(f"refused: {answer.get('message')}", err=True)
        sys.exit(1)
    click.echo(f"replayed positions {answer['result']['replayed']} of {source} into {service}")
