"""`sccli tracker check|list` for BPMSoft trackers (the portal and a vendor's portal),
against the fake BPMSoft server on loopback; one run as a real process.

The issue: "`sccli tracker check` works for both"; a refused login ("Code: 1") is exit 4
with the server's message; the password never reaches the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sccli.fakes.bpmsoft import FakeBpmSoft

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Pa55-w0rd-portal"
CONFIG = """\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
parties:
  vendor:
    kind: vendor
    title: BPMSoft
    tracker: vendor-portal
trackers:
  portal:
    adapter: bpmsoft
    role: intake
    url: {url}
    login: Supervisor
    password: env:BPM_PORTAL_PASSWORD
    overlap: 10m
    accounts:
      ООО Ромашка: romashka
  vendor-portal:
    adapter: bpmsoft
    url: {url}/0
    client_id: sccli
    client_secret: env:BPM_VENDOR_SECRET
    user: Supervisor
    escalation:
      account_id: 0c2e3a5e-0000-4000-8000-000000000001
"""


@pytest.fixture
def server():
    with FakeBpmSoft(password=PASSWORD) as fake:
        fake.add_client("sccli", "vendor-secret")
        yield fake


@pytest.fixture
def ws(cli, server):
    (Path(cli.home) / "sccli.yaml").write_text(CONFIG.format(url=server.url), encoding="utf-8")
    cli.env.update({"BPM_PORTAL_PASSWORD": PASSWORD, "BPM_VENDOR_SECRET": "vendor-secret"})
    return cli


def test_check_the_portal_and_the_vendor(ws, server):
    portal = ws.ok("tracker", "check", "portal")
    assert f"portal: ok, authenticated as Supervisor on {server.url}" in portal.stdout
    vendor = ws.ok("tracker", "check", "vendor-portal", "--format", "json").json()
    assert vendor["ok"] and "OAuth client sccli" in vendor["message"]


def test_a_refused_login_exits_4_with_the_servers_message(ws):
    ws.env["BPM_PORTAL_PASSWORD"] = "wrong-password-value"
    result = ws("tracker", "check", "portal")
    assert result.exit_code == 4
    assert "Invalid username or password specified" in result.stderr
    assert "wrong-password-value" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_no_access_to_odata_exits_4_naming_the_permission(ws, server):
    server.add_user("Supervisor", PASSWORD, odata=False)
    result = ws("tracker", "check", "portal")
    assert result.exit_code == 4 and "Access to OData" in result.stderr


def test_an_unreachable_portal_exits_75(ws, server):
    server.stop()
    result = ws("tracker", "check", "portal")
    assert result.exit_code == 75 and "connection failed" in result.stderr


def test_list_shows_the_adapter(ws):
    rows = {r["name"]: r for r in ws.ok("tracker", "list", "--format", "json").json()}
    assert rows["portal"]["adapter"] == "bpmsoft"
    assert rows["vendor-portal"]["parties"] == ["vendor"]


def test_a_password_in_the_config_is_refused(ws):
    path = Path(ws.home) / "sccli.yaml"
    path.write_text(path.read_text().replace("env:BPM_PORTAL_PASSWORD", "hunter2"))
    result = ws("tracker", "check", "portal")
    assert result.exit_code == 2 and "env:NAME or keyring:NAME" in result.stderr
    assert "hunter2" not in result.stderr


def test_check_as_a_process(ws, server):
    env = {**os.environ, **ws.env, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "sccli", "--home", str(ws.home), "tracker",
                           "check", "portal"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "portal: ok" in done.stdout
    assert server.count("AuthService.svc/Login") == 1


def test_the_readme_example_is_a_valid_configuration(cli):
    """The README's portal + vendor example parses, each tracker in its role."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### BPMSoft: the Customer Success Portal")
    block = text[text.index("```yaml\n", start) + 8:text.index("```\n", start + 10)]
    config = ("executor:\n  name: Programmnye Tekhnologii\n  email: crm.support@samarasoft.com\n"
              + block + "\n")
    (Path(cli.home) / "sccli.yaml").write_text(config, encoding="utf-8")
    rows = {r["name"]: r for r in cli.ok("tracker", "list", "--format", "json").json()}
    assert rows["portal"]["adapter"] == rows["vendor-bpmsoft"]["adapter"] == "bpmsoft"
    assert rows["vendor-bpmsoft"]["parties"] == ["vendor"]
    assert (rows["portal"]["role"], rows["vendor-bpmsoft"]["role"]) == ("intake", "escalation")
