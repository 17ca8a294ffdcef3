"""The offline audit bundle: every service's log plus a manifest an auditor checks
with no database or broker running.

Layout of a bundle directory::

    logs/<service>.jsonl   one raw stored envelope per line (no _id), position order,
                           canonical JSON (sorted keys, compact, UTF-8)
    manifest.json          canonical JSON (sorted keys, indent 2, trailing newline):
                           format, tool_version, created_at, and per service its file,
                           count, head_position, head_hash, bytes and sha256
    MANIFEST.sha256        "<sha256 of manifest.json>  manifest.json\\n"
    files/<sha256>         the bytes of each evidence file an ``AttachmentStored`` event
                           records, named by the sha256 the event carries (the manifest
                           counts them per service as ``files``)

Every byte counts: a log byte changes that file's sha256 (and usually breaks its chain
at a named position); a manifest byte either breaks its canonical form, or changes a
field that no longer matches the recomputed chain or file, or (free text such as
created_at) no longer matches MANIFEST.sha256; a MANIFEST.sha256 byte no longer matches
the manifest. Files the manifest does not name are reported too. An evidence file is
covered by the chain itself: its event records its size and sha256, and ``verify_bundle``
holds each file against them (a file missing, or a byte changed, is named).

What a bundle cannot prove by itself is that nobody rewrote every log and recomputed
everything: compare the printed head hashes with heads recorded elsewhere (the live
``/audit/verify``, a previous bundle), or pass them as ``--expect-head``.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

from shared.envelope import GENESIS_HASH, verify_chain

FORMAT = "dudao-audit-bundle/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "MANIFEST.sha256"
LOG_DIR = "logs"
FILE_DIR = "files"
ATTACHMENT_EVENT = "AttachmentStored"


def line_of(envelope: dict) -> bytes:
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8") + b"\n"


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def manifest_sum_bytes(body: bytes) -> bytes:
    return f"{hashlib.sha256(body).hexdigest()}  {MANIFEST}\n".encode("ascii")


# -- writing ------------------------------------------------------------------------------

def write_bundle(directory: Path, logs: dict[str, Iterable[dict]], *, created_at: str,
                 tool_version: str, on_envelope: Callable[[str, dict], None] | None = None,
                 attachment_bytes: Callable[[str, str], bytes | None] | None = None) -> dict:
    """Write every log and the manifest; returns the manifest. ``attachment_bytes(service,
    attachment_id)`` gives a stored file's bytes, written as files/<the event's sha256>."""
    directory = Path(directory)
    (directory / LOG_DIR).mkdir(parents=True, exist_ok=True)
    services = {}
    for service, envelopes in logs.items():
        rel = f"{LOG_DIR}/{service}.jsonl"
        digest, count, size, files = hashlib.sha256(), 0, 0, 0
        head_position, head_hash = 0, GENESIS_HASH
        with open(directory / rel, "wb") as out:
            for env in envelopes:
                env = {k: v for k, v in env.items() if k != "_id"}
                data = line_of(env)
                out.write(data)
                digest.update(data)
                size += len(data)
                count += 1
                head_position, head_hash = env.get("position"), env.get("hash")
                if on_envelope:
                    on_envelope(service, env)
                if attachment_bytes and env.get("type") == ATTACHMENT_EVENT:
                    files += _write_file(directory, env["payload"],
                                         attachment_bytes(service, env["payload"]["attachment_id"]))
        services[service] = {"file": rel, "count": count, "head_position": head_position,
                             "head_hash": head_hash, "bytes": size, "sha256": digest.hexdigest()}
        if files:
            services[service]["files"] = files
    manifest = {"format": FORMAT, "tool_version": tool_version, "created_at": created_at,
                "services": services}
    body = manifest_bytes(manifest)
    (directory / MANIFEST).write_bytes(body)
    (directory / MANIFEST_SUM).write_bytes(manifest_sum_bytes(body))
    return manifest


def _write_file(directory: Path, payload: dict, data: bytes | None) -> int:
    """The file's bytes as stored, named by the sha256 its event recorded (a stored file
    whose bytes changed is exported as it is, and verify_bundle names it)."""
    if data is None:
        return 0
    (directory / FILE_DIR).mkdir(exist_ok=True)
    (directory / FILE_DIR / str(payload["sha256"])).write_bytes(data)
    return 1


# -- checking (offline) ---------------------------------------------------------------------

def verify_bundle(directory: Path, expect_heads: dict[str, str] | None = None,
                  on_line: Callable[[], None] | None = None) -> dict:
    """Check a bundle from its files alone.

    Returns {"ok", "problems": [{"file", "reason", "position"?, "line"?, "service"?}],
    "services": {service: {"count", "head_position", "head_hash", "chain_ok"}}}."""
    directory = Path(directory)
    problems: list[dict] = []
    report: dict = {"ok": False, "problems": problems, "services": {}}

    def problem(file: str, reason: str, **where):
        problems.append({"file": file, "reason": reason, **where})

    manifest = _read_manifest(directory, problem)
    if manifest is None:
        return report
    services = manifest.get("services")
    if not isinstance(services, dict):
        problem(MANIFEST, "the manifest names no services")
        return report
    named = {MANIFEST, MANIFEST_SUM}
    for service, claimed in sorted(services.items()):
        if not isinstance(claimed, dict) or not isinstance(claimed.get("file"), str):
            problem(MANIFEST, f"the entry of service {service!r} is malformed", service=service)
            continue
        named.add(claimed["file"])
        report["services"][service] = _check_log(directory, service, claimed, problem, on_line, named)
    for extra in sorted(_all_files(directory) - named):
        problem(extra, "file is not named in the manifest")
    for service, head in (expect_heads or {}).items():
        found = report["services"].get(service, {}).get("head_hash")
        if found != head:
            problem(MANIFEST, f"{service}: head hash {found} is not the expected {head}",
                    service=service)
    report["ok"] = not problems
    return report


def _read_manifest(directory: Path, problem) -> dict | None:
    try:
        body = (directory / MANIFEST).read_bytes()
    except OSError as err:
        problem(MANIFEST, f"cannot read the manifest: {err.strerror}")
        return None
    try:
        recorded_sum = (directory / MANIFEST_SUM).read_bytes()
    except OSError as err:
        problem(MANIFEST_SUM, f"cannot read the manifest checksum: {err.strerror}")
        recorded_sum = None
    if recorded_sum is not None and recorded_sum != manifest_sum_bytes(body):
        problem(MANIFEST_SUM, f"does not match the sha256 of {MANIFEST} "
                              f"({hashlib.sha256(body).hexdigest()}): one of them was changed")
    try:
        manifest = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        problem(MANIFEST, f"is not valid UTF-8 JSON: {err}")
        return None
    if not isinstance(manifest, dict):
        problem(MANIFEST, "is not a JSON object")
        return None
    if manifest_bytes(manifest) != body:
        problem(MANIFEST, "is not in canonical form (its bytes were edited)")
    if manifest.get("format") != FORMAT:
        problem(MANIFEST, f"format is {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def _check_log(directory: Path, service: str, claimed: dict, problem, on_line, named: set) -> dict:
    rel = claimed["file"]
    path = directory / rel
    result = {"count": 0, "head_position": 0, "head_hash": GENESIS_HASH, "chain_ok": False}
    if not _inside(directory, path):
        problem(MANIFEST, f"{service}: file {rel!r} lies outside the bundle", service=service)
        return result
    try:
        data = path.read_bytes()
    except OSError as err:
        problem(rel, f"cannot read: {err.strerror}", service=service)
        return result
    digest = hashlib.sha256(data).hexdigest()
    if digest != claimed.get("sha256"):
        problem(rel, f"sha256 is {digest}, the manifest says {claimed.get('sha256')}", service=service)
    if len(data) != claimed.get("bytes"):
        problem(rel, f"is {len(data)} bytes, the manifest says {claimed.get('bytes')}", service=service)

    envelopes, unreadable = [], None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif data:
        problem(rel, "does not end with a newline", service=service)
    for number, raw in enumerate(lines, start=1):
        if on_line:
            on_line()
        try:
            env = json.loads(raw.decode("utf-8"))
            if not isinstance(env, dict):
                raise ValueError("not a JSON object")
        except (UnicodeDecodeError, ValueError) as err:
            unreadable = {"line": number, "reason": f"line {number} is not a JSON envelope: {err}"}
            break
        if line_of(env) != raw + b"\n":
            unreadable = {"line": number, "reason": f"line {number} is not in canonical form"}
            break
        envelopes.append(env)
    chain = verify_chain(envelopes)
    result.update(count=chain["checked"], head_position=chain["head_position"],
                  head_hash=chain["head_hash"], chain_ok=chain["ok"] and unreadable is None)
    if not chain["ok"]:
        broken = chain["first_broken"]
        problem(rel, f"chain broken at position {broken['position']}: {broken['reason']}",
                service=service, position=broken["position"], line=broken["position"])
    elif unreadable:
        problem(rel, unreadable["reason"], service=service, position=chain["head_position"] + 1,
                line=unreadable["line"])
    else:
        for field, found in (("count", chain["checked"]), ("head_position", chain["head_position"]),
                             ("head_hash", chain["head_hash"])):
            if claimed.get(field) != found:
                problem(MANIFEST, f"{service}: {field} is {claimed.get(field)!r} but the log "
                                  f"recomputes to {found!r}", service=service)
    result["files"] = _check_files(directory, service, envelopes, claimed, problem, named)
    return result


def _check_files(directory: Path, service: str, envelopes: list[dict], claimed: dict, problem,
                 named: set) -> int:
    """Each evidence file the log records, held against the size and sha256 of its event."""
    checked = 0
    for env in envelopes:
        if env.get("type") != ATTACHMENT_EVENT or not isinstance(env.get("payload"), dict):
            continue
        payload = env["payload"]
        sha, attachment_id = str(payload.get("sha256")), payload.get("attachment_id")
        rel = f"{FILE_DIR}/{sha}"
        named.add(rel)
        checked += 1
        path = directory / rel
        if not _inside(directory, path) or not path.is_file():
            problem(rel, f"the file of attachment {attachment_id} (event #{env.get('position')}) is "
                         f"missing", service=service, position=env.get("position"))
            continue
        data = path.read_bytes()
        found = hashlib.sha256(data).hexdigest()
        if found != sha:
            problem(rel, f"attachment {attachment_id}: the file hashes to {found}, its event "
                         f"#{env.get('position')} recorded {sha}", service=service, position=env.get("position"))
        elif len(data) != payload.get("size"):
            problem(rel, f"attachment {attachment_id}: the file is {len(data)} bytes, its event "
                         f"recorded {payload.get('size')}", service=service, position=env.get("position"))
    if claimed.get("files", 0) != checked:
        problem(MANIFEST, f"{service}: files is {claimed.get('files', 0)!r} but the log records "
                          f"{checked}", service=service)
    return checked


def _inside(directory: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
        return True
    except ValueError:
        return False


def _all_files(directory: Path) -> set[str]:
    found = set()
    for root, _dirs, files in os.walk(directory):
        for name in files:
            found.add(Path(os.path.relpath(os.path.join(root, name), directory)).as_posix())
    return found
