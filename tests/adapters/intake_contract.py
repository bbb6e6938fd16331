"""The contract an adapter playing the intake role must pass (``sccli.adapters.intake``).

Use: subclass ``IntakeContract`` in a ``Test...`` class and provide an ``intake`` fixture
yielding ``(adapter, client)``, where ``client`` plays the client on the portal (see
``Client``). Tests create their own requests and assume the intake holds nothing else.
What sync relies on: requests listed oldest change first and filtered by ``since``; one
request read with its messages; ``bind`` idempotent; ``reply`` writes a client-visible
message carrying sccli's origin, written as ``account()``, and moves the state by step.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from sccli.adapters.base import Adapter
from sccli.adapters.intake import (
    INTAKE,
    STEP_ASKED,
    STEP_REJECTED,
    STEP_RESOLVED,
    STEP_RESPONDED,
    Intake,
)


class Client(Protocol):
    """What the contract needs from the client's side (a fake portal or a live one)."""

    def new_request(self, account: str, reporter: str, title: str, body: str) -> str:
        """Register a request as the client would; return its id."""

    def message(self, request_id: str, body: str, author: str) -> None:
        """Post a client-visible message as the client would."""

    def tick(self) -> None:
        """Let the intake's clock move past the current instant."""


class IntakeContract:
    """The behaviours sync's intake role relies on."""

    def test_declares_the_intake_role(self, intake):
        adapter, _client = intake
        assert INTAKE in type(adapter).roles
        assert isinstance(adapter, Intake) and isinstance(adapter, Adapter)

    def test_new_requests_are_listed_oldest_change_first_and_since_filters(self, intake):
        adapter, client = intake
        first = client.new_request("Acme", "it@acme.example", "Первая", "Текст")
        client.tick()
        second = client.new_request("Acme", "it@acme.example", "Вторая", "Текст")
        listed = list(adapter.requests_changed_since(None))
        assert [r.id for r in listed] == [first, second]
        assert listed[0].account == "Acme" and listed[0].reporter == "it@acme.example"
        assert listed[0].title == "Первая" and listed[0].updated_at.tzinfo is not None
        later = list(adapter.requests_changed_since(listed[1].updated_at))
        assert [r.id for r in later] == [second]

    def test_a_request_is_read_with_the_clients_messages(self, intake):
        adapter, client = intake
        rid = client.new_request("Acme", "it@acme.example", "Ошибка", "Не работает")
        client.message(rid, "Дополнение", "it@acme.example")
        got = adapter.request(rid)
        assert got.body == "Не работает" and [m.body for m in got.messages] == ["Дополнение"]
        assert got.messages[0].origin is None  # a human wrote it

    def test_bind_is_idempotent_and_names_the_ticket(self, intake):
        adapter, client = intake
        rid = client.new_request("Acme", "it@acme.example", "Ошибка", "Текст")
        adapter.bind(rid, "ACME-7")
        adapter.bind(rid, "ACME-7")
        assert adapter.request(rid).ticket == "ACME-7"

    @pytest.mark.parametrize("step,state", [(STEP_RESPONDED, "open"), (STEP_ASKED, "paused"),
                                            (STEP_RESOLVED, "resolved"),
                                            (STEP_REJECTED, "closed")])
    def test_reply_carries_the_origin_and_moves_the_state(self, intake, step, state):
        adapter, client = intake
        rid = client.new_request("Acme", "it@acme.example", "Ошибка", "Текст")
        client.tick()
        written = adapter.reply(rid, "Ответ исполнителя", "ACME-1/e2", step)
        got = adapter.request(rid)
        (mine,) = [m for m in got.messages if m.id == written.id]
        assert mine.origin == "ACME-1/e2" and mine.body.startswith("Ответ исполнителя")
        assert mine.author_id == adapter.account()
        assert got.state == state and got.updated_at > got.registered_at

    def test_a_message_only_reply_keeps_the_state(self, intake):
        adapter, client = intake
        rid = client.new_request("Acme", "it@acme.example", "Ошибка", "Текст")
        before = adapter.request(rid).state
        adapter.reply(rid, "Заметка", "ACME-1/e3", None)
        assert adapter.request(rid).state == before
