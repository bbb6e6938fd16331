"""The store on both backends: the same suite runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sccli.domain.model import Channel, Client, Contact, EventKind, Hosting, Priority, Ticket
from sccli.errors import TemporaryFailure, UsageError
from sccli.store import open_store
from sccli.store.base import StoreTooNew
from sccli.store.codec import event_from_data as Event
from sccli.store.migrations import LATEST

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
try:
    import psycopg

    _INTEGRITY: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
except ImportError:  # pragma: no cover
    _INTEGRITY = (sqlite3.IntegrityError,)


@pytest.fixture
def store(db_target, tmp_path):
    s = open_store(db_target, tmp_path)
    yield s
    s.close()


def _ticket(store, client="ACME", title="Вход не работает") -> Ticket:
    with store.transaction():
        tid = store.next_ticket_id(client)
        ticket = Ticket(tid, client, "it@acme.ru", title, "Тело «заявки»", Channel.EMAIL, False, T0)
        first = Event(tid, 1, EventKind.REGISTERED, T0, "x", {"priority": "critical"})
        store.add_ticket(ticket, first, "new", T0)
    return ticket


def _client(store, key="ACME"):
    with store.transaction():
        store.add_client(Client(key, "Акме «Рога и копыта»", "https://crm.acme.ru", Hosting.ON_PREMISE), T0)


def test_round_trip_with_cyrillic(store):
    _client(store)
    ticket = _ticket(store)
    assert ticket.id == "ACME-1"
    assert store.get_ticket("ACME-1") == ticket
    assert store.get_client("ACME").name == "Акме «Рога и копыта»"
    assert [e.kind for e in store.events("ACME-1")] == [EventKind.REGISTERED]
    assert store.events("ACME-1")[0].payload.priority is Priority.CRITICAL
    assert _ticket(store).id == "ACME-2"


def test_transaction_rolls_back_everything_on_error(store):
    _client(store)
    _ticket(store)
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_event(Event("ACME-1", 2, EventKind.RESPONDED, T0, "x", {}), T0)
        store.set_status("ACME-1", "in-progress")
        raise RuntimeError("crash mid-command")
    assert len(store.events("ACME-1")) == 1
    assert store.tickets(statuses=["new"])[0].id == "ACME-1"


def test_duplicate_event_seq_is_refused_and_nothing_half_written(store):
    _client(store)
    _ticket(store)
    with pytest.raises(_INTEGRITY), store.transaction():
        store.set_status("ACME-1", "in-progress")
        store.insert_event(Event("ACME-1", 1, EventKind.RESPONDED, T0, "x", {}), T0)
    assert store.tickets(statuses=["new"])[0].id == "ACME-1"


def test_contacts_history_in_effect_order(store):
    _client(store)
    later, earlier = T0 + timedelta(days=2), T0
    with store.transaction():
        store.add_contact(Contact("ACME", "new@acme.ru", "Новый", later, "уведомление"), T0)
        store.add_contact(Contact("ACME", "old@acme.ru", None, earlier, None), T0)
    assert [c.email for c in store.contacts("ACME")] == ["old@acme.ru", "new@acme.ru"]


def test_filters_and_bulk_events(store):
    _client(store)
    _client(store, "BETA")
    _ticket(store)
    _ticket(store, "BETA")
    assert [t.id for t in store.tickets(client="BETA")] == ["BETA-1"]
    assert set(store.events_by_ticket(["new"])) == {"ACME-1", "BETA-1"}
    assert store.events_by_ticket(["closed"]) == {}


def test_duplicate_client_is_a_usage_error(store):
    _client(store)
    with pytest.raises(UsageError, match="already exists"), store.transaction():
        store.add_client(Client("ACME", "x"), T0)


def test_migration_upgrades_an_old_store_in_place(db_target, tmp_path):
    old = open_store(db_target, tmp_path, migrate=False)
    assert old.migrate(target=1) == 1
    with old.transaction():
        old.add_client(Client("ACME", "Acme"), T0)
        old.execute(
            "INSERT INTO tickets (id, client, seq, reporter, title, body, channel, on_behalf,"
            " registered_at) VALUES ('ACME-1','ACME',1,'a@b.ru','t','','email',0,?)",
            (T0.isoformat(),),
        )
        for seq, kind in ((1, EventKind.REGISTERED), (2, EventKind.RESPONDED), (3, EventKind.RESOLVED)):
            data = {} if kind is EventKind.REGISTERED else {"message": "m"}
            old.insert_event(Event("ACME-1", seq, kind, T0, "x", data), T0)
    old.close()
    upgraded = open_store(db_target, tmp_path)
    assert upgraded.schema_version() == LATEST
    assert [t.id for t in upgraded.tickets(statuses=["resolved"])] == ["ACME-1"]
    upgraded.close()


def test_store_newer_than_program_is_refused(db_target, tmp_path):
    s = open_store(db_target, tmp_path)
    with s.transaction():
        s.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    s.close()
    with pytest.raises(StoreTooNew, match="schema version 99, newer than this sccli"):
        open_store(db_target, tmp_path)


def test_unwritable_sqlite_path_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="cannot open the store"):
        open_store("/proc/definitely/not/here.db", tmp_path)


def test_postgres_that_does_not_answer_is_temporary(tmp_path):
    pytest.importorskip("psycopg")
    with pytest.raises(TemporaryFailure, match="cannot connect to PostgreSQL at postgresql://u:\\*\\*\\*@127.0.0.1:9/x"):
        open_store("postgresql://u:secretpw@127.0.0.1:9/x", tmp_path)


def test_concurrent_writers_never_collide(tmp_path, db_target):
    """Eight sccli at once on one store: distinct ticket numbers, every note kept in order."""
    import threading

    from sccli.app import App
    from sccli.config import default_config_text, default_sla_text
    from sccli.domain.events import Note
    from sccli.usecases import clients
    from sccli.usecases import tickets as service

    home = tmp_path / "ws"
    home.mkdir()
    (home / "sccli.yaml").write_text(default_config_text(), encoding="utf-8")
    (home / "sla.yaml").write_text(default_sla_text(), encoding="utf-8")
    first = App(home=str(home), db=db_target, at="2026-11-23T10:00", clock="2026-11-23T10:00")
    clients.add_client(first, "ACME", "Acme", None, "on-premise", "it@acme.ru")
    service.add_ticket(first, "ACME", "it@acme.ru", "shared", "", None, "portal", False)
    first.close()
    errors, ids = [], []

    def work(n: int) -> None:
        app = App(home=str(home), db=db_target, at="2026-11-23T10:00", clock="2026-11-23T10:00")
        try:
            ticket = service.add_ticket(app, "ACME", "it@acme.ru", f"t{n}", "", None, "portal", False)
            ids.append(ticket.id)
            service.record(app, "ACME-1", Note(message=f"n{n}"))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            app.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(ids, key=lambda i: int(i.split("-")[1])) == [f"ACME-{n}" for n in range(2, 10)]
    check = App(home=str(home), db=db_target, at="2026-11-23T10:00")
    try:
        notes = [e for e in check.store.events("ACME-1") if e.kind is EventKind.NOTE]
        assert len(notes) == 8 and [e.seq for e in notes] == list(range(2, 10))
    finally:
        check.close()


def test_instance_id_is_created_once_and_kept(db_target, tmp_path):
    s = open_store(db_target, tmp_path)
    first = s.instance_id()
    assert len(first) == 32 and s.instance_id() == first
    s.close()
    again = open_store(db_target, tmp_path)
    assert again.instance_id() == first
    again.close()
