"""The intake half of the ``bpmsoft`` adapter: the Customer Success Portal's cases as
client requests, the executor's answers written back (see ``sccli.adapters.intake``).

* ``account`` of a request is the client key sccli.yaml knows it by: ``accounts:`` maps an
  Account's Id, Code or Name to a client key; an unmapped account is given by its Code
  (else its Name), so sync reports it as unknown instead of guessing.
* ``reporter`` is the contact's e-mail; ``channel`` comes from the origin; ``priority``
  from the case's priority; ``state`` from the status flags; ``deadlines`` are the portal's
  own ``ResponseDate`` ("response"), ``SolutionDate`` ("solution") and ``RespondedOn``
  ("responded"), which sccli compares with its own clocks (the contract's reference).
* ``bind`` posts the ticket marker as an internal feed message (``SocialMessage``): the
  feed is the employees' side of a case, never shown on the portal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from sccli.adapters.base import (
    RemoteComment,
    comment_marker,
    issue_marker,
    parse_comment_marker,
    parse_issue_marker,
    strip_markers,
    with_marker,
)
from sccli.adapters.bpmsoft_odata import parse, quote
from sccli.adapters.intake import STEPS, IncomingRequest

_DEADLINES = (("response", "ResponseDate"), ("solution", "SolutionDate"),
              ("responded", "RespondedOn"))


class IntakeRole:
    """Mixed into ``BpmSoftAdapter`` (which provides session, lookups, entities, helpers)."""

    session: Any
    lookups: Any
    entities: dict[str, str]
    config: dict[str, Any]
    page_size: int
    hidden: bool
    # the adapter's helpers (declared, not defined: the adapter's own are found)
    account: Callable[[], str]
    attachments: Callable[[str], list[dict[str, Any]]]
    _case: Callable[[str], dict[str, Any]]
    _case_url: Callable[[str], str]
    _comment: Callable[[Mapping[str, Any]], RemoteComment]
    _messages: Callable[..., list[dict[str, Any]]]
    _post_message: Callable[..., dict[str, Any]]
    _visible: Callable[[Mapping[str, Any]], bool]

    def _client_key(self, account: Mapping[str, Any] | None) -> str:
        if not account:
            return ""
        mapping = {str(k).lower(): v for k, v in (self.config.get("accounts") or {}).items()}
        for value in (account.get("Id"), account.get("Code"), account.get("Name")):
            if value and str(value).lower() in mapping:
                return str(mapping[str(value).lower()])
        return str(account.get("Code") or account.get("Name") or account.get("Id") or "")

    def incoming(self, row: Mapping[str, Any], messages: tuple[RemoteComment, ...] = (),
                 attachments: tuple[str, ...] = (), ticket: str | None = None,
                 updated_at: datetime | None = None) -> IncomingRequest:
        contact = row.get("Contact") or {}
        deadlines = {key: parse(row[col]) for key, col in _DEADLINES if row.get(col)}
        return IncomingRequest(
            id=str(row["Id"]), number=str(row.get("Number") or ""),
            url=self._case_url(str(row["Id"])),
            account=self._client_key(row.get("Account")),
            reporter=str(contact.get("Email") or ""),
            registered_at=parse(row.get("RegisteredOn") or row.get("CreatedOn")),
            updated_at=max(parse(row.get("ModifiedOn")), updated_at or parse(None)),
            title=str(row.get("Subject") or ""), body=strip_markers(row.get("Symptoms")),
            state=self.lookups.state(row.get("StatusId")),
            status_name=self.lookups.status_name(row.get("StatusId")),
            channel=self.lookups.channel(row.get("OriginId")),
            priority=self.lookups.priority(row.get("PriorityId")),
            messages=messages, attachments=attachments, ticket=ticket, deadlines=deadlines)

    def requests_changed_since(self, since: datetime | None) -> Iterator[IncomingRequest]:
        """Cases changed at/after ``since`` minus ``overlap``, oldest change first; then,
        with ``watch_messages``, cases whose message history grew meanwhile although their
        ``ModifiedOn`` did not move (each once, stamped with the newest message)."""
        from sccli.adapters.bpmsoft import CASE_COLUMNS, CASE_EXPAND

        overlap = timedelta(seconds=int(self.config.get("overlap") or 0))
        start = None if since is None else since - overlap
        seen: set[str] = set()
        for row in self.session.changed("Case", "ModifiedOn", start, CASE_COLUMNS,
                                        self.page_size, expand=CASE_EXPAND):
            if start is not None:  # a full read needs no second look (memory stays flat)
                seen.add(str(row["Id"]).lower())
            yield self.incoming(row)
        if start is None or not self.config.get("watch_messages", True):
            return
        newest: dict[str, datetime] = {}
        for row in self.session.changed(self.entities["message_history"], "CreatedOn", start,
                                        "Id,CaseId,CreatedOn", self.page_size):
            case = str(row.get("CaseId") or "").lower()
            if case and case not in seen:
                newest[case] = max(newest.get(case, start), parse(row.get("CreatedOn")))
        for case, stamp in sorted(newest.items(), key=lambda kv: (kv[1], kv[0])):
            yield self.incoming(self._case(case), updated_at=stamp)

    def request(self, request_id: str) -> IncomingRequest:
        """One case with its client-visible messages, file names and sccli's ticket."""
        row = self._case(request_id)
        messages = tuple(self._comment(m) for m in self._messages(request_id)
                         if self._visible(m))
        files = tuple(str(f.get("Name") or "") for f in self.attachments(request_id))
        return self.incoming(row, messages, files, self._bound(request_id))

    def _bound(self, request_id: str) -> str | None:
        """The ticket named by sccli's own feed post on the case (None: not bound)."""
        me = self.account()
        found = None
        for row in self._messages(request_id, self.entities["feed"]):
            ticket = parse_issue_marker(row.get("Message"))
            if ticket and str(row.get("CreatedById") or "").lower() == me:
                found = ticket
        return found

    def bind(self, request_id: str, ticket: str) -> None:
        """Post ``sccli:ticket=…`` to the case's internal feed, once (idempotent)."""
        if self._bound(request_id) == ticket:
            return
        text = with_marker(f"sccli ticket {ticket}", issue_marker(ticket, hidden=False))
        self._post_message(self.entities["feed"], request_id, text)

    def _written(self, request_id: str, origin: str) -> dict[str, Any] | None:
        """sccli's message for ``origin`` on the case, if a run wrote it already (a crash
        after the write, before sync recorded it): a repeated ``reply`` then only moves
        the status, so each answer reaches the client once."""
        needle = quote(f"sccli:origin={origin}")
        rows = self.session.rows(
            self.entities["portal_message"], page=self.page_size, orderby="CreatedOn asc,Id asc",
            filter=f"EntityId eq {str(request_id).lower()} and contains(Message,{needle})")
        known = not self.session.oauth or self.config.get("user")
        mine = self.account() if known else None
        for row in rows:
            if parse_comment_marker(row.get("Message")) == origin and (
                    mine is None or str(row.get("CreatedById") or "").lower() == mine):
                return row
        return None

    def reply(self, request_id: str, body: str, origin: str, step: str | None
              ) -> RemoteComment:
        """A customer-visible portal message ending in ``origin``'s marker (unless sccli's
        message for ``origin`` is there already); then, for ``step``, the case's status as
        the status flags say (see ``Lookups.status_for``)."""
        if step is not None and step not in STEPS:
            raise ValueError(f"unknown step {step!r}")
        status = self.lookups.status_for(step) if step else None  # fail before writing
        row = self._written(request_id, origin)
        if row is None:
            text = with_marker(body, comment_marker(origin, self.hidden))
            row = self._post_message(
                self.entities["portal_message"], request_id, text,
                FromPortal=False, HideOnPortal=False)
        if status is not None:
            self.session.call("PATCH", f"Case({str(request_id).lower()})",
                              json={"StatusId": status}, expect=(200, 204))
        return self._comment(row)
