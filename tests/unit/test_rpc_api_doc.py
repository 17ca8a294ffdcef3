"""RPC.md is what `dudao rpc-api` generates from the services' request schemas."""
from pathlib import Path

from assembly.rpc_api import document

ROOT = Path(__file__).resolve().parents[2]


def test_rpc_md_is_generated_from_the_schemas():
    committed = (ROOT / "RPC.md").read_text("utf-8")
    assert committed == document(), "RPC.md is stale: run `.venv/bin/dudao rpc-api > RPC.md`"


def test_every_domain_rpc_is_documented_with_its_fields():
    text = document()
    for rpc in ("units.register_unit", "units.enrol_member", "study.readiness",
                "evaluation.open_survey", "supervision.assign_unit"):
        assert f"### `{rpc}`" in text
    assert "| `unit_id` | string | yes |" in text
