"""Ballot slips (issue 17 item 2): one per sampled person, with the survey, the link to the
ballot page with the slip's token, and a QR code of that link (``segno``, inline SVG).

Rendered only in the draw's answer (services.gateway.dashboard.surveys_act.draw): the
pairing of a person with a slip is never stored (issue 19)."""
from __future__ import annotations

import segno
from markupsafe import Markup
from werkzeug.wrappers import Request

from services.gateway.dashboard import forms


def qr_svg(link: str) -> Markup:
    """The link as a QR code, an inline SVG (escaped data: segno writes only its own markup)."""
    code = segno.make(link, error="m")
    return Markup(code.svg_inline(scale=4, border=2, title="测评票二维码"))


def slip(person: str, link: str) -> dict:
    return {"person": person, "link": link, "qr": qr_svg(link)}


def site(request: Request, trusted_proxies=()) -> str:
    """scheme://host the person's browser used, so the slips' links reach this gateway."""
    scheme = "https" if forms.over_tls(request, trusted_proxies) else "http"
    return f"{scheme}://{forms.own_host(request, trusted_proxies)}"
