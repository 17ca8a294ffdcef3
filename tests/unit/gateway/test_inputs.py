"""The gateway's generic input limits (services.gateway.inputs), without a stack."""
import json
import time

import pytest

from services.gateway.inputs import MAX_DEPTH, MAX_INT, MAX_STRING, InputError, check_query, parse_json, too_deep


def refused(raw: bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_json(raw)
    return caught.value


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_depth_up_to_the_limit_is_accepted_and_one_more_is_refused():
    assert parse_json(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    err = refused(nested(MAX_DEPTH + 1))
    assert (err.status, err.code, err.details) == (400, "bad_request", {"max_depth": MAX_DEPTH})


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,                                  # the 100,000 levels
    b'{"a":' * 5000 + b"1" + b"}" * 5000,                            # objects
    json.dumps({"contact": {"x": json.loads(nested(40))}}).encode(),   # inside a free-form dict
    b"[" * 1_000_000,                                                  # never closed
])
def test_deep_json_is_refused_without_recursing(raw):
    assert refused(raw).status == 400


def test_brackets_inside_strings_do_not_count():
    body = {"text": "[" * 100 + '{"' + "\\" * 3, "list": [["]]]]"]]}
    assert parse_json(json.dumps(body).encode()) == body
    assert not too_deep(json.dumps(body))


def test_the_depth_scan_is_linear_on_hostile_strings():
    started = time.monotonic()
    for raw in ('"\\"' * 300_000, '"' + "[" * 1_000_000, '"' * 1_000_000, "[" + "[]," * 300_000 + "[]]"):
        too_deep(raw)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("raw,path", [
    (b'{"name": "\\ud800"}', "name"),                       # a lone surrogate
    (b'{"name": "a\\u001eb"}', "name"),                     # a control character
    (b'{"name": "a\\u0000"}', "name"),
    (b'{"name": "a\\u007f"}', "name"),                      # DEL
    (b'{"name": "a\\u0085"}', "name"),                      # C1
    (b'{"members": [{"name": "x"}, {"name": "\\u001b[31m"}]}', "members.1.name"),
    (b'{"batch": 100000000000000000000}', "batch"),         # beyond 2**53
    (b'{"batch": -9007199254740993}', "batch"),
    (b'{"hours": 1e999}', "hours"),                          # infinite
    (b'{"a\\u0001b": 1}', "a\\u0001b"),                     # a member name, shown escaped
    (('{"text": "' + "x" * (MAX_STRING + 1) + '"}').encode(), "text"),
])
def test_bad_strings_and_numbers_are_422_naming_the_path(raw, path):
    err = refused(raw)
    assert (err.status, err.code) == (422, "invalid")
    assert list(err.details["fields"]) == [path]


def test_what_the_limits_allow():
    body = {"name": "张三\t李四\n", "n": MAX_INT, "m": -MAX_INT, "f": 1.5, "ok": True, "none": None,
            "text": "x" * MAX_STRING}
    assert parse_json(json.dumps(body, ensure_ascii=False).encode()) == body


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"{not json", b'{"x": NaN}', b'{"x": Infinity}',
                                 b'{"x": "raw\ncontrol"}', b"1" * 5000])
def test_not_json_is_400(raw):
    assert refused(raw).status == 400


def test_query_values_have_the_same_limits():
    check_query([("batch", "3"), ("phase", "学习动员"), ("n", str(MAX_INT))])
    for pairs, name in ([("batch", "100000000000000000000")], "batch"), \
                       ([("batch", "-" + "9" * 5000)], "batch"), \
                       ([("q", "a\x1eb")], "q"), ([("q", "x" * (MAX_STRING + 1))], "q"), \
                       ([("a\x00", "1")], "a\\u0000"):
        with pytest.raises(InputError) as caught:
            check_query(pairs)
        assert caught.value.status == 422
        assert list(caught.value.details["fields"]) == [name]
        assert caught.value.details["location"] == "query"
