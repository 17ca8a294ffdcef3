"""Small real files of every allowed kind, built in memory for the evidence-file tests."""
from __future__ import annotations

import io
import struct
import zlib

from assembly.demo.loader import evidence_pdf


def pdf(text: str = "Dudao evidence") -> bytes:
    """A valid one-page PDF (a few hundred bytes) with a correct cross-reference table: the
    demo county's evidence file, one builder for both."""
    return evidence_pdf(text)


def png(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A valid RGB PNG; ``seed`` varies the pixels (and so the hash)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes((seed + x + y) % 256 for x in range(width * 3)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def noisy_png(size: int) -> bytes:
    """A PNG of about ``size`` bytes that does not compress (for chunking: GridFS keeps 255 KiB
    chunks)."""
    import random
    rnd = random.Random(size)
    side = int((size / 3) ** 0.5) + 1

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + rnd.randbytes(side * 3) for _ in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


def jpeg() -> bytes:
    """The start of a JFIF JPEG: what the sniffer reads (SOI, APP0 JFIF)."""
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + b"\xff\xdb\x00\x43\x00" + bytes(64) + b"\xff\xd9")


def docx(text: str = "整改措施") -> bytes:
    import docx as python_docx
    document = python_docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    import openpyxl
    book = openpyxl.Workbook()
    book.active["A1"] = "签到"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def doc() -> bytes:
    """An OLE2 compound file whose first sector is a Word 97 FIB (what the sniffer reads)."""
    return OLE + bytes(504) + b"\xec\xa5\xc1\x00" + bytes(1024)


def xls() -> bytes:
    """An OLE2 compound file whose first sector starts as an Excel 97 workbook's."""
    return OLE + bytes(504) + b"\xfd\xff\xff\xff\x00\x00\x00\x00" + bytes(1024)
