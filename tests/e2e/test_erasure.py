"""Forgetting a member (issue 19, shared.personal_data): the office erases a member's personal
data through the gateway; afterwards no API answer, projection, rebuild, export, backup or
audit bundle holds the name, the chains still verify, hours and survey tallies are unchanged,
and a restore without the backup's keys shows 已删除 where every name was.

The stack runs on a SecantusDB of its own, so its data directory's raw bytes can be searched
for the name too."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from bson import json_util
from pymongo import MongoClient

from assembly.stack import Stack, wait_until
from shared import launcher
from shared.key_vault import KeyVault
from tests.e2e.test_evaluation import Facts, cast_all, open_and_draw

SERVICES = ("units", "supervision", "study", "evaluation", "gateway")
FORGOTTEN = "隐私甲某" + uuid.uuid4().hex[:6]  # the member forgotten
KEPT = "保留乙某" + uuid.uuid4().hex[:6]  # a member of the same unit, kept
RESPONDENT = "问卷丙某" + uuid.uuid4().hex[:6]  # forgotten: a member of a surveyed unit
GROUP_LEADER = "督导组长丁某" + uuid.uuid4().hex[:6]  # forgotten: a supervision group's leader
GROUP_MEMBER = "督导组员戊某" + uuid.uuid4().hex[:6]  # forgotten: a member of that group
GROUP_KEPT = "督导组员己某" + uuid.uuid4().hex[:6]  # a member of that group, kept
FORGOTTEN_NAMES = (FORGOTTEN, RESPONDENT, GROUP_LEADER, GROUP_MEMBER)


@pytest.fixture(scope="module")
def stack(amqp_base_uri):
    vhost = "dudao-e2e-" + uuid.uuid4().hex[:8]
    amqp = launcher.create_vhost(amqp_base_uri, vhost)
    with tempfile.TemporaryDirectory(prefix="dudao-erasure-") as tmp:
        data_dir = Path(tmp) / "db"
        port = launcher.free_port()
        server = launcher.start_secantus(data_dir, port)
        running = Stack(launcher.mongo_uri_for(port), amqp, "e" + uuid.uuid4().hex[:9], Path(tmp) / "stack")
        running.data_dir = data_dir
        try:
            running.start_all()
            yield running
        finally:
            running.stop_all()
            server.terminate()
            server.wait(10)
            launcher.delete_vhost(amqp_base_uri, vhost)


def dudao(stack, *args):
    done = subprocess.run([sys.executable, "-m", "assembly.cli", *args], env=stack.env,
                          capture_output=True, text=True, timeout=300)
    return done


def every_document(stack) -> dict[str, list]:
    """Every document of every collection of every service database."""
    client = MongoClient(stack.mongo_uri)
    try:
        out = {}
        for service in SERVICES:
            db = client[f"{stack.db_prefix}_{service}"]
            for name in db.list_collection_names():
                out[f"{service}.{name}"] = list(db[name].find())
        return out
    finally:
        client.close()


def opened(stack, service: str, collection: str, doc_id: str):
    """A projection document as the service reads it: personal data stored sealed, opened."""
    db = stack.db(service)
    return KeyVault(db).open_one(db[collection].find_one({"_id": doc_id}))


def every_document_opened(stack) -> dict[str, list]:
    """every_document, each opened with its database's keys as its service reads it."""
    client = MongoClient(stack.mongo_uri)
    try:
        return {where: KeyVault(client[f"{stack.db_prefix}_{where.split('.')[0]}"]).opened(docs)
                for where, docs in every_document(stack).items()}
    finally:
        client.close()


def holding(documents: dict[str, list], text: str) -> list[str]:
    return sorted(where for where, docs in documents.items()
                  if text in json_util.dumps(docs, ensure_ascii=False))


def files_holding(directory: Path, text: str) -> list[str]:
    needle = text.encode("utf-8")
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                  if p.is_file() and needle in p.read_bytes())


def unit_with_members(stack, names, section="办公室", prefix="单位-") -> tuple[str, object, dict]:
    """A unit registered by the office with the named members enrolled by the unit: its id, the
    unit's client, and each name's member id."""
    created = stack.as_role("office").post("/units", json={"name": prefix + uuid.uuid4().hex[:6],
                                                           "org_type": "党组", "batch": 1, "sections": [section]})
    assert created.status_code == 201, created.text
    unit_id = created.json()["unit_id"]
    unit = stack.as_role("unit", scope=unit_id)
    ids = {}
    for name in names:
        enrolled = unit.post(f"/units/{unit_id}/members", json={"name": name, "section": section})
        assert enrolled.status_code == 201, enrolled.text
        ids[name] = enrolled.json()["member_id"]
    return unit_id, unit, ids


@pytest.fixture(scope="module")
def county(stack):
    """A unit with the two members and study hours, and a surveyed unit with a member."""
    unit_id, unit, ids = unit_with_members(stack, (FORGOTTEN, KEPT))
    rosters = stack.db("study")["study_rosters"]
    wait_until(lambda: (doc := rosters.find_one({"_id": unit_id})) and len(doc["members"]) == 2,
               timeout=30, message="the study service to learn the roster")
    session = unit.post("/study-sessions", json={"unit_id": unit_id, "form": "lecture", "date": "2024-02-16",
                                                 "hours": 4, "content_keys": ["party_constitution"],
                                                 "title": "党章专题讲座"})
    assert session.status_code == 201, session.text
    attended = unit.post(f"/study-sessions/{session.json()['session_id']}/attendance",
                         json={"member_ids": list(ids.values())})
    assert attended.status_code == 201, attended.text

    facts = Facts(stack)
    surveyed = facts.unit(phase="survey", people=6)
    facts.client.close()
    enrolled = stack.as_role("unit", scope=surveyed["unit_id"]).post(
        f"/units/{surveyed['unit_id']}/members", json={"name": RESPONDENT, "section": "office"})
    assert enrolled.status_code == 201, enrolled.text
    respondent_id = enrolled.json()["member_id"]
    wait_until(lambda: stack.db("units")["unit_members"].find_one({"_id": respondent_id})
               and RESPONDENT in json.dumps(opened(stack, "evaluation", "evaluation_unit_facts",
                                                   surveyed["unit_id"]), ensure_ascii=False),
               timeout=30, message="the surveyed unit's member to be known")
    survey = open_and_draw(stack, surveyed, 6)
    cast_all(stack, survey, [("satisfied", "satisfied"), ("basically_satisfied", "satisfied"),
                             ("dissatisfied", "basically_satisfied")])
    return {"unit_id": unit_id, "ids": ids, "unit": unit, "surveyed": surveyed, "survey": survey,
            "respondent_id": respondent_id}


def answers(stack, county) -> dict:
    """What the API answers about the county's people, hours and survey."""
    office, auditor = stack.as_role("office"), stack.as_role("auditor")
    unit_id, survey_id = county["unit_id"], county["survey"]["survey_id"]
    out = {
        "members": office.get(f"/units/{unit_id}/members"),
        "card": office.get(f"/units/{unit_id}"),
        "study": office.get(f"/units/{unit_id}/study"),
        "survey": office.get(f"/surveys/{survey_id}"),
        "verification": auditor.get(f"/surveys/{survey_id}/verification"),
        **{f"member_study_{i}": office.get(f"/members/{m}/study") for i, m in enumerate(county["ids"].values())},
    }
    for name, response in out.items():
        assert response.status_code == 200, (name, response.text)
    return {name: response.json() for name, response in out.items()}


def test_the_name_is_there_before(stack, county):
    before = answers(stack, county)
    assert {m["name"] for m in before["members"]["members"]} == {FORGOTTEN, KEPT}
    assert FORGOTTEN in json.dumps(before["study"], ensure_ascii=False)
    # never in a log: every event stores it sealed
    logs = {w: d for w, d in every_document(stack).items() if w.endswith(".events")}
    assert holding(logs, FORGOTTEN) == [] and holding(logs, RESPONDENT) == []
    assert stack.db("units")["personal_keys"].count_documents({}) >= 3


def refusal_check(events):
    """Checks a refused erasure: its status, its message, and no event stored since now."""
    before = events.count_documents({})

    def refused(response, status, says):
        assert response.status_code == status, response.text
        body = response.json()
        assert says in body["message"], body
        assert events.count_documents({}) == before, "a refused erasure stored an event"
        return body
    return refused


def test_erasure_refusals_store_nothing(stack, county):
    member = county["ids"][FORGOTTEN]
    refused = refusal_check(stack.db("units")["events"])

    path = f"/members/{member}/erasure"
    refused(county["unit"].post(path, json={"reason": "本人申请"}), 403, "may not")
    refused(stack.as_role("supervisor", scope="g-x").post(path, json={"reason": "本人申请"}), 403, "may not")
    refused(stack.as_role("auditor").post(path, json={"reason": "本人申请"}), 403, "may not")
    office = stack.as_role("office")
    body = refused(office.post(path, json={}), 422, "schema")
    assert "reason" in body["details"]["fields"]
    refused(office.post(path, json={"reason": "   "}), 422, "reason")
    refused(office.post(path, json={"reason": "x" * 501}), 422, "schema")
    refused(office.post(path, json={"reason": "本人申请", "name": "x"}), 422, "schema")
    refused(office.post("/members/m-000000000000/erasure", json={"reason": "本人申请"}), 404, "no member")
    assert stack.db("units")["personal_keys"].find_one({"_id": member})["key"] is not None


def test_forgetting_a_member_leaves_the_placeholder_everywhere(stack, county):
    before = answers(stack, county)
    office = stack.as_role("office")
    member = county["ids"][FORGOTTEN]
    done = office.post(f"/members/{member}/erasure", json={"reason": "本人撤回同意（个人信息保护法第四十七条）"})
    assert done.status_code == 201, done.text
    assert done.json() == {"member_id": member, "unit_id": county["unit_id"], "erased": True}
    again = office.post(f"/members/{member}/erasure", json={"reason": "再次"})
    assert again.status_code == 409 and "already erased" in again.json()["message"], again.text
    respondent = office.post(f"/members/{county['respondent_id']}/erasure", json={"reason": "验收后保存期满"})
    assert respondent.status_code == 201, respondent.text

    key = stack.db("units")["personal_keys"].find_one({"_id": member})
    assert key["key"] is None and key["erased_at"], "the key is destroyed"
    [erasure] = list(stack.db("units")["events"].find({"type": "PersonalDataErased", "payload.subject_id": member}))
    assert set(erasure["payload"]) == {"unit_id", "subject_id", "reason"}

    def forgotten_everywhere():
        docs = every_document(stack)
        return not holding(docs, FORGOTTEN) and not holding(docs, RESPONDENT)
    wait_until(forgotten_everywhere, timeout=30, message="every projection to forget the names")

    after = answers(stack, county)
    text = json.dumps(after, ensure_ascii=False)
    assert FORGOTTEN not in text and RESPONDENT not in text
    names = {m["member_id"]: m["name"] for m in after["members"]["members"]}
    assert names == {member: "已删除", county["ids"][KEPT]: KEPT}
    surveyed = stack.db("evaluation")["evaluation_unit_facts"].find_one({"_id": county["surveyed"]["unit_id"]})
    assert {m["name"] for m in surveyed["members"] if m["member_id"] == county["respondent_id"]} == {"已删除"}
    assert stack.db("units")["unit_members"].find_one({"_id": county["respondent_id"]})["name"] == "已删除"
    assert "已删除" in json.dumps(after["study"], ensure_ascii=False)
    # counts, hours, the survey's tallies and the draw's verification are unchanged
    assert after["card"]["members"] == before["card"]["members"]
    assert after["survey"] == before["survey"]
    assert after["verification"] == before["verification"]

    def hours(answer):
        return {k: v for k, v in answer.items() if "hours" in k or k in ("below_floor", "short_by")}
    for i in range(2):
        assert hours(after[f"member_study_{i}"]) == hours(before[f"member_study_{i}"])
    sheet = json.loads(json.dumps(before["study"], ensure_ascii=False).replace(FORGOTTEN, "已删除"))
    assert sorted(after["study"]["members"], key=lambda m: m["member_id"]) == \
        sorted(sheet["members"], key=lambda m: m["member_id"])

    # no document of any collection of any database holds the names
    docs = every_document(stack)
    assert holding(docs, FORGOTTEN) == [] and holding(docs, RESPONDENT) == []
    # a kept name is stored sealed too, and the search finds it once opened
    assert holding(docs, KEPT) == [] and holding(every_document_opened(stack), KEPT) != []


@pytest.fixture(scope="module")
def group(stack):
    """A supervision group formed by the office, its people named."""
    def person(name, rank="staff"):
        return {"name": name, "rank": rank, "home_unit": "县财政局", "post": "科员"}
    formed_name = "督导组-" + uuid.uuid4().hex[:6]
    formed = stack.as_role("office").post("/groups", json={
        "name": formed_name, "leader": person(GROUP_LEADER, "section"),
        "members": [person(GROUP_MEMBER), person(GROUP_KEPT)]})
    assert formed.status_code == 201, formed.text
    body = formed.json()
    portfolios = stack.db("supervision")["supervision_group_portfolios"]
    wait_until(lambda: portfolios.find_one({"_id": body["group_id"]}), timeout=30,
               message="the group's portfolio")
    return {"group_id": body["group_id"], "name": formed_name, "leader": body["leader_member_id"],
            "member": body["member_ids"][0], "kept": body["member_ids"][1]}


def group_answers(stack, group) -> dict:
    office = stack.as_role("office")
    out = {"group": office.get(f"/groups/{group['group_id']}"), "groups": office.get("/groups"),
           "console": office.get("/console")}
    for name, response in out.items():
        assert response.status_code == 200, (name, response.text)
    return {name: response.json() for name, response in out.items()}


def test_group_member_erasure_refusals_store_nothing(stack, group):
    refused = refusal_check(stack.db("supervision")["events"])
    path = f"/groups/{group['group_id']}/members/{group['member']}/erasure"

    refused(stack.as_role("supervisor", scope=group["group_id"]).post(path, json={"reason": "本人申请"}),
            403, "may not")
    refused(stack.as_role("auditor").post(path, json={"reason": "本人申请"}), 403, "may not")
    office = stack.as_role("office")
    body = refused(office.post(path, json={}), 422, "schema")
    assert "reason" in body["details"]["fields"]
    refused(office.post(path, json={"reason": "  "}), 422, "reason")
    refused(office.post(path, json={"reason": "x" * 501}), 422, "schema")
    refused(office.post(f"/groups/{group['group_id']}/members/p-000000000000/erasure",
                        json={"reason": "本人申请"}), 404, "not a member")
    refused(office.post(f"/groups/g-000000000000/members/{group['member']}/erasure",
                        json={"reason": "本人申请"}), 404, "does not exist")
    assert stack.db("supervision")["personal_keys"].find_one({"_id": group["member"]})["key"] is not None


def test_forgetting_group_members_leaves_the_placeholder_everywhere(stack, group):
    before = group_answers(stack, group)
    assert GROUP_LEADER in json.dumps(before, ensure_ascii=False)
    logs = {w: d for w, d in every_document(stack).items() if w.endswith(".events")}
    assert holding(logs, GROUP_MEMBER) == [] and holding(logs, GROUP_LEADER) == []  # sealed
    office = stack.as_role("office")
    gid = group["group_id"]
    for who in ("member", "leader"):
        done = office.post(f"/groups/{gid}/members/{group[who]}/erasure", json={"reason": "督导结束，本人申请删除"})
        assert done.status_code == 201, done.text
        assert done.json() == {"group_id": gid, "member_id": group[who], "erased": True}
    again = office.post(f"/groups/{gid}/members/{group['member']}/erasure", json={"reason": "再次"})
    assert again.status_code == 409 and "already erased" in again.json()["message"], again.text
    keys = stack.db("supervision")["personal_keys"]
    assert keys.find_one({"_id": group["member"]})["key"] is None
    assert keys.find_one({"_id": group["kept"]})["key"] is not None
    erasures = list(stack.db("supervision")["events"].find({"type": "GroupMemberDataErased",
                                                            "payload.group_id": gid}))
    assert [set(e["payload"]) for e in erasures] == [{"group_id", "subject_id", "reason", "is_leader"}] * 2

    def forgotten():
        docs = every_document(stack)
        return not holding(docs, GROUP_MEMBER) and not holding(docs, GROUP_LEADER)
    wait_until(forgotten, timeout=30, message="every projection to forget the group's names")
    after = group_answers(stack, group)
    text = json.dumps(after, ensure_ascii=False)
    assert GROUP_MEMBER not in text and GROUP_LEADER not in text and GROUP_KEPT in text
    people = after["group"]["people"]
    assert {k: p["name"] for k, p in people.items()} == {
        group["leader"]: "已删除", group["member"]: "已删除", group["kept"]: GROUP_KEPT}
    assert [g["leader_name"] for g in after["groups"] if g["group_id"] == gid] == ["已删除"]
    # nothing else about them changed
    assert {k: {f: v for f, v in p.items() if f != "name"} for k, p in people.items()} == \
        {k: {f: v for f, v in p.items() if f != "name"} for k, p in before["group"]["people"].items()}
    docs = every_document(stack)
    assert holding(docs, GROUP_MEMBER) == [] and holding(docs, GROUP_LEADER) == []
    assert holding(docs, GROUP_KEPT) == [] and holding(every_document_opened(stack), GROUP_KEPT) != []


def test_verify_rebuild_and_the_audit_bundle_after_the_erasure(stack, county, tmp_path):
    verified = dudao(stack, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rebuilt = dudao(stack, "audit", "rebuild", "--all", "--json", "--quiet")
    report = json.loads(rebuilt.stdout)
    assert report["verified"], rebuilt.stdout
    # a rebuild from the logs gives the live projections, 已删除 included. What differs is
    # only what the fixture (Facts) appended straight into the units and supervision logs
    # for the surveyed unit, past the services, so that no live projection of theirs saw it
    differing = {(service, name, doc_id)
                 for service, r in report["services"].items() if not r["identical"]
                 for name, c in r["collections"].items()
                 for doc_id in [*c["missing"], *c["extra"], *(d["_id"] for d in c["differing"])]}
    ours = {county["unit_id"], county["respondent_id"], *county["ids"].values()}
    assert not {i for _, _, i in differing} & ours, differing
    fixture = {county["surveyed"]["unit_id"], county["surveyed"]["group_id"], "L1", "M1"}
    assert {i for _, _, i in differing} <= fixture, differing
    assert all(not r["errors"] for r in report["services"].values())

    bundle = tmp_path / "bundle"
    exported = dudao(stack, "audit", "export", str(bundle))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert [n for n in FORGOTTEN_NAMES if files_holding(bundle, n)] == []
    assert files_holding(bundle, "personal_keys") == []
    # no key material either: the key documents' bytes appear in no file
    keys = [bytes(d["key"]) for service in ("units", "supervision")
            for d in stack.db(service)["personal_keys"].find({"key": {"$ne": None}})]
    assert keys
    blob = b"".join(p.read_bytes() for p in bundle.rglob("*") if p.is_file())
    import base64
    assert not any(k in blob or base64.b64encode(k) in blob or k.hex().encode() in blob for k in keys)
    checked = dudao(stack, "audit", "verify-bundle", str(bundle))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert files_holding(bundle, KEPT) == []  # a kept name is sealed in the bundle too
    assert files_holding(bundle, GROUP_KEPT) == []


def test_the_data_directory_bytes(stack, county, group):
    """The raw bytes of the database server's files, old pages and journal included: no
    forgotten name is there, nor any kept one. The logs hold ciphertext, and every stored
    copy (projections, parked events) holds personal data sealed at rest
    (shared.personal_data), so no name was ever written in plaintext."""
    client = MongoClient(stack.mongo_uri)
    try:
        client.admin.command("fsync")
    except Exception:  # a server without fsync: its files are what they are
        pass
    client.close()
    for name in (*FORGOTTEN_NAMES, KEPT, GROUP_KEPT):
        assert files_holding(stack.data_dir, name) == [], name
    # the search finds what is there: the group's name is not personal data
    assert files_holding(stack.data_dir, group["name"]) != []


def test_backup_keeps_keys_apart_and_a_restore_without_them_shows_the_placeholder(stack, county, tmp_path):
    backup = tmp_path / "units-backup"
    done = dudao(stack, "ops", "backup", "units", str(backup))
    assert done.returncode == 0, done.stderr
    assert (backup / "keys" / "personal_keys.jsonl").exists()
    assert not (backup / "personal_keys.jsonl").exists()
    assert "personal_keys" not in json.loads((backup / "manifest.json").read_text())["collections"]
    assert files_holding(backup, FORGOTTEN) == [] and files_holding(backup, KEPT) == []
    without = tmp_path / "without-keys"
    shutil.copytree(backup, without, ignore=shutil.ignore_patterns("keys"))

    db = stack.db("units")
    unit_id, kept = county["unit_id"], county["ids"][KEPT]
    stack.stop("units")
    try:
        restored = dudao(stack, "ops", "restore", "units", str(without), "--force")
        assert restored.returncode == 0, restored.stdout + restored.stderr
        names = {d["_id"]: d["name"] for d in db["unit_members"].find({"unit_id": unit_id})}
        assert names == {county["ids"][FORGOTTEN]: "已删除", kept: "已删除"}
        assert db["personal_keys"].count_documents({}) == 0
        verified = dudao(stack, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr

        again = dudao(stack, "ops", "restore", "units", str(backup), "--force")
        assert again.returncode == 0, again.stdout + again.stderr
        names = {d["_id"]: d["name"] for d in KeyVault(db).opened(list(db["unit_members"].find({"unit_id": unit_id})))}
        assert names == {county["ids"][FORGOTTEN]: "已删除", kept: KEPT}
    finally:
        stack.start("units")
        stack.wait_healthy()
    assert KEPT in stack.as_role("office").get(f"/units/{unit_id}/members").text
