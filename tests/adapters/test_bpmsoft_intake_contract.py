"""The ``bpmsoft`` adapter passes the intake contract (issue 11: "The adapter passes the
contract suite in both roles"; the escalation role's suite is ``TestBpmSoftContract`` in
test_bpmsoft.py), against the fake BPMSoft server over real HTTP on loopback, with the
adapter's default configuration (accounts unmapped: a request names its account) except
``overlap: 0``: the adapter's own re-read window (default 5m, for rows BPMSoft commits
late) deliberately lists cases changed up to ``overlap`` before ``since``, which the
contract's exact "updated at/after ``since``" check would count against it; sync's own
overlap and its per-request ``remote_updated_at`` make the extra rows harmless (they are
read and skipped). ``test_the_overlap_window_re_reads_late_rows`` pins that behaviour."""

from __future__ import annotations

import pytest
from intake_contract import IntakeContract
from test_bpmsoft import PASSWORD, factory, make_adapter, time

from sccli.fakes.bpmsoft import FakeBpmSoft

__all__ = ["factory", "time"]  # the HTTP fixtures of test_bpmsoft.py


class PortalClient:
    """The client on the portal: an account and contact per name/e-mail, cases and
    customer-visible messages as the portal writes them."""

    def __init__(self, server: FakeBpmSoft):
        self.db = server.db
        self.accounts: dict[str, str] = {}
        self.contacts: dict[str, str] = {}

    def _contact(self, account: str | None, email: str) -> str:
        if email not in self.contacts:
            self.contacts[email] = self.db.add_contact(email.split("@")[0], email, account)
        return self.contacts[email]

    def new_request(self, account, reporter, title, body):
        if account not in self.accounts:
            self.accounts[account] = self.db.add_account(account)
        return self.db.add_case(title, body, account_id=self.accounts[account],
                                contact_id=self._contact(self.accounts[account], reporter))["Id"]

    def message(self, request_id, body, author):
        self.db.add_message("PortalMessage", request_id, body, self._contact(None, author),
                            FromPortal=True)

    def tick(self):
        self.db.advance(2)


@pytest.fixture
def intake(factory):
    with FakeBpmSoft(password=PASSWORD) as server:
        yield make_adapter(server, factory, overlap=0), PortalClient(server)


class TestBpmSoftIntakeContract(IntakeContract):
    pass


def test_the_overlap_window_re_reads_late_rows(factory):
    """With the default ``overlap`` (5m) a case changed 2 minutes before ``since`` is listed
    again (a row committed late); one changed 10 minutes before is not."""
    with FakeBpmSoft(password=PASSWORD) as server:
        client = PortalClient(server)
        old = client.new_request("Acme", "it@acme.example", "Старая", "Текст")
        server.db.advance(480)
        recent = client.new_request("Acme", "it@acme.example", "Недавняя", "Текст")
        server.db.advance(120)
        got = [r.id for r in make_adapter(server, factory).requests_changed_since(
            server.db.now())]
        assert got == [recent] and old not in got
