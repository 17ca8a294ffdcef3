"""The offline audit bundle, timeline and as-of folding, on in-memory logs (no database)."""
import json
import time

import pytest

from assembly.audit import sample
from shared.audit import asof, bundle, timeline
from shared.audit.logs import merged
from shared.clock import utc_now_iso
from shared.eventstore.memory import MemoryEventStore


@pytest.fixture
def logs():
    units, supervision = MemoryEventStore("units"), MemoryEventStore("supervision")
    made = sample.campaign(units, supervision, n_units=3, members=3)
    stores = {"units": units, "supervision": supervision,
              "study": MemoryEventStore("study"), "evaluation": MemoryEventStore("evaluation")}
    return stores, made


def export(stores, directory):
    return bundle.write_bundle(directory, {s: st.events_since(0, raw=True) for s, st in stores.items()},
                               created_at="2024-03-01T08:00:00.000Z", tool_version="test")


def flipped(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_fresh_bundle_verifies_with_heads_and_counts(logs, tmp_path):
    stores, _ = logs
    manifest = export(stores, tmp_path)
    report = bundle.verify_bundle(tmp_path)
    assert report["ok"], report["problems"]
    assert report["services"]["units"]["count"] == 12  # 3 units x (registered + 3 members)
    assert report["services"]["supervision"]["count"] == 4
    for service, store in stores.items():
        assert manifest["services"][service]["head_hash"] == store.head()["hash"]
        assert report["services"][service]["head_hash"] == store.head()["hash"]
    lines = (tmp_path / "logs" / "units.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(x)["position"] for x in lines] == list(range(1, 13))
    assert "_id" not in json.loads(lines[0])


@pytest.mark.parametrize("name", ["logs/units.jsonl", "logs/supervision.jsonl", "manifest.json",
                                  "MANIFEST.sha256"])
def test_every_single_changed_byte_is_detected(logs, tmp_path, name):
    stores, _ = logs
    export(stores, tmp_path)
    path = tmp_path / name
    original = path.read_bytes()
    # every byte of the small files; a spread of offsets in the logs
    offsets = range(len(original)) if len(original) < 3000 else range(0, len(original), 7)
    undetected = []
    for offset in offsets:
        flipped(path, offset)
        if bundle.verify_bundle(tmp_path)["ok"]:
            undetected.append(offset)
        path.write_bytes(original)
    assert not undetected, f"changed bytes at {undetected[:10]} of {name} went unnoticed"
    assert bundle.verify_bundle(tmp_path)["ok"]


def test_a_changed_log_byte_names_the_file_and_position(logs, tmp_path):
    stores, made = logs
    export(stores, tmp_path)
    path = tmp_path / "logs" / "units.jsonl"
    lines = path.read_bytes().split(b"\n")
    # the (sealed) name of the second unit's third member, inside its JSON string: still
    # valid JSON (names are stored as ciphertext, shared.personal_data)
    target = 5 + 3 - 1  # position 7 = unit 2's 3rd event
    at = lines[target - 1].index(b'"enc":"') + len(b'"enc":"')
    lines[target - 1] = lines[target - 1][:at] + (b"B" if lines[target - 1][at:at + 1] == b"A" else b"A") \
        + lines[target - 1][at + 1:]
    path.write_bytes(b"\n".join(lines))
    report = bundle.verify_bundle(tmp_path)
    assert not report["ok"]
    broken = [p for p in report["problems"] if p.get("position")]
    assert broken == [{"file": "logs/units.jsonl", "service": "units", "position": target, "line": target,
                       "reason": f"chain broken at position {target}: hash does not match the event's "
                                 f"content (altered)"}]
    assert any("sha256" in p["reason"] for p in report["problems"] if p["file"] == "logs/units.jsonl")


def test_manifest_field_and_extra_file_and_expected_heads(logs, tmp_path):
    stores, _ = logs
    export(stores, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    manifest["services"]["units"]["count"] = 11
    body = bundle.manifest_bytes(manifest)  # a careful forger also fixes the checksum file
    (tmp_path / "manifest.json").write_bytes(body)
    (tmp_path / "MANIFEST.sha256").write_bytes(bundle.manifest_sum_bytes(body))
    (tmp_path / "notes.txt").write_text("hello")
    report = bundle.verify_bundle(tmp_path, {"study": "f" * 64})
    reasons = [p["reason"] for p in report["problems"]]
    assert "units: count is 11 but the log recomputes to 12" in reasons
    assert "file is not named in the manifest" in reasons
    assert any(r.startswith("study: head hash") for r in reasons)


def test_a_missing_log_file_is_reported(logs, tmp_path):
    stores, _ = logs
    export(stores, tmp_path)
    (tmp_path / "logs" / "study.jsonl").unlink()
    report = bundle.verify_bundle(tmp_path)
    assert [p["file"] for p in report["problems"]] == ["logs/study.jsonl"]


def test_timeline_orders_one_units_history_and_links_causes(logs):
    stores, made = logs
    unit = made["units"][1]
    pairs = [(s, e) for s in ("units", "supervision") for e in stores[s].events_since(0, raw=True)]
    result = timeline.build(unit["unit_id"], pairs, pairs)
    types = [(x["service"], x["type"]) for x in result["entries"]]
    assert types == [("units", "UnitRegistered")] + [("units", "MemberEnrolled")] * 3 + \
        [("supervision", "UnitAssigned")]
    registered, assigned = result["entries"][0], result["entries"][-1]
    assert assigned["caused_by"]["event_id"] == registered["event_id"]
    assert assigned["correlation_id"] == registered["correlation_id"]
    assert registered["caused"] == [{"service": "supervision", "position": assigned["position"],
                                     "type": "UnitAssigned", "event_id": assigned["event_id"]}]
    assert registered["actor"]["role"] == "office" and result["entries"][1]["actor"]["role"] == "unit"
    assert all(x["payload"]["unit_id"] == unit["unit_id"] for x in result["entries"])
    assert any("caused by units#" in line for line in timeline.render(result))


def test_as_of_folds_every_log_up_to_the_moment():
    units, supervision = MemoryEventStore("units"), MemoryEventStore("supervision")
    group = sample.form_group(supervision)
    first = sample.register_unit(units, "县财政局", members=1)
    time.sleep(0.01)
    moment = utc_now_iso()
    time.sleep(0.01)
    sample.assign_unit(supervision, group, first["registered"])
    sample.register_unit(units, "县教育局", members=2)
    logs = {"units": units.events_since(0, raw=True), "supervision": supervision.events_since(0, raw=True)}

    before = asof.as_of(merged({k: iter(v) for k, v in logs.items()}), moment, first["unit_id"])
    after = asof.as_of(merged({k: iter(v) for k, v in logs.items()}), utc_now_iso(), first["unit_id"])
    assert before["events_applied"] == 3 and after["events_applied"] == 7
    assert not before["errors"] and not after["errors"]
    card_then = before["services"]["units"]["unit_cards"][0]
    card_now = after["services"]["units"]["unit_cards"][0]
    assert card_then["name"] == "县财政局" and card_then["group_id"] is None
    assert card_now["group_id"] == group  # fed by supervision's log
    assert "evaluation_unit_groups" not in before["services"]["evaluation"]
    assert after["services"]["evaluation"]["evaluation_unit_groups"][0]["group_id"] == group
    assert after["services"]["supervision"]["unit_directory"][0]["name"] == "县财政局"
    assert len(after["services"]["units"]["unit_members"]) == 1  # only this unit's member


def test_parse_time():
    assert asof.parse_time("2024-03-01") == "2024-03-01T23:59:59.999Z"
    assert asof.parse_time("2024-03-01T08:00:00+08:00") == "2024-03-01T00:00:00.000Z"
    assert asof.parse_time("2024-03-01T08:00:00Z") == "2024-03-01T08:00:00.000Z"
    with pytest.raises(asof.BadTime):
        asof.parse_time("yesterday")
