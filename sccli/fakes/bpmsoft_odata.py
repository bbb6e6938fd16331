"""The OData 4 half of the fake BPMSoft server's request handler (see ``bpmsoft``)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from .bpmsoft_data import CASE_SCHEMA_UID, COLUMNS, WRITABLE
from .odata import ODataError, parse_filter, select, sort_rows

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ENTITY = re.compile(rf"^(\w+)(?:\(({_GUID})\))?(/Data|/\$count)?$")


class ODataHandler:
    """Mixed into the HTTP handler: entity reads, writes, queries."""

    fake: Any
    command: str
    path: str
    send: Any
    send_json: Any
    body: Any

    def odata(self, rest: str, query: dict[str, str], login: str) -> None:
        data = self.fake.db
        if rest == "$metadata":
            xml = ('<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" '
                   'xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"/>')
            return self.send(200, xml.encode(), "application/xml; charset=utf-8")
        match = _ENTITY.match(rest)
        if not match or match.group(1) not in COLUMNS:
            raise ODataError(404, f"Resource not found for the segment '{rest.split('(')[0]}'.")
        entity, key, tail = match.group(1), match.group(2), match.group(3)
        user_contact = data.user_contact(login)
        if key is not None:
            key = key.lower()
            with data.lock:
                row = data.tables[entity].get(key)
            if row is None:
                raise ODataError(404, f"The {entity} with Id '{key}' was not found.")
            if tail == "/Data":
                return self.send(200, data.blobs.get(key, b""), "application/octet-stream")
            if self.command == "PATCH":
                fields = self.json_body(entity)
                fields.pop("Id", None)
                data.update(entity, key, fields, user_contact)
                return self.send(204)
            if self.command == "GET":
                body = {"@odata.context": self.context(entity, single=True), **select(row, None)}
                return self.send_json(200, body)
            raise ODataError(405, f"The HTTP method {self.command} is not allowed here.")
        if self.command == "POST":
            return self.create(entity, user_contact)
        if self.command != "GET":
            raise ODataError(405, f"The HTTP method {self.command} is not allowed here.")
        self.collection(entity, query, count_only=tail == "/$count")

    def context(self, entity: str, single: bool = False) -> str:
        return f"{self.fake.url}/0/odata/$metadata#{entity}" + ("/$entity" if single else "")

    def json_body(self, entity: str) -> dict[str, Any]:
        try:
            fields = json.loads(self.body() or b"{}")
        except ValueError:
            raise ODataError(400, "The request body is not valid JSON.") from None
        if not isinstance(fields, dict):
            raise ODataError(400, "The request body must be a JSON object.")
        allowed = COLUMNS[entity] | ({"EntitySchemaName"} if "EntitySchemaUId"
                                     in COLUMNS[entity] else set())
        for name in fields:
            if name not in allowed or (name.startswith("EntitySchema")
                                       and name not in self.fake.schema_columns):
                raise ODataError(400, f"The property '{name}' does not exist on type "
                                 f"'Terrasoft.Configuration.{entity}'. Make sure to only "
                                 "use property names that are defined by the type.")
        return fields

    def create(self, entity: str, by: str | None) -> None:
        data = self.fake.db
        if entity not in WRITABLE:
            raise ODataError(405, f"Inserting into {entity} is not allowed for this user.")
        fields = self.json_body(entity)
        if entity == "Case":
            if not str(fields.get("Subject") or "").strip():
                raise ODataError(400, "Column 'Subject' (Тема) of 'Case' is required.")
            row = data.create_case(fields, by)
        else:
            name = fields.pop("EntitySchemaName", None)
            uid = str(fields.pop("EntitySchemaUId", "") or "").lower()
            if name is not None and name != "Case" or name is None and uid != CASE_SCHEMA_UID:
                raise ODataError(400, "Only messages on 'Case' are supported by this server.")
            case_id = str(fields.pop("EntityId", "") or "").lower()
            if case_id not in data.tables["Case"]:
                raise ODataError(400, f"The Case with Id '{case_id}' was not found.")
            text = str(fields.pop("Message", "") or "")
            if not text.strip():
                raise ODataError(400, "Column 'Message' is required.")
            row = data.add_message(entity, case_id, text, by, **fields)
        body = {"@odata.context": self.context(entity, single=True), **select(row, None)}
        self.send_json(201, body, [("Location", f"{self.fake.url}/0/odata/{entity}({row['Id']})")])

    def collection(self, entity: str, query: dict[str, str], count_only: bool) -> None:
        fake, columns = self.fake, COLUMNS[entity]
        with fake.db.lock:
            rows = list(fake.db.tables[entity].values())
        if query.get("$filter"):
            keep = parse_filter(query["$filter"], columns)
            rows = [r for r in rows if keep(r)]
        if count_only:
            return self.send(200, str(len(rows)).encode(), "text/plain; charset=utf-8")
        if query.get("$orderby"):
            sort_rows(rows, query["$orderby"], columns)
        try:
            skip = int(query.get("$skip") or 0)
            top = int(query["$top"]) if query.get("$top") not in (None, "") else None
        except ValueError:
            raise ODataError(400, "$top and $skip take non-negative integers.") from None
        fields = [f.strip() for f in query.get("$select", "").split(",") if f.strip()]
        for name in fields:
            if name not in columns:
                raise ODataError(400, f"Could not find a property named '{name}' on "
                                 f"type 'Terrasoft.Configuration.{entity}'.")
        total = len(rows)
        wanted = rows[skip:] if top is None else rows[skip:skip + top]
        page = wanted[:fake.max_rows]
        body: dict[str, Any] = {"@odata.context": self.context(entity)}
        if (query.get("$count") or "").lower() == "true":
            body["@odata.count"] = total
        expand = self.expansions(entity, query.get("$expand", ""))
        body["value"] = [self.expanded(select(r, fields), r, expand) for r in page]
        if fake.next_links and len(page) < len(wanted):
            nxt = dict(query, **{"$skip": str(skip + len(page))})
            if top is not None:
                nxt["$top"] = str(top - len(page))
            body["@odata.nextLink"] = f"{fake.url}{urlsplit(self.path).path}?{urlencode(nxt)}"
        self.send_json(200, body)


    def expansions(self, entity: str, text: str) -> list[tuple[str, str, list[str] | None]]:
        """``$expand=Account($select=Name,Code),Contact``: (navigation, table, fields)."""
        out = []
        for match in re.finditer(r"(\w+)(?:\(\$select=([\w,]+)\))?(?:,|$)", text.strip()):
            nav = match.group(1)
            table = _NAVIGATION.get(nav, nav)
            if nav + "Id" not in COLUMNS[entity] or table not in COLUMNS:
                raise ODataError(400, f"Could not find a navigation property named '{nav}'.")
            fields = match.group(2).split(",") if match.group(2) else None
            out.append((nav, table, fields))
        return out

    def expanded(self, out: dict[str, Any], row: dict[str, Any],
                 expand: list[tuple[str, str, list[str] | None]]) -> dict[str, Any]:
        for nav, table, fields in expand:
            target = self.fake.db.tables[table].get(str(row.get(nav + "Id") or ""))
            out[nav] = None if target is None else select(target, fields)
        return out


_NAVIGATION = {"Owner": "Contact", "CreatedBy": "Contact", "ModifiedBy": "Contact",
               "Status": "CaseStatus", "Priority": "CasePriority", "Origin": "CaseOrigin",
               "Entity": "Case"}


