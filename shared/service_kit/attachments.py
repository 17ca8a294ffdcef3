"""Evidence files as RPCs of the service that owns them (issue 16 item 4): each owning
service (units, study, evaluation) declares

    store_attachment = endpoint(store_schema("units"), store_handler(unit_known))
    read_attachment = endpoint(AttachmentQuerySchema, read_handler(group_of))

``store_attachment(unit_id, purpose, filename, content_type, content_base64, actor,
idempotency_key)`` checks the file (shared.attachments.decide: who, the purpose, the unit,
the size limit, the sniffed type) before a byte is written, writes the bytes to GridFS
keyed by the attachment id, then appends ``AttachmentStored``; if the append fails the
file is removed, and a crash in between leaves only an orphan no event names. A retry
with the same idempotency key derives the same attachment id (shared.edge) and answers the
first outcome without writing again.

``read_attachment(attachment_id, actor)`` answers the file (``{"__file__": …}``, as the
gateway streams a file) under the read scope of its unit (shared.access), once its bytes
still hash to what the event recorded.

``stored_attachments`` / ``attachments_of_unit`` are what the rectification ledger calls
to check the attachment ids a command names (shared.attachments.check_attachments)."""
from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Callable, Iterable

from marshmallow import ValidationError, fields, validate, validates

from shared import access
from shared import attachments as A
from shared.attachment_files import AttachmentFiles, FileChanged
from shared.clock import today
from shared.config import settings
from shared.domain import Actor, Conflict, NotFound
from shared.edge import CommandSchema
from shared.schema_fields import StrictSchema

# (service, unit_id) -> whether the unit is known to this service / the unit's group
UnitKnown = Callable[[object, str], bool]
GroupOf = Callable[[object, str], "str | None"]


class StoreAttachmentSchema(CommandSchema):
    """A file for one record of one unit: its purpose decides the service that keeps it."""
    unit_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    purpose = fields.String(required=True, validate=validate.OneOf(tuple(A.PURPOSES)))
    filename = fields.String(required=True, validate=validate.Length(min=1, max=A.FILENAME_MAX))
    # what the client declared (the multipart part's Content-Type); the bytes decide
    content_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    content_base64 = fields.String(required=True)

    @validates("content_base64")
    def _is_base64(self, value, **kwargs):
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("The file's bytes, base64-encoded.") from None

    def make(self, data, edge):
        owner = A.PURPOSES[data["purpose"]]
        return A.StoreAttachment(actor=edge.actor, attachment_id=edge.new_id(A.ID_PREFIXES[owner]),
                                 unit_id=data["unit_id"], purpose=data["purpose"],
                                 filename=data["filename"], declared_type=data["content_type"],
                                 data=base64.b64decode(data["content_base64"]))


def store_schema(service: str) -> type:
    """The upload's schema of one owning service: only the purposes it keeps."""
    purposes = tuple(p for p, owner in A.PURPOSES.items() if owner == service)

    class Schema(StoreAttachmentSchema):
        purpose = fields.String(required=True, validate=validate.OneOf(purposes))

    Schema.__name__ = f"StoreAttachment{service.title()}Schema"
    return Schema


class AttachmentQuerySchema(StrictSchema):
    attachment_id = fields.String(required=True, validate=validate.Length(min=1, max=100))


def _answer(facts: dict) -> dict:
    return {name: facts[name] for name in ("attachment_id", "unit_id", "purpose", "filename",
                                          "content_type", "size", "sha256")}


def store_handler(unit_known: UnitKnown):
    def store_attachment(service, command: A.StoreAttachment, actor: Actor) -> dict:
        """Store an evidence file (HTTP: the gateway's multipart `POST /api/v1/attachments`).

        Answers {attachment_id, unit_id, purpose, filename, content_type, size, sha256}."""
        command = dataclasses.replace(command, service=service.name, stored_on=today(),
                                      max_bytes=settings().attachment_max_bytes,
                                      unit_known=unit_known(service, command.unit_id))
        storage = service.storage
        stream = A.stream_of(command.attachment_id)
        if storage.load(stream):  # a retry of a stored request: its first outcome, or a 409
            appended = storage.execute(stream, A.decide, A.fold, command, actor=actor)
            return _answer(A.fold(appended) or A.fold(storage.load(stream)))
        [event] = A.decide(None, command)  # every refusal before a byte is written
        files = AttachmentFiles(storage.db)
        wrote = files.put(event.attachment_id, event.filename, event.content_type, command.data,
                          event.sha256)
        try:
            appended = storage.execute(stream, A.decide, A.fold, command, actor=actor)
        except BaseException:
            if wrote and not storage.load(stream):
                files.delete(event.attachment_id)
            raise
        return _answer(A.fold(appended))

    return store_attachment


def read_handler(group_of: GroupOf):
    def read_attachment(service, query: dict, actor: Actor) -> dict:
        """An evidence file, under its unit's read scope (HTTP: `GET /api/v1/attachments/{id}`).

        Answers {"__file__": {filename, media_type, content_base64}}."""
        attachment_id = query["attachment_id"]
        facts = A.fold(service.storage.load(A.stream_of(attachment_id)))
        if facts is None:
            raise NotFound(f"no attachment {attachment_id}", attachment_id=attachment_id)
        unit_id = facts["unit_id"]
        group_id = group_of(service, unit_id) if actor.role == "supervisor" else None
        access.check_read_unit(actor, unit_id, group_id)
        try:
            data = AttachmentFiles(service.storage.db).read_checked(attachment_id, facts["sha256"])
        except FileChanged as changed:
            raise Conflict(f"{changed}; it is not served (dudao audit verify names it)",
                           attachment_id=attachment_id) from None
        if data is None:
            raise NotFound(f"the file of attachment {attachment_id} is missing", attachment_id=attachment_id)
        return {"__file__": {"filename": facts["filename"], "media_type": facts["content_type"],
                             "content_base64": base64.b64encode(data).decode("ascii")}}

    return read_attachment


# --- what the ledger calls ------------------------------------------------------------------

def stored_attachments(storage, attachment_ids: Iterable[str]) -> dict[str, dict | None]:
    """attachment id -> its AttachmentStored facts in this service's log, or None."""
    return {attachment_id: A.fold(storage.load(A.stream_of(attachment_id)))
            for attachment_id in attachment_ids}


def attachments_of_unit(storage, attachment_ids: Iterable[str], unit_id: str, purposes) -> list[dict]:
    """The facts of each id once all are stored here, ``unit_id``'s and of ``purposes``;
    Rejected naming each one that is not (shared.attachments.check_attachments)."""
    ids = list(attachment_ids)
    return A.check_attachments(stored_attachments(storage, ids), ids, unit_id, purposes)
