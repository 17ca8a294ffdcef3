"""Operator tasks on one service's database: backup, restore, parked events.

The event log is the source of truth. A backup keeps every collection that is NOT a
projection (``events``, ``meta``, ``inbox_checkpoints``, ``parked_events``, private
stores such as evaluation's ``sealed_seeds``) as canonical extended-JSON lines plus a
manifest; a restore writes them into an empty database, verifies the hash chain, and
rebuilds the projections from the logs (``shared.audit.rebuild``).

The personal data keys (``personal_keys``, shared.personal_data) are kept apart: in
``keys/`` beside the backup, with a manifest of their own, so the backup proper (and every
copy made of it) holds the logs' ciphertext and no key. A restore without ``keys/`` restores
the logs whole and shows 已删除 wherever personal data was sealed."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bson import json_util

from shared import registry
from shared.attachment_files import with_files
from shared.audit.logs import AuditDatabases
from shared.audit.rebuild import rebuild
from shared.eventstore.mongo import MongoEventStore
from shared.personal_data import KEY_COLLECTION

BACKUP_FORMAT = "dudao-backup/1"
KEYS_FORMAT = "dudao-backup-keys/1"
KEYS_DIR = "keys"
SERVICES_WITH_STORE = ("units", "supervision", "study", "evaluation")
BACKUP_SERVICES = SERVICES_WITH_STORE + ("gateway",)


class OpsError(RuntimeError):
    pass


def projection_collections(service: str) -> set[str]:
    if service not in SERVICES_WITH_STORE:
        return set()
    return {p.collection for p in registry.projections_of(service)}


def backup(dbs: AuditDatabases, service: str, directory: Path) -> dict:
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise OpsError(f"{directory} is not empty; back up into a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    db = dbs.client[dbs.settings.database_name(service)]
    skip = projection_collections(service)
    manifest = {"format": BACKUP_FORMAT, "service": service, "database": db.name, "collections": {}}
    names = sorted(db.list_collection_names())
    for name in names:
        if name in skip or "__" in name or name == KEY_COLLECTION:
            continue
        manifest["collections"][name] = _dump(db[name], directory / f"{name}.jsonl")
    if service in SERVICES_WITH_STORE:
        manifest["head"] = MongoEventStore(service, dbs.client, db.name).head()
    if KEY_COLLECTION in names:  # apart: keys/, with its own manifest
        (directory / KEYS_DIR).mkdir()
        keys = {"format": KEYS_FORMAT, "service": service, "database": db.name,
                "collections": {KEY_COLLECTION: _dump(db[KEY_COLLECTION],
                                                      directory / KEYS_DIR / f"{KEY_COLLECTION}.jsonl")}}
        (directory / KEYS_DIR / "manifest.json").write_text(json.dumps(keys, indent=2, sort_keys=True))
        manifest["keys"] = KEYS_DIR
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _dump(collection, path: Path) -> dict:
    digest, count = hashlib.sha256(), 0
    with path.open("wb") as out:
        for doc in collection.find().sort("_id", 1):
            line = json_util.dumps(doc, json_options=json_util.CANONICAL_JSON_OPTIONS,
                                   sort_keys=True).encode() + b"\n"
            out.write(line)
            digest.update(line)
            count += 1
    return {"count": count, "sha256": digest.hexdigest()}


def _read_keys(directory: Path, service: str) -> dict | None:
    """The keys' manifest beside the backup, None when there are none (restored without:
    the placeholder shows where personal data was sealed)."""
    path = directory / KEYS_DIR / "manifest.json"
    if not path.exists():
        return None
    try:
        keys = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise OpsError(f"no readable {KEYS_DIR}/manifest.json in {directory}: {err}") from None
    if keys.get("format") != KEYS_FORMAT or keys.get("service") != service:
        raise OpsError(f"{directory / KEYS_DIR} holds no keys of {service}")
    for name, meta in keys["collections"].items():
        _check_file(directory / KEYS_DIR / f"{name}.jsonl", meta)
    return keys


def restore(dbs: AuditDatabases, service: str, directory: Path, force: bool = False) -> dict:
    directory = Path(directory)
    manifest = _read_manifest(directory, service)
    db = dbs.client[dbs.settings.database_name(service)]
    if db.list_collection_names() and not force:
        raise OpsError(f"database {db.name} is not empty; stop the service and pass --force "
                       f"to replace it")
    for name, meta in manifest["collections"].items():
        _check_file(directory / f"{name}.jsonl", meta)
    keys = _read_keys(directory, service)
    dbs.client.drop_database(db.name)
    files = [(name, directory / f"{name}.jsonl") for name in manifest["collections"]]
    if keys is not None:
        files += [(name, directory / KEYS_DIR / f"{name}.jsonl") for name in keys["collections"]]
    for name, path in files:
        docs = [json_util.loads(line) for line in path.read_bytes().splitlines()]
        for i in range(0, len(docs), 1000):
            db[name].insert_many(docs[i:i + 1000], ordered=True)
    report = {"service": service, "restored": {n: m["count"] for n, m in manifest["collections"].items()},
              "keys": ("restored" if keys is not None
                       else "absent: personal data shows as 已删除" if manifest.get("keys") else "none")}
    if service in SERVICES_WITH_STORE:
        store = MongoEventStore(service, dbs.client, db.name)
        store.ensure_indexes()
        # the chain, and every evidence file restored with it against its event's sha256
        verified = with_files(store.verify(), db)
        if not verified["ok"]:
            raise OpsError(f"restored log does not verify: "
                           f"{verified.get('first_broken') or verified['attachments']['failures']}")
        report["verify"] = verified
        report["rebuild"] = rebuild(dbs, service, swap=True)
    return report


def _read_manifest(directory: Path, service: str) -> dict:
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError) as err:
        raise OpsError(f"no readable manifest.json in {directory}: {err}") from None
    if manifest.get("format") != BACKUP_FORMAT:
        raise OpsError(f"{directory} is not a Dudao backup ({manifest.get('format')!r})")
    if manifest.get("service") != service:
        raise OpsError(f"{directory} is a backup of {manifest.get('service')}, not {service}")
    return manifest


def _check_file(path: Path, meta: dict) -> None:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise OpsError(f"backup file missing: {path.name} ({err})") from None
    if hashlib.sha256(data).hexdigest() != meta["sha256"] or data.count(b"\n") != meta["count"]:
        raise OpsError(f"backup file {path.name} does not match its manifest (damaged or edited)")


def parked(dbs: AuditDatabases, service: str) -> list[dict]:
    db = dbs.client[dbs.settings.database_name(service)]
    return [{k: v for k, v in d.items() if k != "envelope"}
            for d in db["parked_events"].find({"status": {"$in": ["parked", "held"]}}).sort("position", 1)]


def forks(dbs: AuditDatabases, service: str) -> list[dict]:
    """The sources this service's inbox stopped because their log disagrees with what it
    applied (shared.inbox.Forked): position, the hash applied here, the source's hash."""
    db = dbs.client[dbs.settings.database_name(service)]
    return [{k: v for k, v in d.items() if k != "_id"} for d in db["inbox_forks"].find().sort("source", 1)]
