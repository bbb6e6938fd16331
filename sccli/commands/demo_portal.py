"""The demo's single window: a local BPMSoft portal for the duration of `sccli demo`.

Contract: the client registers requests "in the client's account on the Customer Success
Portal" («в личном кабинете на Портале»), the executor's single window («единое окно»).
The demo starts the project's BPMSoft-compatible test server (``sccli.fakes.bpmsoft``) on
127.0.0.1, a free port, offline, and the real ``bpmsoft`` adapter talks to it as the
``portal`` intake of the demo workspace. The server, its port, its threads and the HTTP
connections to it end with the demo (``DemoPortal`` is a context manager).

The portal's clock is set to the demo time before each client action, and its cases,
accounts, contacts and the client's messages have fixed ids, so the demo prints the same
on every machine.
"""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from ..adapters.http import HttpFactory
from ..errors import TemporaryFailure

PASSWORD_ENV = "SCCLI_DEMO_PORTAL_PASSWORD"

# (client key, account name, contact e-mail): the portal's accounts, mapped by Code.
ACCOUNTS = [("ACME", "ООО «Акме Ритейл»", "it@acme-retail.ru"),
            ("NORD", "Nordwind Logistics", "support@nordwind.example"),
            ("VEGA", "АО «Вега»", "helpdesk@vega.ru")]

TRACKER = """\
  portal:                 # the single window: a local BPMSoft portal, only while the demo runs
    adapter: bpmsoft
    role: intake
    url: {url}
    login: Supervisor
    password: env:{env}
    accounts: {{ACME: ACME, NORD: NORD, VEGA: VEGA}}
"""


def fixed_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://sccli.invalid/demo/{name}"))


class ClosingFactory(HttpFactory):
    """An HttpFactory that closes its sessions (their keep-alive connections) on demand,
    so no server thread waits on a connection once the demo is over."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sessions: list[Any] = []

    def session(self):
        session = super().session()
        session.trust_env = False  # the portal is on loopback: never through an HTTP(S)_PROXY
        self.sessions.append(session)
        return session

    def close(self) -> None:
        for session in self.sessions:
            session.close()
        self.sessions.clear()


class DemoPortal:
    """The fake BPMSoft server with the demo's accounts; its password lives in the
    environment of this process only while the demo runs (a reference in sccli.yaml)."""

    def __init__(self, tz):
        from ..fakes.bpmsoft import FakeBpmSoft

        self.tz = tz
        self.password = secrets.token_urlsafe(16)
        self.server = FakeBpmSoft(password=self.password)
        self.factories: list[ClosingFactory] = []
        self.accounts: dict[str, str] = {}
        self.contacts: dict[str, str] = {}
        self._saved: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> DemoPortal:
        self._saved = os.environ.get(PASSWORD_ENV)
        os.environ[PASSWORD_ENV] = self.password
        try:
            try:
                self.server.start()
            except OSError as exc:
                raise TemporaryFailure(f"cannot start the demo's local portal on 127.0.0.1:"
                                       f" {exc}") from None
            db = self.server.db
            for key, name, email in ACCOUNTS:
                self.accounts[key] = db.add_account(name, key, Id=fixed_id(f"account/{key}"))
                self.contacts[key] = db.add_contact(email, email, self.accounts[key],
                                                    Id=fixed_id(f"contact/{key}"))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for factory in self.factories:
            factory.close()
        self.server.stop()
        for thread in threading.enumerate():  # request threads end once their socket does
            if thread.name.endswith("(process_request_thread)"):
                thread.join(timeout=2)
        if self._saved is None:
            os.environ.pop(PASSWORD_ENV, None)
        else:
            os.environ[PASSWORD_ENV] = self._saved

    def factory(self) -> ClosingFactory:
        factory = ClosingFactory()
        self.factories.append(factory)
        return factory

    def tracker_config(self) -> str:
        return TRACKER.format(url=self.server.url, env=PASSWORD_ENV)

    # ------------------------------------------------------------------ the client's side
    def at(self, when: str) -> None:
        """The portal's clock reads ``when`` (a demo-day "HH:MM", the demo's timezone)."""
        target = datetime.fromisoformat(f"2026-11-25T{when}").replace(tzinfo=self.tz)
        db = self.server.db
        with db.lock:  # as the server reads its clock: real time in whole milliseconds
            now = datetime.now(UTC)
            db.offset = target - now.replace(microsecond=now.microsecond // 1000 * 1000)

    def case(self, n: int, client: str, subject: str, symptoms: str, registered: str,
             priority: str | None = None) -> str:
        """The client registers a case on the portal (at the portal's clock)."""
        from ..fakes.bpmsoft_data import PRIORITIES, PRIORITY_MEDIUM

        self.at(registered)
        prio = {"critical": PRIORITIES[0][0], "high": PRIORITIES[1][0],
                "low": PRIORITIES[3][0]}.get(priority or "", PRIORITY_MEDIUM)
        row = self.server.db.add_case(
            subject, symptoms, account_id=self.accounts[client], contact_id=self.contacts[client],
            priority=prio, registered_on=datetime.fromisoformat(
                f"2026-11-25T{registered}").replace(tzinfo=self.tz),
            Id=fixed_id(f"case/{n}"))
        return str(row["Id"])

    def client_writes(self, case_id: str, text: str, when: str, n: int) -> None:
        """The client's message on the portal (customer-visible, FromPortal)."""
        self.at(when)
        db = self.server.db
        contact = db.tables["Case"][case_id]["ContactId"]
        db.add_message("PortalMessage", case_id, text, contact, FromPortal=True,
                       Id=fixed_id(f"message/{n}"))

    def conversation(self, case_id: str) -> list[tuple[str, str]]:
        """What the client sees on the case: (who, its text, shortened) per visible message."""
        from ..adapters.base import strip_markers

        rows = []
        for row in self.server.db.messages(case_id):
            if row.get("HideOnPortal") or row.get("IsNotPublished"):
                continue
            who = "client" if row.get("FromPortal") else "support"
            text = " ".join(strip_markers(str(row.get("Message") or "")).split())
            rows.append((who, text if len(text) <= 90 else text[:89] + "…"))
        return rows

    def status(self, case_id: str) -> str:
        db = self.server.db
        return str(db.status(db.tables["Case"][case_id]["StatusId"])["Name"])
