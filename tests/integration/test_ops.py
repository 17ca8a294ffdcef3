"""Operator commands on a real stack: backup, lose the database, restore, rebuild."""
import subprocess
import sys

import pytest

from assembly.stack import wait_until
from tests.integration.test_delivery_processes import register

pytestmark = pytest.mark.slow


def dudao(stack, *args):
    return subprocess.run([sys.executable, "-m", "assembly.cli", *args], env=stack.env,
                          capture_output=True, text=True, timeout=120)


def projections(stack, service="units"):
    db = stack.db(service)
    return {name: sorted(db[name].find(), key=lambda d: d["_id"])
            for name in ("unit_cards", "unit_members")}


def test_backup_lose_everything_restore_and_rebuild(make_stack, tmp_path):
    stack = make_stack()
    stack.start_all()
    office = stack.as_role("office")
    ids = [register(office, f"单位{i}") for i in range(4)]
    unit = stack.as_role("unit", scope=ids[0])
    assert unit.post(f"/units/{ids[0]}/sections", json={"section": "秘书科"}).status_code == 201
    before = projections(stack)
    head = stack.db("units")["meta"].find_one({"_id": "log_head"})

    backup_dir = tmp_path / "units-backup"
    done = dudao(stack, "ops", "backup", "units", str(backup_dir))
    assert done.returncode == 0, done.stderr
    assert (backup_dir / "events.jsonl").read_text().count("\n") == head["position"]
    assert not (backup_dir / "unit_cards.jsonl").exists(), "projections are rebuilt, not backed up"

    stack.stop("units")
    refused = dudao(stack, "ops", "restore", "units", str(backup_dir))
    assert refused.returncode != 0 and "not empty" in refused.stderr
    stack.db("units").client.drop_database(stack.db("units").name)  # the disk is lost

    restored = dudao(stack, "ops", "restore", "units", str(backup_dir))
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "projections rebuilt" in restored.stdout
    assert projections(stack) == before
    stack.start("units")
    stack.wait_healthy()
    assert office.get(f"/units/{ids[1]}").json()["name"] == "单位1"
    later = register(office, "恢复后单位")
    wait_until(lambda: stack.db("supervision")["unit_directory"].find_one({"_id": later}),
               message="the restored service to publish again")


def test_restore_refuses_a_damaged_or_foreign_backup(make_stack, tmp_path):
    stack = make_stack()
    stack.start_all()
    register(stack.as_role("office"), "单位")
    backup_dir = tmp_path / "b"
    assert dudao(stack, "ops", "backup", "units", str(backup_dir)).returncode == 0
    again = dudao(stack, "ops", "backup", "units", str(backup_dir))
    assert again.returncode != 0 and "not empty" in again.stderr

    wrong = dudao(stack, "ops", "restore", "study", str(backup_dir), "--force")
    assert wrong.returncode != 0 and "backup of units" in wrong.stderr

    events = backup_dir / "events.jsonl"
    original = events.read_bytes()
    events.write_bytes(original.replace(b"\\u5355", b"\\u5356", 1))  # 单 -> 卖
    assert events.read_bytes() != original
    stack.stop("units")
    damaged = dudao(stack, "ops", "restore", "units", str(backup_dir), "--force")
    assert damaged.returncode != 0 and "does not match its manifest" in damaged.stderr
    assert stack.db("units")["events"].count_documents({}) == 1, "nothing was touched"


def test_parked_lists_nothing_on_a_healthy_service(make_stack):
    stack = make_stack()
    stack.start_all()
    register(stack.as_role("office"), "单位")
    listed = dudao(stack, "ops", "parked", "supervision")
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"
    refused = dudao(stack, "ops", "replay", "supervision", "units", "unit-nothing")
    assert refused.returncode == 1 and "nothing parked" in refused.stderr
