"""Ballot slips (issue 19 item 4): what anyone can check about them from the log alone.

A draw issues one slip per sampled person; its token is random and returned once, on the
printed slips. The log keeps the tokens' SHA-256 hashes, sorted, in ``SlipsIssued`` — an
event apart from ``SampleDrawn`` (the people), so no stored document holds both a person
and a token hash. A ``BallotCast`` spends one hash. ``verify_slips`` re-counts them:

* every spent hash was issued for this survey;
* no hash was spent twice;
* so ``used <= issued``.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable


def verify_slips(envelopes: Iterable[dict[str, Any]], survey_id: str) -> dict[str, Any]:
    issued: list[str] = []
    spent: list[str] = []
    for env in envelopes:
        payload = env.get("payload", {})
        if payload.get("survey_id") != survey_id:
            continue
        if env.get("type") in ("SlipsIssued", "SampleDrawn"):  # SampleDrawn: logs before issue 19
            issued.extend(payload.get("token_hashes") or [])
        elif env.get("type") == "BallotCast":
            spent.append(payload.get("token_hash"))
    issued_set = set(issued)
    twice = sorted(h for h, n in Counter(spent).items() if n > 1)
    unissued = sorted({h for h in spent if h not in issued_set})
    checks = {
        "slips_distinct": len(issued_set) == len(issued),
        "used_within_issued": len(spent) <= len(issued_set),
        "every_spent_slip_issued": not unissued,
        "no_slip_counted_twice": not twice,
    }
    return {"survey_id": survey_id, "ok": all(checks.values()), "checks": checks,
            "issued": len(issued_set), "used": len(spent),
            "unused": max(len(issued_set) - len(set(spent) & issued_set), 0),
            "issued_hashes": sorted(issued_set), "spent_hashes": sorted(spent),
            "spent_not_issued": unissued, "spent_twice": twice}
