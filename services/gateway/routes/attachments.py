"""Evidence files (issue 16 item 4). The gateway answers these itself: it reads the
multipart upload (within DUDAO_ATTACHMENT_MAX_BYTES) and sends the bytes by RPC to the
service the purpose names (shared.attachments.PURPOSES); a download goes to the service the
attachment id's prefix names. That service checks the file, stores it and decides who may
read it (the scope of the file's unit)."""
from services.gateway.routes import READERS, Route
from services.gateway.routes.shapes import BINARY, ID, INT, STR, one_of, record
from shared.attachments import ALLOWED, FILENAME_MAX, PURPOSES

STORED = record(attachment_id=ID, unit_id=ID, purpose=one_of(*PURPOSES), filename=STR,
                content_type=one_of(*(k.content_type for k in ALLOWED)), size=INT,
                sha256={"type": "string", "pattern": "^[0-9a-f]{64}$"})
UPLOAD = {"type": "object", "required": ["file", "unit_id", "purpose"], "additionalProperties": False,
          "properties": {
              "file": {"type": "string", "format": "binary",
                       "description": "the file; its content type is sniffed from its bytes and must "
                                      "be PDF, PNG, JPEG, Word (.doc/.docx) or Excel (.xls/.xlsx), "
                                      "matching its name's extension"},
              "unit_id": {"type": "string", "minLength": 1, "maxLength": 100},
              "purpose": one_of(*PURPOSES),
              "filename": {"type": "string", "minLength": 1, "maxLength": FILENAME_MAX,
                           "description": "the name to keep, if not the file part's own"}}}

ROUTES = [
    Route("POST", "/attachments", "gateway", "upload_attachment", ("office", "unit"), 201,
          "Upload an evidence file (multipart/form-data: file, unit_id, purpose) -> "
          "{attachment_id, sha256, size, content_type}; the purpose decides which service keeps it",
          body=UPLOAD, body_media_type="multipart/form-data", result=STORED),
    Route("GET", "/attachments/<id>", "gateway", "download_attachment", READERS, 200,
          "Download an evidence file, under the read scope of its unit",
          args={"id": "attachment_id"}, result=BINARY, media_type=ALLOWED[0].content_type,
          media_types=tuple(k.content_type for k in ALLOWED)),
]
