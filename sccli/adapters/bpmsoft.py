"""BPMSoft (Creatio) over OData 4: the Customer Success Portal (intake) and a vendor's
BPMSoft-based support portal (escalation target). Facts and sources:
../shared/research/bpmsoft.md; sessions and paging: ``bpmsoft_odata``.

Intake (``Intake``): a ``Case`` is a client's request. Read by ``ModifiedOn`` (with the
``overlap`` window before the cursor, for clock skew and rows committed late), ordered
``ModifiedOn asc,Id asc``, with ``$select`` of what is used and the account and contact
expanded in the same request. The client's messages are the customer-visible
``PortalMessage`` rows (``HideOnPortal``/``IsNotPublished`` false). A case whose message
history grew without its ``ModifiedOn`` moving is found through ``CaseMessageHistory``
(``watch_messages``). Answers are written as ``PortalMessage`` rows (``FromPortal`` false)
ending in sccli's origin marker, and the case's status is moved by the status *flags*
(``IsPaused``, ``IsResolved``, ``IsFinal``), never by names, so an installation's own
statuses (BPMSoft's 22, "Получен ответ") work. ``bind`` writes the ticket marker as an
internal feed post (``SocialMessage``), which the client never sees on the portal.

Escalation (``Adapter``): sccli creates a ``Case`` whose ``Symptoms`` end with the ticket
marker, comments with ``PortalMessage`` rows, and reads the vendor's replies. Authors are
contacts: ``CreatedById`` names who wrote a row, ``account()`` is the contact of sccli's
system user (``SysAdminUnit``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sccli.adapters.base import (
    Adapter,
    Capabilities,
    NotFound,
    RemoteComment,
    RemoteIssue,
    TrackerError,
    ValidationError,
    comment_marker,
    issue_marker,
    parse_comment_marker,
    parse_issue_marker,
    strip_markers,
    with_marker,
)
from sccli.adapters.bpmsoft_intake import IntakeRole
from sccli.adapters.bpmsoft_lookups import Lookups
from sccli.adapters.bpmsoft_odata import BpmSession, parse, quote
from sccli.adapters.intake import INTAKE, Intake
from sccli.schema import Bool, Duration, Field, Int, MapOf, SecretRef, Str, Struct

CASE_SCHEMA_UID = "117d32f9-8275-4534-8411-1c66115ce9cd"  # EntitySchemaUId of Case
ENTITY_DEFAULTS = {"portal_message": "PortalMessage", "feed": "SocialMessage",
                   "message_history": "CaseMessageHistory", "schema_column": "EntitySchemaUId"}
CASE_COLUMNS = ("Id,Number,Subject,Symptoms,RegisteredOn,ModifiedOn,CreatedById,StatusId,"
                "PriorityId,OriginId,AccountId,ContactId,ResponseDate,SolutionDate,RespondedOn")
CASE_EXPAND = "Account($select=Id,Name,Code),Contact($select=Id,Name,Email)"
# who wrote a message: CreatedBy is the author's contact (its e-mail names them for people
# and becomes the actor of the event the message is recorded as)
AUTHOR_EXPAND = "CreatedBy($select=Id,Name,Email)"
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_URL = Str(pattern=r"https?://\S+", expected="an http(s) URL")


class BpmSoftAdapter(IntakeRole, Adapter, Intake):
    kind = "bpmsoft"
    roles = frozenset({"escalation", INTAKE})
    capabilities = Capabilities(
        comments=True, labels=False, priorities=True, transitions=True,
        conditional_requests=False, marker_search=True,
    )
    config_schema = {
        "url": Field(_URL, required=True),  # the site, with or without /0
        "login": Field(Str()),
        "password": Field(SecretRef()),
        "client_id": Field(Str()),  # OAuth 2.0 client credentials instead of a login
        "client_secret": Field(SecretRef()),
        "token_url": Field(_URL),  # default {url}/connect/token
        "user": Field(Str()),  # the system user behind an OAuth client (for account())
        "odata_root": Field(Str(choices=("0/odata", "odata"))),  # else found on first use
        "page_size": Field(Int(minimum=1, maximum=20_000), default=500),
        "overlap": Field(Duration(), default=300),
        "watch_messages": Field(Bool(), default=True),
        "hidden_markers": Field(Bool(), default=True),
        "entities": Field(Struct({
            "portal_message": Field(Str(), default="PortalMessage"),
            "feed": Field(Str(), default="SocialMessage"),
            "message_history": Field(Str(), default="CaseMessageHistory"),
            "schema_column": Field(Str(choices=("EntitySchemaUId", "EntitySchemaName")),
                                   default="EntitySchemaUId"),
        }), default=dict),
        "accounts": Field(MapOf(Str(), key=Str()), default=dict),  # Id/Name/Code → client
        "statuses": Field(MapOf(Str(pattern=_GUID, expected="a CaseStatus GUID")),
                          default=dict),  # step → status
        "priorities": Field(MapOf(Str(choices=("critical", "high", "medium", "low"))),
                            default=dict),  # CasePriority GUID → sccli priority
        "origins": Field(MapOf(Str(choices=("email", "portal", "phone", "messenger"))),
                         default=dict),  # CaseOrigin GUID → sccli channel
        "escalation": Field(Struct({  # what sccli's cases on a vendor's portal carry
            "account_id": Field(Str(pattern=_GUID, expected="an Account GUID")),
            "contact_id": Field(Str(pattern=_GUID, expected="a Contact GUID")),
            "origin_id": Field(Str(pattern=_GUID, expected="a CaseOrigin GUID")),
        }), default=dict),
    }
    page_size = 500

    def __init__(self, name, config, http_factory, secret):
        super().__init__(name, config, http_factory, secret)
        self.entities = {**ENTITY_DEFAULTS, **(self.config.get("entities") or {})}
        self.escalation = dict(self.config.get("escalation") or {})
        self.hidden = bool(self.config.get("hidden_markers", True))
        self.page_size = int(self.config.get("page_size") or 500)
        self.base = self.config["url"].rstrip("/")
        self.session = BpmSession(self.base, http_factory, f"bpmsoft {name}", secret,
                                  self.config)
        self.lookups = Lookups(self.session, self.config)
        self._account: str | None = None

    # ------------------------------------------------------------------ helpers
    def _case_url(self, case_id: str) -> str:
        return f"{self.session.site}/0/Nui/ViewModule.aspx#CardModuleV2/CasePage/edit/{case_id}"

    def _key(self, value: str) -> str:
        if not isinstance(value, str) or len(value) != 36 or value.count("-") != 4:
            raise NotFound(f"{value!r} is not a BPMSoft case id", self.session.name)
        return value.lower()

    def _case(self, case_id: str) -> dict[str, Any]:
        rows = self.session.get("Case", {"$filter": f"Id eq {self._key(case_id)}",
                                         "$select": CASE_COLUMNS, "$expand": CASE_EXPAND})
        if not rows.get("value"):
            raise NotFound(f"case {case_id} does not exist or is not visible",
                           self.session.name)
        return rows["value"][0]

    def _messages(self, case_id: str, entity: str | None = None) -> list[dict[str, Any]]:
        entity = entity or self.entities["portal_message"]
        return list(self.session.rows(
            entity, filter=f"EntityId eq {self._key(case_id)}", orderby="CreatedOn asc,Id asc",
            page=self.page_size, expand=AUTHOR_EXPAND))

    def _comment(self, row: Mapping[str, Any]) -> RemoteComment:
        text = str(row.get("Message") or "")
        author_id = str(row.get("CreatedById") or "")
        who = row.get("CreatedBy") or {}  # the author's contact: people know its e-mail
        author = str(who.get("Email") or who.get("Name") or author_id)
        return RemoteComment(id=str(row["Id"]), body=strip_markers(text), author=author,
                             created_at=parse(row.get("CreatedOn")),
                             origin=parse_comment_marker(text), author_id=author_id or None)

    def _post_message(self, entity: str, case_id: str, text: str,
                      **extra: Any) -> dict[str, Any]:
        column = self.entities["schema_column"]
        body = {column: CASE_SCHEMA_UID if column == "EntitySchemaUId" else "Case",
                "EntityId": self._key(case_id), "Message": text, **extra}
        try:
            return self.session.call("POST", entity, json=body, expect=(200, 201)).json()
        except ValidationError as exc:  # the other column name (installations differ)
            if column not in str(exc):
                raise
            other = "EntitySchemaName" if column == "EntitySchemaUId" else "EntitySchemaUId"
            self.entities["schema_column"] = other
            body.pop(column)
            body[other] = CASE_SCHEMA_UID if other == "EntitySchemaUId" else "Case"
            return self.session.call("POST", entity, json=body, expect=(200, 201)).json()

    def _visible(self, row: Mapping[str, Any]) -> bool:
        return not row.get("HideOnPortal") and not row.get("IsNotPublished")

    # ------------------------------------------------------------------ both roles
    def check(self) -> str:
        self.session.get("CaseStatus", {"$top": 1, "$select": "Id"})
        who = (f"OAuth client {self.config['client_id']}" if self.session.oauth
               else self.session.login_name)
        return (f"authenticated as {who} on {self.session.site} "
                f"(OData 4 at /{self.session.root or '0/odata'})")

    def account(self) -> str:
        if self._account is None:
            login = self.session.login_name
            if not login:
                raise TrackerError("set user: the system user behind the OAuth client, so "
                                   "sccli can tell its own cases and messages",
                                   self.session.name)
            rows = self.session.get("SysAdminUnit", {"$filter": f"Name eq {quote(login)}",
                                                     "$select": "Id,Name,ContactId"})
            found = [r for r in rows.get("value") or () if r.get("ContactId")]
            if not found:
                raise TrackerError(f"system user {login} has no contact", self.session.name)
            self._account = str(found[0]["ContactId"]).lower()
        return self._account

    # ------------------------------------------------------------------ escalation role
    def _issue(self, row: Mapping[str, Any], comments: tuple[RemoteComment, ...] = ()
               ) -> RemoteIssue:
        text = str(row.get("Symptoms") or "")
        state = self.lookups.state(row.get("StatusId"))
        return RemoteIssue(
            id=str(row["Id"]), url=self._case_url(str(row["Id"])),
            title=str(row.get("Subject") or ""), body=strip_markers(text),
            state="closed" if state in ("resolved", "closed") else "open",
            updated_at=parse(row.get("ModifiedOn")),
            priority=self.lookups.priority(row.get("PriorityId")), comments=comments,
            ticket=parse_issue_marker(text), author=str(row.get("CreatedById") or ""),
            author_id=str(row.get("CreatedById") or "") or None)

    def changed_since(self, since: datetime | None) -> Iterator[RemoteIssue]:
        for row in self.session.changed("Case", "ModifiedOn", since, CASE_COLUMNS,
                                        self.page_size):
            yield self._issue(row)

    def get(self, issue_id: str) -> RemoteIssue:
        row = self._case(issue_id)
        comments = tuple(self._comment(m) for m in self._messages(issue_id) if self._visible(m))
        return self._issue(row, comments)

    def create(self, ticket: str, title: str, body: str, labels: Sequence[str] = (),
               priority: str | None = None) -> RemoteIssue:
        if not title.strip():
            raise ValidationError("a case needs a subject (Тема)", self.session.name)
        fields: dict[str, Any] = {
            "Subject": title, "Symptoms": with_marker(body, issue_marker(ticket, self.hidden))}
        if priority:
            fields["PriorityId"] = self.lookups.priority_id(priority)
        for key, column in (("account_id", "AccountId"), ("contact_id", "ContactId"),
                            ("origin_id", "OriginId")):
            if self.escalation.get(key):
                fields[column] = self.escalation[key]
        row = self.session.call("POST", "Case", json=fields, expect=(200, 201)).json()
        return self._issue(row)

    def comment(self, issue_id: str, body: str, origin: str) -> RemoteComment:
        self._case(issue_id)  # NotFound before writing anything
        row = self._post_message(self.entities["portal_message"], issue_id,
                                 with_marker(body, comment_marker(origin, self.hidden)))
        return self._comment(row)

    def _marked(self, needle: str) -> Iterator[dict[str, Any]]:
        yield from self.session.rows("Case", filter=f"contains(Symptoms,{quote(needle)})",
                                     select=CASE_COLUMNS, page=self.page_size)

    def find_by_marker(self, ticket: str) -> RemoteIssue | None:
        for row in self._marked(f"sccli:ticket={ticket}"):
            if (parse_issue_marker(row.get("Symptoms")) == ticket
                    and str(row.get("CreatedById") or "").lower() == self.account()):
                return self._issue(row)
        return None

    def marked_issues(self) -> Iterator[RemoteIssue]:
        for row in self._marked("sccli:ticket="):
            issue = self._issue(row)
            if issue.ticket is not None:
                yield issue

    # ------------------------------------------------------------------ files
    def attachments(self, case_id: str) -> list[dict[str, Any]]:
        """The case's files (Id, Name, Size), for listing and on-demand download."""
        return list(self.session.rows("CaseFile", filter=f"CaseId eq {self._key(case_id)}",
                                      select="Id,Name,Size", orderby="CreatedOn asc,Id asc"))

    def download(self, file_id: str, max_bytes: int = 10 * 1024 * 1024) -> bytes:
        """A file's content, refused above ``max_bytes`` (BPMSoft's MaxFileSize default)."""
        resp = self.session.call("GET", f"CaseFile({self._key(file_id)})/Data")
        size = int(resp.headers.get("Content-Length") or len(resp.content))
        if size > max_bytes:
            raise ValidationError(f"file {file_id} is {size} bytes, above the cap of "
                                  f"{max_bytes}", self.session.name)
        return bytes(resp.content)

