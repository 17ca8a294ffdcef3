"""Evidence files' bytes in a service's own database, with GridFS (the standard pymongo
``gridfs`` API: it runs unchanged on MongoDB and on SecantusDB).

A file is written first, keyed by its attachment id, and only then is ``AttachmentStored``
appended (shared.service_kit.attachments): a crash between the two leaves a file no event
names, which nothing serves (a download starts from the event) and ``orphans`` lists for
cleaning. A file is never overwritten once its event exists.

``verify`` holds every stored file against the size and sha256 its event recorded, so a
byte changed in a GridFS chunk is found by ``dudao audit verify`` (and GET /audit/verify),
which name the attachment."""
from __future__ import annotations

import hashlib

import gridfs
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

BUCKET = "attachments"  # collections attachments.files and attachments.chunks
EVENT = "AttachmentStored"


class FileChanged(Exception):
    """The stored bytes no longer match the sha256 their event recorded."""

    def __init__(self, attachment_id: str, found: str, recorded: str):
        super().__init__(f"attachment {attachment_id}: the stored bytes hash to {found}, "
                         f"its event recorded {recorded}")
        self.attachment_id, self.found, self.recorded = attachment_id, found, recorded


class AttachmentFiles:
    def __init__(self, db: Database):
        self.db = db
        self.bucket = gridfs.GridFSBucket(db, bucket_name=BUCKET)
        self.files = db[f"{BUCKET}.files"]

    def put(self, attachment_id: str, filename: str, content_type: str, data: bytes, sha256: str) -> bool:
        """Store the bytes under the id; True when this call wrote them. A file already
        there with the same sha256 (a retry) is kept; one with other bytes is an orphan of
        an attempt that never got its event (the caller checked there is none) and is
        replaced."""
        existing = self.files.find_one({"_id": attachment_id}, {"metadata": 1})
        if existing is not None:
            if (existing.get("metadata") or {}).get("sha256") == sha256:
                return False
            self.delete(attachment_id)
        try:
            self.bucket.upload_from_stream_with_id(
                attachment_id, filename, data,
                metadata={"content_type": content_type, "sha256": sha256, "size": len(data)})
        except (DuplicateKeyError, gridfs.errors.FileExists):
            # a concurrent retry of the same request wrote it first
            again = self.files.find_one({"_id": attachment_id}, {"metadata": 1})
            if again is None or (again.get("metadata") or {}).get("sha256") != sha256:
                raise
            return False
        return True

    def read(self, attachment_id: str) -> bytes | None:
        try:
            return self.bucket.open_download_stream(attachment_id).read()
        except gridfs.errors.NoFile:
            return None
        except gridfs.errors.CorruptGridFile:  # a chunk missing or of the wrong length
            return b""

    def read_checked(self, attachment_id: str, recorded_sha256: str) -> bytes | None:
        """The bytes, once they hash to what the event recorded (else FileChanged)."""
        data = self.read(attachment_id)
        if data is None:
            return None
        found = hashlib.sha256(data).hexdigest()
        if found != recorded_sha256:
            raise FileChanged(attachment_id, found, recorded_sha256)
        return data

    def digest(self, attachment_id: str) -> tuple[int, str] | None:
        """(size, sha256) of the stored bytes, read chunk by chunk; None if no file."""
        try:
            stream = self.bucket.open_download_stream(attachment_id)
        except gridfs.errors.NoFile:
            return None
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in iter(lambda: stream.readchunk(), b""):
                digest.update(chunk)
                size += len(chunk)
        except gridfs.errors.CorruptGridFile:
            return (-1, "corrupt: a chunk is missing or of the wrong length")
        return size, digest.hexdigest()

    def delete(self, attachment_id: str) -> None:
        try:
            self.bucket.delete(attachment_id)  # also drops the chunks of a half-written file
        except gridfs.errors.NoFile:
            pass

    def orphans(self, uploaded_before=None) -> list[str]:
        """Files no ``AttachmentStored`` event names: attempts that never got their event.
        ``uploaded_before`` (a UTC datetime) leaves out younger files, whose upload may still
        be about to append its event."""
        query = {"uploadDate": {"$lt": uploaded_before}} if uploaded_before is not None else {}
        candidates = [doc["_id"] for doc in self.files.find(query, {"_id": 1})]
        recorded = set(recorded_ids(self.db)) if candidates else set()
        return [attachment_id for attachment_id in candidates if attachment_id not in recorded]


def recorded(db: Database):
    """Every ``AttachmentStored`` envelope of the service's log, in position order."""
    return db["events"].find({"type": EVENT}).sort("_id", 1)


def recorded_ids(db: Database) -> list[str]:
    return [env["payload"]["attachment_id"] for env in recorded(db)]


def verify(db: Database) -> dict:
    """Every file an event recorded, held against its size and sha256:
    {"ok", "checked", "failures": [{"attachment_id", "position", "reason"}]}."""
    files = AttachmentFiles(db)
    failures, checked = [], 0
    for env in recorded(db):
        payload = env["payload"]
        attachment_id = payload["attachment_id"]
        checked += 1
        found = files.digest(attachment_id)
        reason = None
        if found is None:
            reason = "its file is missing from GridFS"
        elif found[1] != payload["sha256"]:
            reason = f"its stored bytes hash to {found[1]}, the event recorded {payload['sha256']}"
        elif found[0] != payload["size"]:
            reason = f"its stored file is {found[0]} bytes, the event recorded {payload['size']}"
        if reason:
            failures.append({"attachment_id": attachment_id, "position": env["position"],
                             "unit_id": payload.get("unit_id"), "reason": f"attachment {attachment_id}: {reason}"})
    return {"ok": not failures, "checked": checked, "failures": failures}


def with_files(chain: dict, db: Database) -> dict:
    """A log's verify result with its stored files checked too: not ok if one changed."""
    files = verify(db)
    result = {**chain, "attachments": files}
    if not files["ok"]:
        result["ok"] = False
    return result
