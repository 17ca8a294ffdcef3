"""Evidence files (issue 16 item 4), the pure part: what a file may be, which service owns
it, the one event that records it, and the check the rectification ledger makes of the
attachment ids a command names. No framework here (the GridFS side is
``shared.attachment_files``; the RPCs are ``shared.service_kit.attachments``).

A file belongs to a record of one unit, and its ``purpose`` names which record: the
purpose decides the service that owns the file, which keeps the bytes in its own database
(GridFS) and appends ``AttachmentStored`` (size, sha256, the sniffed content type) to its
own log, so its hash chain covers the file. The attachment id's prefix names the owning
service, so a download is routed without asking anyone.

The content type is never taken from the client: it is sniffed from the bytes, must be on
the allow-list (PDF, PNG/JPEG, Word .doc/.docx, Excel .xls/.xlsx), and must agree with the
file name's extension and with the type the client declared (when it declared one), so a
PNG named ``plan.pdf`` or a text file named ``minutes.docx`` is refused and nothing stored.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Iterable

import filetype

from shared.domain import Actor, Conflict, DomainError, Event, Forbidden, NotFound, Rejected

# purpose -> the service that owns such files (and the record they belong to)
PURPOSES = {
    "measure_evidence": "units",       # 整改措施的佐证材料
    "work_plan": "units",              # 实施方案
    "speech_draft": "units",           # 动员讲话稿
    "study_sign_in": "study",          # 学习签到表
    "life_meeting_minutes": "evaluation",  # 专题民主生活会记录
}
# the owning service of an attachment id, by its prefix (shared.edge ids: prefix-12 hex)
ID_PREFIXES = {"units": "fu", "study": "fs", "evaluation": "fe"}
OWNER_BY_PREFIX = {prefix: service for service, prefix in ID_PREFIXES.items()}
ATTACHMENT_ID = re.compile(r"^([a-z]{1,3})-[0-9a-f]{6,}$")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
FILENAME_MAX = 255


@dataclasses.dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]
    label: str
    aliases: tuple[str, ...] = ()  # other declared types browsers send for it


ALLOWED = (
    FileKind("application/pdf", ("pdf",), "PDF"),
    FileKind("image/png", ("png",), "PNG image"),
    FileKind("image/jpeg", ("jpg", "jpeg"), "JPEG image", ("image/jpg", "image/pjpeg")),
    FileKind("application/msword", ("doc",), "Word document (.doc)"),
    FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",),
             "Word document (.docx)"),
    FileKind("application/vnd.ms-excel", ("xls",), "Excel workbook (.xls)"),
    FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",),
             "Excel workbook (.xlsx)"),
)
KIND_BY_TYPE = {kind.content_type: kind for kind in ALLOWED}
# declared types that say nothing about the file: the bytes decide alone
UNINFORMATIVE = ("", "application/octet-stream", "binary/octet-stream")


class TooLarge(DomainError):
    """A file over the size limit (413)."""

    status = 413
    code = "too_large"


def owner_of_purpose(purpose: str) -> str:
    try:
        return PURPOSES[purpose]
    except KeyError:
        raise Rejected(f"purpose {purpose!r} is not one of {', '.join(PURPOSES)}",
                       fields={"purpose": [f"One of: {', '.join(PURPOSES)}."]}) from None


def owner_of_id(attachment_id: str) -> str | None:
    """The service whose database holds the attachment, from its id; None for an id that
    no service mints."""
    match = ATTACHMENT_ID.match(attachment_id or "")
    return OWNER_BY_PREFIX.get(match.group(1)) if match else None


def sniff(data: bytes) -> str | None:
    """The content type the bytes themselves say (magic numbers), or None."""
    kind = filetype.guess(data[:8192])
    return kind.mime if kind is not None else None


def extension_of(filename: str) -> str:
    _stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and _stem else ""


def check_file(filename: str, declared_type: str | None, data: bytes, max_bytes: int) -> str:
    """The file's content type, sniffed from its bytes, once it is allowed: within
    ``max_bytes``, of an allowed kind, named with an extension of that kind, and declared
    (if at all) as that kind. Raises TooLarge or Rejected saying which it is not."""
    if len(data) > max_bytes:
        raise TooLarge(f"the file is {len(data)} bytes; the limit is {max_bytes} bytes",
                       limit_bytes=max_bytes, size=len(data))
    if not data:
        raise Rejected("the file is empty", fields={"file": ["An empty file is not evidence."]})
    allowed = ", ".join(k.label for k in ALLOWED)
    sniffed = sniff(data)
    kind = KIND_BY_TYPE.get(sniffed or "")
    if kind is None:
        what = f"a {sniffed} file" if sniffed else "not a file of a kind the sniffer recognises"
        raise Rejected(f"{filename!r} is {what}; only {allowed} may be attached",
                       fields={"file": [f"Its bytes are {sniffed or 'of no allowed kind'}."]},
                       sniffed=sniffed)
    extension = extension_of(filename)
    if extension not in kind.extensions:
        raise Rejected(f"{filename!r} is named as a .{extension or '(none)'} file but its bytes are a "
                       f"{kind.label}: name it .{kind.extensions[0]}",
                       fields={"file": ["The file name's extension does not match its bytes."]},
                       sniffed=kind.content_type)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in UNINFORMATIVE and declared != kind.content_type and declared not in kind.aliases:
        raise Rejected(f"{filename!r} is declared as {declared} but its bytes are a {kind.label}",
                       fields={"file": ["The declared content type does not match its bytes."]},
                       sniffed=kind.content_type, declared=declared)
    return kind.content_type


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the command and its one event -----------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StoreAttachment:
    actor: Actor
    attachment_id: str
    unit_id: str
    purpose: str
    filename: str
    declared_type: str | None
    data: bytes = dataclasses.field(repr=False)
    max_bytes: int = DEFAULT_MAX_BYTES
    service: str = ""            # the service deciding: it must own the purpose
    unit_known: bool = False     # the handler looked the unit up in the service's records
    stored_on: str | None = None  # today, on the one clock


@dataclasses.dataclass(frozen=True)
class AttachmentStored(Event):
    """A file was stored (its bytes in the owning service's GridFS, keyed by the id)."""

    attachment_id: str
    unit_id: str
    purpose: str
    filename: str
    content_type: str
    size: int
    sha256: str
    stored_on: str | None = None


def stream_of(attachment_id: str) -> str:
    return f"attachment-{attachment_id}"


def fold(history: Iterable[dict]) -> dict | None:
    """The attachment's recorded facts (the event's payload), or None."""
    found = None
    for env in history:
        if env["type"] == "AttachmentStored":
            found = dict(env["payload"])
    return found


UPLOADERS = ("unit", "office")


def decide(state: dict | None, command: StoreAttachment) -> list[Event]:
    """One file, once: the caller may attach to this unit, the purpose is this service's,
    the unit is known here, and the bytes are what the name says."""
    if state is not None:
        raise Conflict(f"attachment {command.attachment_id} is already stored",
                       attachment_id=command.attachment_id)
    actor = command.actor
    if actor.role not in UPLOADERS:
        raise Forbidden(f"a {actor.role} may not attach files; a unit attaches its own, or the office",
                        actor_role=actor.role)
    if actor.role == "unit" and actor.scope != command.unit_id:
        raise Forbidden("a unit may attach files only to its own records", unit=command.unit_id,
                        your_unit=actor.scope)
    owner = owner_of_purpose(command.purpose)
    if command.service and owner != command.service:
        raise Rejected(f"files for {command.purpose} are kept by the {owner} service, not "
                       f"{command.service}", purpose=command.purpose, owner=owner)
    if not command.unit_known:
        raise NotFound(f"no unit {command.unit_id} is known to the {command.service or owner} service",
                       unit_id=command.unit_id)
    filename = command.filename.strip()
    if not filename or len(filename) > FILENAME_MAX or any(c in filename for c in "/\\\x00"):
        raise Rejected("the file needs a plain name of 1 to 255 characters (no path)",
                       fields={"file": ["A plain file name is required."]})
    content_type = check_file(filename, command.declared_type, command.data, command.max_bytes)
    return [AttachmentStored(attachment_id=command.attachment_id, unit_id=command.unit_id,
                             purpose=command.purpose, filename=filename, content_type=content_type,
                             size=len(command.data), sha256=sha256_hex(command.data),
                             stored_on=command.stored_on)]


# --- what the ledger asks: do these ids name this unit's files of this purpose? ---------

def check_attachments(found: dict[str, dict | None], attachment_ids: Iterable[str], unit_id: str,
                      purposes: str | Iterable[str]) -> list[dict]:
    """The recorded facts of each of ``attachment_ids`` (``found``: id -> its
    ``AttachmentStored`` payload, None when not stored here), once every one exists,
    belongs to ``unit_id`` and has one of ``purposes``. Otherwise Rejected, naming each id
    that is missing, another unit's, or of another purpose."""
    wanted = (purposes,) if isinstance(purposes, str) else tuple(purposes)
    problems: dict[str, str] = {}
    facts = []
    for attachment_id in attachment_ids:
        doc = found.get(attachment_id)
        if doc is None:
            problems[attachment_id] = "no such attachment"
        elif doc["unit_id"] != unit_id:
            problems[attachment_id] = "belongs to another unit"
        elif doc["purpose"] not in wanted:
            problems[attachment_id] = f"is {doc['purpose']}, not {' or '.join(wanted)}"
        else:
            facts.append(doc)
    if problems:
        raise Rejected(f"{len(problems)} of the attachments named are not {unit_id}'s "
                       f"{' or '.join(wanted)}", attachments=problems)
    return facts
