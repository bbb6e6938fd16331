"""The local adapter as an intake kept on disk: the intake contract, plus its file format."""

from __future__ import annotations

import json

import pytest
from intake_contract import IntakeContract
from test_local import Clock

from sccli.adapters.base import ValidationError
from sccli.adapters.local import LocalAdapter, LocalTracker


class LocalClient:
    def __init__(self, path, clock):
        self.portal = LocalTracker(path, now=clock)
        self.clock = clock

    def new_request(self, account, reporter, title, body):
        return self.portal.add_request(account, reporter, title, body)["id"]

    def message(self, request_id, body, author):
        self.portal.add_message(request_id, body, author)

    def tick(self):
        from datetime import timedelta

        self.clock.now += timedelta(seconds=2)


@pytest.fixture
def intake(tmp_path):
    clock = Clock()
    adapter = LocalAdapter("portal", {"path": str(tmp_path / "portal")}, None, lambda r: "",
                           now=clock)
    return adapter, LocalClient(tmp_path / "portal", clock)


class TestLocalIntakeContract(IntakeContract):
    pass


def test_a_reply_is_one_plain_json_message_with_its_step(intake):
    adapter, client = intake
    rid = client.new_request("ООО Акме", "it@acme.example", "Ошибка", "Текст")
    adapter.reply(rid, "Уточните версию", "ACME-1/e2", "asked")
    data = json.loads((adapter.tracker.path / f"{rid}.json").read_text(encoding="utf-8"))
    assert data["state"] == "paused" and data["number"] == "SR00000001"
    assert data["comments"] == [{
        "id": "1/1", "body": "Уточните версию", "author": "sccli",
        "created_at": data["comments"][0]["created_at"], "origin": "ACME-1/e2",
        "step": "asked"}]
    with pytest.raises(ValidationError):
        adapter.reply(rid, "x", "ACME-1/e3", "teleported")
