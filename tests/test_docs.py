"""The command reference is generated from the real --help output and must not drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == module.render(), "run: python scripts/gen_cli_docs.py"
    for command in ("sccli triage", "sccli sla check", "sccli sync", "sccli queue move"):
        assert f"## {command}\n" in committed
