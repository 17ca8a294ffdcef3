"""The gateway's generic input limits, for every route (README: Input limits).

A JSON body is refused before any service sees it when it is larger than the configured
size (413), nested deeper than ``MAX_DEPTH`` (checked by a linear scan *before*
``json.loads``, so a deep body never reaches the recursive decoder), not UTF-8 or not JSON
(400), or when any string in it, member names included, holds a lone surrogate, a control
character or more than ``MAX_STRING`` characters, or any number is an integer beyond
±2**53 or not finite (422, naming the field's path). Query-string values get the same
string and integer checks. Pure: no framework, no I/O."""
from __future__ import annotations

import itertools
import json
import math
import re

MAX_DEPTH = 32
MAX_STRING = 20_000
MAX_INT = 2 ** 53
MAX_REPORTED = 10  # fields named in one refusal

# C0 controls except \t \n \r, DEL and the C1 controls
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
# what the depth scan removes: every whole JSON string (brackets inside one do not nest),
# and from a quote that opens a string never closed to the end (the decoder fails there).
# Unrolled, so each string is matched once, in linear time.
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|".*', re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_NESTING = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_INTEGER = re.compile(r"[+-]?[0-9]+")


class InputError(ValueError):
    """A refusal: ``status``, ``code``, ``message`` and the ``details`` of the JSON error."""

    def __init__(self, status: int, code: str, message: str, **details):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Does the JSON text nest arrays/objects deeper than ``limit``? Never recurses; linear."""
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(itertools.accumulate(map(_NESTING.__getitem__, map(ord, brackets))),
               default=0) > limit


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes):
    """The decoded JSON value of a body (any type), or ``InputError``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(400, "bad_request", "the body is not valid JSON: it is not UTF-8") from None
    if too_deep(text):
        raise InputError(400, "bad_request",
                         f"the body is nested deeper than {MAX_DEPTH} levels", max_depth=MAX_DEPTH)
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:  # RecursionError: cannot happen after too_deep
        raise InputError(400, "bad_request", f"the body is not valid JSON: {_short(str(err))}") from None
    problems = {}
    check_value(value, (), problems)
    if problems:
        raise InputError(422, "invalid", "the request does not match the input limits",
                         fields=problems)
    return value


def check_value(value, path: tuple, problems: dict) -> None:
    """Record in ``problems`` (path -> [message]) what breaks the limits, up to MAX_REPORTED.
    ``value`` comes from ``parse_json``, so it is at most MAX_DEPTH deep."""
    if len(problems) >= MAX_REPORTED:
        return
    if isinstance(value, str):
        why = string_problem(value)
        if why:
            problems[field_path(path)] = [why]
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            problems[field_path(path)] = [f"Integers must lie within ±2**53 ({MAX_INT})."]
    elif isinstance(value, float):
        if not math.isfinite(value):
            problems[field_path(path)] = ["Numbers must be finite."]
    elif isinstance(value, dict):
        for key, item in value.items():
            why = string_problem(key)
            if why:
                problems[field_path(path + (key,))] = ["The field name: " + why]
                continue
            check_value(item, path + (key,), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, path + (index,), problems)


def string_problem(text: str) -> str | None:
    if len(text) > MAX_STRING:
        return f"Longer than {MAX_STRING} characters."
    if SURROGATE.search(text):
        return "Not valid unicode (a lone surrogate)."
    found = CONTROL.search(text)
    if found:
        return f"Holds a control character (U+{ord(found.group()):04X})."
    return None


def check_query(args) -> None:
    """The query string's names and values (a werkzeug MultiDict or a list of pairs)."""
    pairs = args.items(multi=True) if hasattr(args, "items") else args
    problems = {}
    for name, value in pairs:
        why = string_problem(name) or string_problem(value)
        if why is None and _INTEGER.fullmatch(value) and _integer_too_large(value):
            why = f"Integers must lie within ±2**53 ({MAX_INT})."
        if why:
            problems[field_path((name,))] = [why]
        if len(problems) >= MAX_REPORTED:
            break
    if problems:
        raise InputError(422, "invalid", "the query string does not match the input limits",
                         fields=problems, location="query")


def _integer_too_large(digits: str) -> bool:
    significant = digits.lstrip("+-").lstrip("0")
    return len(significant) > 16 or abs(int(digits)) > MAX_INT


def field_path(path: tuple) -> str:
    """``members.0.name``; a name that cannot be shown as it is comes escaped and cut short."""
    if not path:
        return "(body)"
    return ".".join(_printable(str(p)) for p in path)


def _printable(segment: str) -> str:
    segment = segment if len(segment) <= 80 else segment[:80] + "…"
    return SURROGATE.sub(_escape, CONTROL.sub(_escape, segment))


def _escape(match) -> str:
    return f"\\u{ord(match.group()):04x}"


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "…"
