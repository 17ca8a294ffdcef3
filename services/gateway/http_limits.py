"""The gateway's limits on what precedes a request's body, and JSON for what breaks them.

eventlet's web server (under nameko's WebServer) reads the request line and the headers
before any WSGI code runs, and answers what it cannot take itself with an empty or a
plain-text body (``400 Header Line Too Long``, ``414``, a bad ``Content-Length``) or with
http.server's HTML error page (bad syntax, too many headers). ``LimitedProtocol`` keeps
eventlet's reading and puts the gateway's own limits and answers in place: the same JSON
``{"error", "message", "details"}`` with the security headers as every other refusal,
``Connection: close``, and the connection drained briefly before it closes so that the
client reads the answer instead of a reset."""
from __future__ import annotations

import json
import re
import socket
import time
from http import HTTPStatus

from nameko.web.server import HttpOnlyProtocol

from services.gateway.app import harden_headers

REQUEST_LINE_MAX = 8192    # bytes of the request line ("GET /path?query HTTP/1.1"): 414
HEADER_LINE_MAX = 8192     # bytes of one header line: 431
HEADERS_MAX = 65536        # bytes of all header lines together: 431
HEADER_COUNT_MAX = 100     # header lines: 431 (http.client's own limit, kept)
LINGER_SECONDS = 2.0       # at most this long, and
LINGER_BYTES = 1 << 20     # at most this much, read and dropped after a refusal

CONTENT_LENGTH = re.compile(r"\s*[0-9]+\s*")
CODES = {HTTPStatus.REQUEST_URI_TOO_LONG: "too_large",
         HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: "too_large",
         HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: "bad_request"}


class HeadersOverLimit(Exception):
    def __init__(self, message: str, limit: int):
        super().__init__(message)
        self.limit = limit


class HeaderReader:
    """Hands http.client the header lines, holding them to HEADER_LINE_MAX each and
    HEADERS_MAX together (in place of eventlet's FileObjectForHeaders, whose limits are
    module constants of its own)."""

    def __init__(self, fp):
        self.fp = fp
        self.total = 0

    def readline(self, size: int = -1) -> bytes:
        line = self.fp.readline(HEADER_LINE_MAX + 1)
        if len(line) > HEADER_LINE_MAX:
            raise HeadersOverLimit(f"a header line is longer than {HEADER_LINE_MAX} bytes",
                                   HEADER_LINE_MAX)
        self.total += len(line)
        if self.total > HEADERS_MAX:
            raise HeadersOverLimit(f"the headers are larger than {HEADERS_MAX} bytes together",
                                   HEADERS_MAX)
        return line


class LimitedProtocol(HttpOnlyProtocol):
    """nameko's protocol (eventlet's HttpProtocol) with the limits above, refused as JSON.
    It overrides three methods of eventlet 0.41 / http.server that eventlet's
    ``handle_one_request`` calls: ``_read_request_line``, ``parse_request`` and
    ``send_error``."""

    def _read_request_line(self):
        line = super()._read_request_line()  # reads at most server.url_length_limit bytes
        if len(line) >= self.server.url_length_limit:
            self.refuse(HTTPStatus.REQUEST_URI_TOO_LONG,
                        f"the request line (method, path and query) is longer than "
                        f"{REQUEST_LINE_MAX} bytes", limit_bytes=REQUEST_LINE_MAX)
            return ""  # eventlet ends the connection without writing anything itself
        return line

    def parse_request(self):
        self.rfile = HeaderReader(getattr(self.rfile, "fp", self.rfile))  # eventlet restores it
        try:
            if not super().parse_request():
                return False
        except HeadersOverLimit as over:
            self.refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, str(over), limit_bytes=over.limit)
            return False
        return self._framing_ok()

    def _framing_ok(self) -> bool:
        """eventlet's own checks of how the body is framed, made first to answer them as JSON."""
        length = self.headers.get("Content-Length")
        if length is None:
            return True
        if not CONTENT_LENGTH.fullmatch(length):
            self.refuse(HTTPStatus.BAD_REQUEST, "Content-Length is not a number of bytes")
            return False
        if self.headers.get("Transfer-Encoding") is not None:  # request smuggling's shape
            self.refuse(HTTPStatus.BAD_REQUEST, "Content-Length and Transfer-Encoding are not "
                        "allowed together")
            return False
        return True

    def send_error(self, code, message=None, explain=None):
        """http.server's refusals (a malformed request line, too many headers, HTTP/2 over
        plain HTTP/1 framing) as JSON; its message is not echoed: it quotes the request."""
        status = HTTPStatus(code)
        if status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            self.refuse(status, f"the request has more than {HEADER_COUNT_MAX} header lines",
                        limit_lines=HEADER_COUNT_MAX)
        else:
            self.refuse(status, f"the request could not be read as HTTP/1.1 ({status.phrase})")

    def refuse(self, status: HTTPStatus, message: str, **details) -> None:
        code = CODES.get(status, "bad_request")
        body = json.dumps({"error": code, "message": message, "details": details}).encode()
        headers = harden_headers("", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body))), ("Connection", "close")])
        head = f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
        try:
            self.wfile.write(head.encode("latin-1") + body)
            self.wfile.flush()
        except OSError:  # the client is gone
            pass
        self.close_connection = True
        self._drain()

    def _drain(self) -> None:
        """Half-close, then read and drop what the client is still sending (bounded), so
        that closing a socket with unread data does not reset the answer away."""
        deadline = time.monotonic() + LINGER_SECONDS
        dropped = 0
        try:
            self.connection.shutdown(socket.SHUT_WR)
            while dropped < LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.connection.settimeout(left)
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                dropped += len(chunk)
        except OSError:  # a timeout or a reset: the connection is closed next anyway
            pass
