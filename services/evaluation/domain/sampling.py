"""The survey draw: a documented, deterministic, re-runnable random sample.

R12: "督导组要在所在单位党组织通报情况的范围内随机抽样调查" — the group samples at random,
only inside the scope the unit notified. To hold up to challenge the draw must be
re-runnable by anyone from the log alone, and nobody may steer it:

* the frame (the notified scope) is frozen into ``SurveyOpened`` when the survey opens;
* the seed is committed as ``sha256(seed)`` in ``SurveyOpened``, before the draw;
* at the draw the seed is revealed (``SampleDrawn.seed``) together with an optional
  ``public_entropy`` string supplied at the draw (e.g. dice rolled at the meeting, or a
  lottery number). Because the seed was fixed before that string was known, and that
  string was chosen without knowing the seed, neither party alone can pick the sample.

Algorithm ``dudao-sample-v1`` (also in services/evaluation/SAMPLING.md):

1. ``ordered = sorted(frame)`` — by Unicode code point (= UTF-8 byte order), so the
   order the unit listed people in does not matter.
2. ``key = SHA-256(UTF-8(seed) || 0x0A || UTF-8(public_entropy))`` (32 bytes).
3. A counter ``c`` starts at 0. ``block(c) = HMAC-SHA256(key, c as 8-byte big-endian)``;
   every block consumed increments ``c``.
4. ``below(m)`` draws an unbiased integer in ``[0, m)``: take ``r`` = the first 8 bytes of
   the next block as a big-endian unsigned integer; accept if
   ``r < 2**64 - (2**64 mod m)`` and return ``r mod m``, else take the next block.
5. Partial Fisher–Yates: for ``i`` in ``0 .. k-1``: ``j = i + below(n - i)``; swap
   ``ordered[i]`` and ``ordered[j]``.
6. The sample is ``ordered[0:k]``, in that order.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any, Iterable, Sequence

from services.evaluation.domain.hashing import sha256_hex

ALGORITHM = "dudao-sample-v1"
_SPACE = 2 ** 64


class SampleTooLarge(ValueError):
    pass


def draw_key(seed: str, public_entropy: str = "") -> bytes:
    return hashlib.sha256(seed.encode("utf-8") + b"\n" + public_entropy.encode("utf-8")).digest()


class _Stream:
    """The HMAC-SHA256 counter stream of step 3, with the unbiased ``below`` of step 4."""

    def __init__(self, key: bytes):
        self._key = key
        self.counter = 0

    def _next64(self) -> int:
        block = hmac.new(self._key, self.counter.to_bytes(8, "big"), hashlib.sha256).digest()
        self.counter += 1
        return int.from_bytes(block[:8], "big")

    def below(self, m: int) -> int:
        # rejection sampling: a plain ``r % m`` would favour small values
        limit = _SPACE - (_SPACE % m)
        while True:
            r = self._next64()
            if r < limit:
                return r % m


def draw_sample(frame: Sequence[str], size: int, seed: str, public_entropy: str = "") -> list[str]:
    """Select ``size`` entries of ``frame`` by algorithm dudao-sample-v1 (module docstring)."""
    ordered = sorted(frame)
    n = len(ordered)
    if size < 0 or size > n:
        raise SampleTooLarge(f"cannot draw {size} from a frame of {n}")
    stream = _Stream(draw_key(seed, public_entropy))
    for i in range(size):
        j = i + stream.below(n - i)
        ordered[i], ordered[j] = ordered[j], ordered[i]
    return ordered[:size]


def verify_draw(opened: dict[str, Any], drawn: dict[str, Any]) -> dict[str, Any]:
    """Re-run a survey's draw from its stored ``SurveyOpened`` and ``SampleDrawn``
    payloads alone and compare with what was drawn. Pure; the audit reuses it."""
    seed = drawn.get("seed", "")
    entropy = drawn.get("public_entropy", "") or ""
    algorithm_known = drawn.get("algorithm", ALGORITHM) == ALGORITHM
    commitment_ok = sha256_hex(seed) == opened.get("seed_hash")
    size = opened.get("sample_size", 0)
    try:
        expected = draw_sample(opened.get("frame", []), size, seed, entropy)
    except SampleTooLarge:
        expected = None
    recorded = list(drawn.get("sample", []))
    checks = {
        "same_survey": opened.get("survey_id") == drawn.get("survey_id"),
        "algorithm_known": algorithm_known,
        "seed_matches_commitment": commitment_ok,
        "sample_size_matches": len(recorded) == size,
        "sample_matches": expected == recorded,
    }
    return {
        "survey_id": opened.get("survey_id"),
        "ok": all(checks.values()),
        "checks": checks,
        "expected_sample": expected,
        "drawn_sample": recorded,
    }


def verify_survey_log(envelopes: Iterable[dict[str, Any]], survey_id: str) -> dict[str, Any]:
    """``verify_draw`` over a service log (envelope dicts): finds the survey's
    ``SurveyOpened`` and ``SampleDrawn`` by type and ``payload.survey_id``."""
    opened = drawn = None
    for env in envelopes:
        payload = env.get("payload", {})
        if payload.get("survey_id") != survey_id:
            continue
        if env.get("type") == "SurveyOpened":
            opened = payload
        elif env.get("type") == "SampleDrawn":
            drawn = payload
    if opened is None or drawn is None:
        return {"survey_id": survey_id, "ok": False,
                "checks": {"opened_found": opened is not None, "draw_found": drawn is not None},
                "expected_sample": None, "drawn_sample": (drawn or {}).get("sample")}
    return verify_draw(opened, drawn)
