"""`dudao audit` against real logs on the Mongo-wire server: every kind of tampering is
found and named, bundles verify offline, timelines, as-of, rebuild with diff and swap; and
the gateway's /audit routes over a running stack."""
import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from assembly.audit import sample
from assembly.cli import main
from shared.clock import utc_now_iso
from shared.config import DOMAIN_SERVICES
from shared.eventstore import NewEvent
from shared.eventstore.mongo import HEAD_ID, MongoEventStore
from shared.inbox import Inbox
from shared.projection_store import MongoProjector
from shared.registry import projections_of


@pytest.fixture
def county(mongo_client, db_prefix, mongo_uri):
    stores = {}
    for service in DOMAIN_SERVICES:
        stores[service] = MongoEventStore(service, mongo_client, f"{db_prefix}_{service}")
        stores[service].ensure_indexes()
    made = sample.campaign(stores["units"], stores["supervision"], n_units=3, members=3)
    env = {"DUDAO_MONGO_URI": mongo_uri, "DUDAO_DB_PREFIX": db_prefix}

    def audit(*args):
        return CliRunner().invoke(main, ["audit", *args, "--quiet"] if args[0] != "timeline"
                                  else ["audit", *args], env=env, catch_exceptions=False)

    return {"stores": stores, "made": made, "audit": audit, "env": env, "client": mongo_client,
            "db": lambda s: mongo_client[f"{db_prefix}_{s}"]}


def test_verify_passes_on_an_untouched_county(county):
    result = county["audit"]("verify")
    assert result.exit_code == 0, result.output
    assert "units: ok, 12 events, head 12" in result.output
    assert "supervision: ok, 4 events, head 4" in result.output
    assert "study: ok, 0 events" in result.output
    assert "all chains hold" in result.output


def test_the_command_prints_only_what_the_auditor_asked_for(county):
    """As a process: nothing but the report, no library's deprecation notice on stderr."""
    # a rebuild reads each service's wiring: it imports the services, hence eventlet
    done = subprocess.run([sys.executable, "-m", "assembly.cli", "audit", "rebuild", "--all",
                           "--quiet"], env={**_path_env(), **county["env"]}, capture_output=True,
                          text=True, timeout=120)
    assert "units: chain ok, 12 events" in done.stdout, done.stdout + done.stderr
    assert done.stderr == ""


def test_an_altered_event_is_named_by_position(county):
    county["db"]("units")["events"].update_one({"_id": 6}, {"$set": {"payload.name": "李四"}})
    result = county["audit"]("verify")
    assert result.exit_code == 1
    assert "units: BROKEN at position 6: hash does not match the event's content (altered) " \
           "(5 events verified before it)" in result.output
    assert "supervision: ok, 4 events" in result.output
    assert "VERIFICATION FAILED" in result.output


def test_a_deleted_event_is_named_by_position(county):
    county["db"]("units")["events"].delete_one({"_id": 7})
    result = county["audit"]("verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["services"]["units"]["first_broken"] == {
        "position": 7, "found_position": 8,
        "reason": "expected position 7, found 8 (event missing or reordered)"}
    assert report["services"]["supervision"]["ok"] is True


def test_deleting_the_last_event_is_caught_by_the_head(county):
    county["db"]("supervision")["events"].delete_one({"_id": 4})
    result = county["audit"]("verify")
    assert result.exit_code == 1
    assert "supervision: BROKEN at position 4: log ends at 3 but the recorded head is 4" in result.output


def test_two_reordered_events_are_named(county):
    events = county["db"]("units")["events"]
    fourth, fifth = events.find_one({"_id": 4}), events.find_one({"_id": 5})
    events.delete_many({"_id": {"$in": [4, 5]}})  # (the unique indexes forbid two replaces)
    events.insert_many([{**fifth, "_id": 4}, {**fourth, "_id": 5}])
    result = county["audit"]("verify")
    assert result.exit_code == 1
    assert "units: BROKEN at position 4: expected position 4, found 5 (event missing or reordered)" \
        in result.output
    # a more careful forger swaps the position fields too: the chain still breaks at 4
    events.delete_many({"_id": {"$in": [4, 5]}})
    events.insert_many([{**fifth, "_id": 4, "position": 4}, {**fourth, "_id": 5, "position": 5}])
    result = county["audit"]("verify")
    assert "units: BROKEN at position 4: prev_hash does not match the previous event's hash" \
        in result.output


def test_a_malformed_envelope_is_named(county):
    county["db"]("supervision")["events"].update_one({"_id": 2}, {"$set": {"actor.role": "emperor"}})
    result = county["audit"]("verify")
    assert result.exit_code == 1
    assert "supervision: BROKEN at position 2: malformed envelope: {'actor': {'role':" in result.output


FOLLOWS = {"supervision": "units", "study": "units", "evaluation": "units", "units": "supervision"}


def _consumers_caught_up(county):
    """Each consumer's real inbox applies its source's log, moving its checkpoint (and the
    hash kept there) as a running service's does."""
    for consumer, source in FOLLOWS.items():
        inbox = Inbox(county["client"], county["db"](consumer), {source: lambda _session, _env: None})
        inbox.ensure_indexes()
        inbox.catch_up(source, lambda _s, after, limit: county["stores"][source].events_since(after, limit))
        assert inbox.checkpoint(source) == county["stores"][source].head()["position"]


def _lose_the_last_write(county, service):
    """What the crash of issue 14 did: the last append (its event and the head's move, one
    transaction) is gone from the database, after the relay had published it."""
    db = county["db"](service)
    head = db["meta"].find_one({"_id": HEAD_ID})["position"]
    lost = db["events"].find_one({"_id": head})
    before = db["events"].find_one({"_id": head - 1})
    db["events"].delete_one({"_id": head})
    db["meta"].update_one({"_id": HEAD_ID}, {"$set": {"position": head - 1, "hash": before["hash"]}})
    return lost


def test_verify_holds_every_consumers_checkpoint_against_its_sources_log(county):
    _consumers_caught_up(county)
    units_head = county["stores"]["units"].head()
    result = county["audit"]("verify")
    assert result.exit_code == 0, result.output
    for consumer in ("supervision", "study", "evaluation"):
        assert f"{consumer} <- units: ok at #12 {units_head['hash']}" in result.output
    assert "units <- supervision: ok at #4" in result.output
    assert "all chains hold, and every consumer's checkpoint matches" in result.output
    report = json.loads(county["audit"]("verify", "--json").output)
    assert report["ok"] is True and report["checkpoints"]["ok"] is True
    assert {(p["service"], p["source"], p["status"]) for p in report["checkpoints"]["pairs"]} == {
        (consumer, source, "ok") for consumer, source in FOLLOWS.items()}


def test_a_lost_write_the_consumers_applied_fails_verify_though_every_chain_holds(county):
    _consumers_caught_up(county)
    # a checkpoint kept before hashes were is still ahead: no hash is needed to see that
    county["db"]("evaluation")["inbox_checkpoints"].update_one({"_id": "units"}, {"$unset": {"hash": ""}})
    lost = _lose_the_last_write(county, "units")
    result = county["audit"]("verify")
    assert result.exit_code == 1, result.output
    assert "units: ok, 11 events, head 11" in result.output  # the chain alone sees nothing
    assert (f"supervision <- units: AHEAD: supervision applied units up to #12 (hash {lost['hash']}), "
            f"but the units log holds no event there (its head is #11)") in result.output
    assert "study <- units: AHEAD" in result.output
    assert "evaluation <- units: AHEAD: evaluation applied units up to #12 (hash None)" in result.output
    assert "units <- supervision: ok at #4" in result.output
    assert "VERIFICATION FAILED: every chain holds, but a consumer applied" in result.output
    report = json.loads(county["audit"]("verify", "--json").output)
    assert report["ok"] is False and report["checkpoints"]["ok"] is False
    [study] = [p for p in report["checkpoints"]["pairs"] if p["service"] == "study"]
    assert {k: study[k] for k in ("source", "position", "status", "applied_hash", "source_hash",
                                  "source_head")} == {
        "source": "units", "position": 12, "status": "ahead", "applied_hash": lost["hash"],
        "source_hash": None, "source_head": 11}


def test_another_event_written_where_the_lost_one_was_is_a_fork(county):
    _consumers_caught_up(county)
    lost = _lose_the_last_write(county, "units")
    # the restarted service appends at the position it no longer knows it had used
    [other] = county["stores"]["units"].append(
        "unit-u-other", 0, [NewEvent("UnitRenamed", {"unit_id": "u-other", "name": "另一个"})],
        actor=sample.OFFICE)
    assert other["position"] == 12 and other["hash"] != lost["hash"]
    result = county["audit"]("verify")
    assert result.exit_code == 1, result.output
    assert "units: ok, 12 events, head 12" in result.output
    assert (f"supervision <- units: FORKED: supervision applied units #12 with hash {lost['hash']}; "
            f"the units log holds {other['hash']} there") in result.output
    report = json.loads(county["audit"]("verify", "--json").output)
    forked = [p for p in report["checkpoints"]["pairs"] if p["status"] == "forked"]
    assert sorted(p["service"] for p in forked) == ["evaluation", "study", "supervision"]
    assert {(p["source"], p["position"], p["applied_hash"], p["source_hash"]) for p in forked} == {
        ("units", 12, lost["hash"], other["hash"])}


def test_a_checkpoint_kept_before_hashes_is_reported_unchecked_not_failed(county):
    _consumers_caught_up(county)
    county["db"]("study")["inbox_checkpoints"].update_one({"_id": "units"}, {"$unset": {"hash": ""}})
    result = county["audit"]("verify")
    assert result.exit_code == 0, result.output
    assert "study <- units: unchecked: study's checkpoint of units (#12) was kept before " \
           "checkpoints kept hashes" in result.output
    [study] = [p for p in json.loads(county["audit"]("verify", "--json").output)["checkpoints"]["pairs"]
               if p["service"] == "study"]
    assert study["status"] == "unchecked" and study["applied_hash"] is None


def test_export_then_verify_bundle_offline_and_a_changed_byte(county, tmp_path):
    bundle = tmp_path / "bundle"
    result = county["audit"]("export", str(bundle))
    assert result.exit_code == 0, result.output
    assert "units: 12 events, head 12" in result.output
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    assert manifest["services"]["units"]["head_hash"] == county["stores"]["units"].head()["hash"]
    assert set(manifest) == {"format", "tool_version", "created_at", "services"}
    lines = (bundle / "logs" / "supervision.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(x)["position"] for x in lines] == [1, 2, 3, 4]

    # offline: no database (a dead address) and no broker
    offline = {"DUDAO_MONGO_URI": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100",
               "DUDAO_AMQP_URI": "amqp://nobody:nothing@127.0.0.1:1/"}
    verify = [sys.executable, "-m", "assembly.cli", "audit", "verify-bundle", str(bundle), "--quiet"]
    done = subprocess.run(verify, env={**_path_env(), **offline}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bundle verified" in done.stdout

    path = bundle / "logs" / "units.jsonl"
    data = bytearray(path.read_bytes())
    at = data.index("第2单位".encode()) + 3  # inside the second unit's name (position 5)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    done = subprocess.run(verify, env={**_path_env(), **offline}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "PROBLEM logs/units.jsonl [position 5]:" in done.stdout
    assert "BUNDLE VERIFICATION FAILED" in done.stdout


def test_export_refuses_a_non_empty_directory(county, tmp_path):
    (tmp_path / "x").write_text("x")
    result = county["audit"]("export", str(tmp_path))
    assert result.exit_code == 2 and "is not empty" in result.output


def test_timeline_of_one_unit_across_services(county):
    unit = county["made"]["units"][0]["unit_id"]
    result = county["audit"]("timeline", unit, "--json")
    assert result.exit_code == 0, result.output
    timeline = json.loads(result.output)
    assert [(x["service"], x["type"]) for x in timeline["entries"]] == \
        [("units", "UnitRegistered")] + [("units", "MemberEnrolled")] * 3 + [("supervision", "UnitAssigned")]
    assigned = timeline["entries"][-1]
    assert assigned["caused_by"]["type"] == "UnitRegistered"
    assert assigned["correlation_id"] == timeline["entries"][0]["correlation_id"]
    assert [x["recorded_at"] for x in timeline["entries"]] == sorted(x["recorded_at"] for x in timeline["entries"])
    text = county["audit"]("timeline", unit).output
    assert "<- caused by units#1 UnitRegistered" in text and "by 县委办 王主任 (office)" in text
    assert county["audit"]("timeline", "u-nobody").exit_code == 1


def test_as_of_a_moment_shows_the_state_then(county):
    stores, made = county["stores"], county["made"]
    unit = made["units"][0]["unit_id"]
    time.sleep(0.01)
    moment = utc_now_iso()
    time.sleep(0.01)
    sample.register_unit(stores["units"], "县审计局", members=1)
    then = json.loads(county["audit"]("as-of", moment, "--unit", unit).output)
    assert then["events_applied"] == 16 and then["errors"] == []
    card = then["services"]["units"]["unit_cards"][0]
    assert card["group_id"] == made["group_id"] and card["members"]["count"] == 3
    assert len(then["services"]["units"]["unit_members"]) == 3
    everything = json.loads(county["audit"]("as-of", utc_now_iso()).output)
    assert len(everything["services"]["units"]["unit_cards"]) == 4
    assert county["audit"]("as-of", "not a time").exit_code == 2


def _live(county, service):
    """Live projections as the service keeps them: own events, and foreign ones up to its
    inbox checkpoint."""
    db = county["db"](service)
    projector = MongoProjector(db, projections_of(service))
    projector.ensure_indexes()
    projector.apply(county["stores"][service].events_since(0), service)
    return db, projector


def test_rebuild_matches_live_then_reports_every_difference_and_swaps(county):
    db, projector = _live(county, "units")
    result = county["audit"]("rebuild", "units")
    assert result.exit_code == 0, result.output
    assert "identical" in result.output and "events/s" in result.output
    assert "unit_cards__rebuild" in db.list_collection_names()  # beside the live ones

    cards = db["unit_cards"]
    [first, second, third] = sorted(cards.find(), key=lambda d: d["_id"])
    cards.update_one({"_id": first["_id"]}, {"$set": {"name": "篡改"}})
    cards.delete_one({"_id": second["_id"]})
    cards.insert_one({"_id": "u-ghost", "unit_id": "u-ghost", "name": "幽灵"})
    result = county["audit"]("rebuild", "units", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    diff = report["collections"]["unit_cards"]
    assert diff["missing"] == [second["_id"]] and diff["extra"] == ["u-ghost"]
    assert diff["differing"] == [{"_id": first["_id"], "fields": {"name": {"live": "篡改", "rebuilt": first["name"]}}}]
    assert report["swapped"] is False and cards.count_documents({}) == 3  # live untouched

    result = county["audit"]("rebuild", "units", "--swap")
    assert result.exit_code == 0, result.output
    assert "swapped" in result.output
    assert sorted(cards.find(), key=lambda d: d["_id"]) == [first, second, third]
    names = db.list_collection_names()
    assert not [n for n in names if n.endswith("__old")]
    assert county["audit"]("rebuild", "units").exit_code == 0


def test_rebuild_of_a_consumer_reads_its_sources_up_to_its_checkpoint(county):
    db = county["db"]("supervision")
    projector = MongoProjector(db, projections_of("supervision"))
    projector.apply(county["stores"]["supervision"].events_since(0), "supervision")
    seen = county["stores"]["units"].events_since(0, 9)
    projector.apply(seen, "units")
    db["inbox_checkpoints"].insert_one({"_id": "units", "position": 9})
    result = county["audit"]("rebuild", "supervision", "--json")
    report = json.loads(result.output)
    assert result.exit_code == 0, report
    # supervision follows evaluation and study too (its obligations): no checkpoint there,
    # nothing read
    assert report["read_upto"] == {"supervision": 4, "units": 9, "evaluation": 0, "study": 0}
    # positions 1-4 and 5-8 are two units with their members, 9 registers the third
    assert report["collections"]["unit_directory"]["live"] == 3
    third = county["made"]["units"][2]["unit_id"]
    assert db["unit_directory__rebuild"].find_one({"_id": third})["events_applied"] == 1


def test_rebuild_all_reads_each_log_once_verifying_its_chain(county):
    for service in DOMAIN_SERVICES:
        _live(county, service)
    result = county["audit"]("rebuild", "--all")
    assert result.exit_code == 0, result.output
    assert "units: chain ok" in result.output and "verified and identical" in result.output
    report = json.loads(county["audit"]("rebuild", "--all", "--json").output)
    assert set(report["services"]) == set(DOMAIN_SERVICES) and report["verified"] is True
    read = sum(county["stores"][s].head()["position"] for s in DOMAIN_SERVICES)
    assert report["events_read"] == read  # each log once, though several services fold it

    units = county["db"]("units")["events"]
    units.update_one({"_id": 5}, {"$set": {"payload.name": "篡改"}})
    result = county["audit"]("rebuild", "--all")
    assert result.exit_code == 1
    assert "units: CHAIN BROKEN at position 5" in result.output
    result = county["audit"]("rebuild", "--all", "--swap")
    assert result.exit_code == 2 and "hash chain of units is broken" in result.output
    assert "unit_cards__old" not in county["db"]("units").list_collection_names()


def test_rebuild_all_names_events_deleted_from_the_end_of_a_log(county):
    for service in DOMAIN_SERVICES:
        _live(county, service)
    head = county["stores"]["supervision"].head()["position"]
    county["db"]("supervision")["events"].delete_one({"_id": head})
    result = county["audit"]("rebuild", "--all")
    assert result.exit_code == 1
    assert f"supervision: CHAIN BROKEN at position {head}" in result.output


def test_rebuild_wants_one_service_or_all(county):
    assert county["audit"]("rebuild").exit_code == 2
    assert county["audit"]("rebuild", "units", "--all").exit_code == 2


def _path_env():
    import os
    return {k: v for k, v in os.environ.items() if not k.startswith("DUDAO_")}


@pytest.mark.slow
def test_verify_over_a_running_stack_and_the_auditor_routes(make_stack):
    from assembly.stack import wait_until
    stack = make_stack().start_all()
    office, auditor = stack.as_role("office"), stack.as_role("auditor")
    ids = []
    for name in ("县财政局", "县教育局"):
        answer = office.post("/units", json={"name": name, "org_type": "党委", "batch": 1})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["unit_id"])
    wait_until(lambda: stack.db("units")["events"].count_documents({}) >= 2, 20, message="units stored")

    cli = [sys.executable, "-m", "assembly.cli", "audit", "verify", "--quiet"]
    done = subprocess.run(cli, env=stack.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all chains hold" in done.stdout

    answer = auditor.get("/audit/verify")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is True and answer.json()["services"]["units"]["checked"] >= 2
    assert office.get("/audit/verify").status_code == 403

    answer = auditor.get(f"/audit/timeline/{ids[0]}")
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    assert entries[0]["type"] == "UnitRegistered" and entries[0]["actor"]["role"] == "office"
    assert auditor.get("/audit/timeline/u-nobody").status_code == 404

    answer = auditor.get("/audit/as-of", params={"time": utc_now_iso(), "unit": ids[1]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["services"]["units"]["unit_cards"][0]["name"] == "县教育局"
    missing = auditor.get("/audit/as-of")
    assert missing.status_code == 422 and missing.json()["details"]["fields"]["time"]

    # every service's live projections, as the running services built them, equal a rebuild
    head = stack.db("units")["meta"].find_one({"_id": "log_head"})["position"]
    for service in ("supervision", "study", "evaluation"):
        wait_until(lambda: (stack.db(service)["inbox_checkpoints"].find_one({"_id": "units"}) or {})
                   .get("position") == head, 30, message=f"{service} caught up with units")
    for service in DOMAIN_SERVICES:
        done = subprocess.run([sys.executable, "-m", "assembly.cli", "audit", "rebuild", service, "--quiet"],
                              env=stack.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip().endswith("identical"), done.stdout

    events = stack.db("units")["events"]
    original = events.find_one({"payload.unit_id": ids[1]})
    position = original["_id"]
    events.update_one({"_id": position}, {"$set": {"payload.name": "县教育厅"}})
    done = subprocess.run(cli, env=stack.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"units: BROKEN at position {position}: hash does not match" in done.stdout
    broken = auditor.get("/audit/verify").json()
    assert broken["ok"] is False and broken["services"]["units"]["first_broken"]["position"] == position
    events.replace_one({"_id": position}, original)

    _the_consumers_checkpoints_against_a_lost_write(stack, cli, office, auditor, head)


def _the_consumers_checkpoints_against_a_lost_write(stack, cli, office, auditor, head):
    """Issue 14: the database lost the last units append (its event and the head's move)
    after the relay had published it and every consumer had applied it; the restarted
    service then writes another event there. Each chain holds throughout; verify, on the
    CLI and over HTTP, still fails, naming consumer, source, position and both hashes."""
    def pairs(answer, status):
        return {p["service"]: p for p in answer["checkpoints"]["pairs"] if p["status"] == status}

    clean = auditor.get("/audit/verify").json()
    assert clean["ok"] is True, clean
    assert set(pairs(clean, "ok")) == {"units", "supervision", "study", "evaluation"}
    db = stack.db("units")
    lost = db["events"].find_one({"_id": head})
    db["events"].delete_one({"_id": head})
    db["meta"].update_one({"_id": "log_head"}, {"$set": {
        "position": head - 1, "hash": db["events"].find_one({"_id": head - 1})["hash"]}})

    done = subprocess.run(cli, env=stack.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout
    assert f"units: ok, {head - 1} events" in done.stdout
    assert f"study <- units: AHEAD: study applied units up to #{head} (hash {lost['hash']})" in done.stdout
    assert "VERIFICATION FAILED: every chain holds" in done.stdout
    answer = auditor.get("/audit/verify")
    assert answer.status_code == 200 and answer.json()["ok"] is False
    ahead = pairs(answer.json(), "ahead")
    assert set(ahead) == {"supervision", "study", "evaluation"}
    assert {(p["source"], p["position"], p["applied_hash"], p["source_head"]) for p in ahead.values()} \
        == {("units", head, lost["hash"], head - 1)}

    again = office.post("/units", json={"name": "县卫健局", "org_type": "党委", "batch": 1})
    assert again.status_code == 201, again.text
    other = db["events"].find_one({"_id": head})
    assert other is not None and other["hash"] != lost["hash"]
    done = subprocess.run(cli, env=stack.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout
    assert (f"evaluation <- units: FORKED: evaluation applied units #{head} with hash {lost['hash']}; "
            f"the units log holds {other['hash']} there") in done.stdout
    forked = pairs(auditor.get("/audit/verify").json(), "forked")
    assert set(forked) == {"supervision", "study", "evaluation"}
    assert {(p["position"], p["applied_hash"], p["source_hash"]) for p in forked.values()} \
        == {(head, lost["hash"], other["hash"])}
