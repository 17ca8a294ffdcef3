"""Each consumer's inbox checkpoints held against its sources' logs.

A log's own chain can hold while the services disagree: a database that lost an
acknowledged write (a crash behind what the relay had already published) ends its log
before what the consumers applied, or writes another event at that position, and its chain
is still whole. Each consumer's checkpoint keeps, per source, the position applied up to and
the hash of the event there (shared.inbox), so for every consumer x source pair:

- ``ok``: the source's log holds that very event (or nothing was applied yet);
- ``ahead``: the source's log holds no event at that position: events the consumer
  applied were lost from the source;
- ``forked``: the source holds another event there (another hash);
- ``unchecked``: the source holds an event there, but the checkpoint was kept before
  checkpoints kept hashes (it keeps one from the next event applied). Not a failure.

Pure over two lookups, so the CLI feeds it from the databases and the gateway over RPCs
(shared.audit.remote). Read each checkpoint before its source: the source only grows, so a
consumer still applying cannot look ahead of it."""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

EventAt = Callable[[str, int], "dict | None"]  # (source, position) -> the envelope there, or None
HeadOf = Callable[[str], dict]  # source -> its recorded head {position, hash}

FAILING = ("ahead", "forked")


def verdict(chains: Mapping[str, dict], consumers: dict) -> dict:
    """What ``verify`` answers, on the CLI and over HTTP alike: every log's own chain
    (``services``) and every consumer's checkpoints against its sources (``checkpoints``,
    from ``check``); ``ok`` only if both hold."""
    ok = all(r.get("ok") for r in chains.values()) and consumers["ok"]
    return {"ok": ok, "services": dict(chains), "checkpoints": consumers}


def check(checkpoints: Mapping[str, Iterable[dict]], event_at: EventAt, head_of: HeadOf) -> dict:
    """``checkpoints``: {consumer: [{source, position, hash}]} (shared.inbox.kept_checkpoints).
    ``ok`` is false when any pair is ahead or forked."""
    pairs = [compare(consumer, kept, event_at, head_of)
             for consumer, kept_ones in checkpoints.items() for kept in kept_ones]
    return {"ok": not any(p["status"] in FAILING for p in pairs), "pairs": pairs}


def compare(consumer: str, kept: dict, event_at: EventAt, head_of: HeadOf) -> dict:
    source, position, applied = kept["source"], kept["position"], kept.get("hash")
    pair = {"service": consumer, "source": source, "position": position, "applied_hash": applied}
    if position == 0:
        return {**pair, "status": "ok", "source_hash": None}  # nothing applied yet
    theirs = event_at(source, position)
    if theirs is None:
        head = head_of(source)["position"]
        return {**pair, "status": "ahead", "source_hash": None, "source_head": head,
                "message": f"{consumer} applied {source} up to #{position} (hash {applied}), but "
                           f"the {source} log holds no event there (its head is #{head}): events "
                           f"{consumer} applied were lost from {source}"}
    pair["source_hash"] = theirs["hash"]
    if applied is None:
        return {**pair, "status": "unchecked",
                "message": f"{consumer}'s checkpoint of {source} (#{position}) was kept before "
                           f"checkpoints kept hashes; it keeps one from the next event applied"}
    if applied != theirs["hash"]:
        return {**pair, "status": "forked",
                "message": f"{consumer} applied {source} #{position} with hash {applied}; the "
                           f"{source} log holds {theirs['hash']} there"}
    return {**pair, "status": "ok"}


def render(pair: dict) -> str:
    """One line for the terminal."""
    where = f"{pair['service']} <- {pair['source']}"
    if pair["status"] == "ok":
        if pair["position"] == 0:
            return f"{where}: ok, nothing applied yet"
        return f"{where}: ok at #{pair['position']} {pair['applied_hash']}"
    status = pair["status"].upper() if pair["status"] in FAILING else pair["status"]
    return f"{where}: {status}: {pair['message']}"
