"""What the fake BPMSoft server holds: entities, their columns, seeded lookups, seed helpers.

Lookup GUIDs and names are the documented ones (../shared/research/bpmsoft.md §1.10, from
the CrtCaseManagmentObject package data). The 22-status variant reproduces what a BPMSoft
production installation shows (same flags; f063ebbe… is "Получен ответ" there); its 15
extra rows have invented names and GUIDs, since only their flags matter to sccli.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

CASE_SCHEMA_UID = "117d32f9-8275-4534-8411-1c66115ce9cd"
PORTAL_MESSAGE_COMMENT = "d00c02b1-f740-409d-9f04-d921f2aaae3e"
NOTIFIER_SOCIAL = "cbc093f4-ae7b-4ce1-89c9-51c5cddced59"
NOTIFIER_EMAIL = "d6650c53-bbe4-4ac2-9df8-a1fd23938e83"
NOTIFIER_PORTAL = "0c61da8a-7a29-42c0-9877-08d5fef15f28"

# CaseStatus: (Id, Name, IsFinal, IsResolved, IsPaused, StageNumber)
STATUSES = [
    ("ae5f2f10-f46b-1410-fd9a-0050ba5d6c38", "Новое", False, False, False, 0),
    ("7e9f1204-f46b-1410-fb9a-0050ba5d6c38", "В работе", False, False, False, 1),
    ("3859c6e7-cbcb-486b-ba53-77808fe6e593", "Ожидает ответа", False, False, True, 2),
    ("ae7f411e-f46b-1410-009b-0050ba5d6c38", "Решено", False, True, False, 4),
    ("3e7f420c-f46b-1410-fc9a-0050ba5d6c38", "Закрыто", True, False, False, 5),
    ("6e5f4218-f46b-1410-fe9a-0050ba5d6c38", "Отменено", True, False, False, 5),
    ("f063ebbe-fdc6-4982-8431-d8cfa52fedcf", "Переоткрыто", False, False, False, 0),
]
# The BPMSoft production table: 22 rows; the reopened row is "Получен ответ".
_EXTRA_22 = [
    ("Зарегистрировано", False, False, False), ("Назначено", False, False, False),
    ("Анализ", False, False, False), ("Передано вендору", False, False, False),
    ("Передано партнёру", False, False, False), ("Ожидает ответа клиента", False, False, True),
    ("Ожидает вендора", False, False, True), ("Отложено", False, False, True),
    ("На тестировании", False, False, False), ("Решение предоставлено", False, True, False),
    ("Ожидает подтверждения", False, True, False), ("Отклонено", True, False, False),
    ("Дубликат", True, False, False), ("Закрыто автоматически", True, False, False),
    ("Архив", True, False, False),
]
STATUSES_22 = [row if row[0] != STATUSES[6][0] else (row[0], "Получен ответ", *row[2:])
               for row in STATUSES] + [
    (str(uuid.uuid5(uuid.NAMESPACE_URL, f"bpmsoft-status-{n}")), name, final, resolved,
     paused, 3) for n, (name, final, resolved, paused) in enumerate(_EXTRA_22)]

PRIORITIES = [
    ("afb33208-f46b-1410-ec8c-0050ba5d6c38", "Критический", 1),
    ("8b700f24-f46b-1410-ee8c-0050ba5d6c38", "Высокий", 2),
    ("d9bd322c-f46b-1410-ee8c-0050ba5d6c38", "Средний", 3),
    ("cbb93036-f46b-1410-ef8c-0050ba5d6c38", "Низкий", 4),
]
ORIGINS = [
    ("5e5e202a-f46b-1410-3692-0050ba5d6c38", "Звонок"),
    ("7f9e1f1e-f46b-1410-3492-0050ba5d6c38", "Email"),
    ("debf4124-f46b-1410-3592-0050ba5d6c38", "Портал самообслуживания"),
    ("019259af-ec9c-4c87-9565-3c00700c7875", "Чат"),
    ("406ac5a1-a924-4af6-9f64-f4fedc66be8c", "Форум"),
    ("40349262-bb11-4f90-8215-931ece6abe22", "Обнаружен сотрудником"),
    ("43090402-deef-4155-8aaf-d4b72721f2be", "Личный визит"),
    ("d38a1692-5a83-4253-a592-7d19fe00593c", "Сайт"),
    ("673de246-f464-4ad1-883c-8a21508bdf33", "Социальные сети"),
]
STATUS_NEW, STATUS_CLOSED = STATUSES[0][0], STATUSES[4][0]
PRIORITY_MEDIUM = PRIORITIES[2][0]
ORIGIN_PORTAL, ORIGIN_EMAIL, ORIGIN_CALL = ORIGINS[2][0], ORIGINS[1][0], ORIGINS[0][0]

_AUDIT = ("CreatedOn", "CreatedById", "ModifiedOn", "ModifiedById")
COLUMNS: dict[str, frozenset[str]] = {name: frozenset(cols + _AUDIT) for name, cols in {
    "Case": ("Id", "Number", "Subject", "Symptoms", "RegisteredOn", "ResponseDate",
             "SolutionDate", "RespondedOn", "SolutionProvidedOn", "ClosureDate", "StatusId",
             "PriorityId", "OriginId", "AccountId", "ContactId", "OwnerId", "Solution"),
    "CaseStatus": ("Id", "Name", "IsFinal", "IsResolved", "IsPaused", "StageNumber"),
    "CasePriority": ("Id", "Name", "Priority"),
    "CaseOrigin": ("Id", "Name"),
    "Account": ("Id", "Name", "Code"),
    "Contact": ("Id", "Name", "Email", "AccountId"),
    "SysAdminUnit": ("Id", "Name", "ContactId"),
    "PortalMessage": ("Id", "EntitySchemaUId", "EntityId", "Message", "FromPortal",
                      "HideOnPortal", "IsNotPublished", "TypeId"),
    "SocialMessage": ("Id", "EntitySchemaUId", "EntityId", "Message", "ParentId"),
    "CaseMessageHistory": ("Id", "CaseId", "Message", "MessageNotifierId", "RecordId",
                           "HasAttachment"),
    "CaseFile": ("Id", "CaseId", "Name", "Size", "Notes"),
}.items()}
# What a client may create with POST (and the feed/portal messages both name the case).
WRITABLE = frozenset({"Case", "PortalMessage", "SocialMessage"})


def new_id() -> str:
    return str(uuid.uuid4())


class BpmData:
    """Entities by name → rows by Id (lowercase GUID strings); dates are aware datetimes.

    ``clock`` is real time shifted by ``advance()``; every write goes through ``lock``.
    """

    def __init__(self, statuses: str = "standard"):
        self.lock = threading.RLock()
        self.offset = timedelta()
        self._last: tuple[datetime | None, timedelta] = (None, self.offset)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in COLUMNS}
        self.blobs: dict[str, bytes] = {}
        self.numbers = 0
        self.touch_case_on_message = True
        rows = STATUSES_22 if statuses == "22" else STATUSES
        for sid, name, final, resolved, paused, stage in rows:
            self._put("CaseStatus", {"Id": sid, "Name": name, "IsFinal": final,
                                     "IsResolved": resolved, "IsPaused": paused,
                                     "StageNumber": stage})
        for pid, name, order in PRIORITIES:
            self._put("CasePriority", {"Id": pid, "Name": name, "Priority": order})
        for oid, name in ORIGINS:
            self._put("CaseOrigin", {"Id": oid, "Name": name})

    # ------------------------------------------------------------------ basics
    def now(self) -> datetime:
        """The server's clock, in whole milliseconds like BPMSoft's, strictly increasing:
        two writes never share an instant, so "CreatedOn asc, Id asc" is the order they
        happened in (random GUIDs would otherwise order same-millisecond rows by chance)."""
        with self.lock:
            now = datetime.now(UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000) + self.offset
            last, offset = self._last
            if offset == self.offset and last is not None and now <= last:
                now = last + timedelta(milliseconds=1)  # (a clock set anew starts afresh)
            self._last = (now, self.offset)
            return now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.offset += timedelta(seconds=seconds)

    def _put(self, table: str, row: dict[str, Any], by: str | None = None) -> dict[str, Any]:
        now = self.now()
        full: dict[str, Any] = dict.fromkeys(COLUMNS[table])
        full.update({"CreatedOn": now, "ModifiedOn": now, "CreatedById": by,
                     "ModifiedById": by})
        full.update(row)
        full["Id"] = str(full.get("Id") or new_id()).lower()
        self.tables[table][full["Id"]] = full
        return full

    def rows(self, table: str) -> Iterable[dict[str, Any]]:
        return list(self.tables[table].values())

    def status(self, name_or_id: str) -> dict[str, Any]:
        for row in self.tables["CaseStatus"].values():
            if name_or_id in (row["Id"], row["Name"]):
                return row
        raise KeyError(name_or_id)

    # ------------------------------------------------------------------ seeding (tests)
    def add_account(self, name: str, code: str | None = None, **extra: Any) -> str:
        """``extra`` columns, e.g. a fixed ``Id`` (the demo's output stays the same)."""
        with self.lock:
            return self._put("Account", {"Name": name, "Code": code, **extra})["Id"]

    def add_contact(self, name: str, email: str, account_id: str | None = None,
                    **extra: Any) -> str:
        with self.lock:
            return self._put("Contact", {"Name": name, "Email": email,
                                         "AccountId": account_id, **extra})["Id"]

    def add_user(self, login: str, contact_name: str | None = None) -> str:
        """A system user (SysAdminUnit) with its contact; returns the contact id."""
        with self.lock:
            contact = self._put("Contact", {"Name": contact_name or login, "Email": None})
            self._put("SysAdminUnit", {"Name": login, "ContactId": contact["Id"]})
            return contact["Id"]

    def user_contact(self, login: str) -> str | None:
        for row in self.tables["SysAdminUnit"].values():
            if row["Name"] == login:
                return row["ContactId"]
        return None

    def add_case(self, subject: str, symptoms: str = "", *, account_id: str | None = None,
                 contact_id: str | None = None, status: str = STATUS_NEW,
                 priority: str = PRIORITY_MEDIUM, origin: str = ORIGIN_PORTAL,
                 registered_on: datetime | None = None, by: str | None = None,
                 **extra: Any) -> dict[str, Any]:
        """A case as the portal registers it (a client on the portal, by default)."""
        with self.lock:
            self.numbers += 1
            row = {"Number": f"SR{self.numbers:08d}", "Subject": subject, "Symptoms": symptoms,
                   "RegisteredOn": registered_on or self.now(), "StatusId": status,
                   "PriorityId": priority, "OriginId": origin, "AccountId": account_id,
                   "ContactId": contact_id, **extra}
            return self._put("Case", row, by or contact_id)

    def create_case(self, fields: dict[str, Any], by: str | None) -> dict[str, Any]:
        fields = dict(fields)
        subject = fields.pop("Subject", "")
        return self.add_case(subject, fields.pop("Symptoms", "") or "", by=by,
                             status=fields.pop("StatusId", None) or STATUS_NEW,
                             priority=fields.pop("PriorityId", None) or PRIORITY_MEDIUM,
                             origin=fields.pop("OriginId", None) or ORIGIN_CALL, **fields)

    def update(self, table: str, row_id: str, fields: dict[str, Any], by: str | None) -> None:
        with self.lock:
            row = self.tables[table][row_id]
            row.update(fields)
            row["ModifiedOn"], row["ModifiedById"] = self.now(), by

    def touch(self, case_id: str, by: str | None) -> None:
        if self.touch_case_on_message and case_id in self.tables["Case"]:
            self.update("Case", case_id, {}, by)

    def add_message(self, table: str, case_id: str, text: str, by: str | None,
                    **extra: Any) -> dict[str, Any]:
        """A PortalMessage or SocialMessage on a case, mirrored in CaseMessageHistory (as
        BaseMessageListener does), touching the case."""
        with self.lock:
            fields = {"EntitySchemaUId": CASE_SCHEMA_UID, "EntityId": case_id, "Message": text,
                      **extra}
            if table == "PortalMessage":
                fields.setdefault("TypeId", PORTAL_MESSAGE_COMMENT)
                fields.setdefault("HideOnPortal", False)
                fields.setdefault("IsNotPublished", False)
                fields.setdefault("FromPortal", False)
            row = self._put(table, fields, by)
            notifier = NOTIFIER_PORTAL if table == "PortalMessage" else NOTIFIER_SOCIAL
            self._put("CaseMessageHistory", {"CaseId": case_id, "Message": text,
                                             "MessageNotifierId": notifier,
                                             "RecordId": row["Id"], "HasAttachment": False},
                      by)
            self.touch(case_id, by)
            return row

    def client_message(self, case_id: str, text: str) -> dict[str, Any]:
        """The client writes on the portal (FromPortal, by the case's contact)."""
        contact = self.tables["Case"][case_id]["ContactId"]
        return self.add_message("PortalMessage", case_id, text, contact, FromPortal=True)

    def add_file(self, case_id: str, name: str, data: bytes) -> str:
        with self.lock:
            row = self._put("CaseFile", {"CaseId": case_id, "Name": name, "Size": len(data)})
            self.blobs[row["Id"]] = data
            return row["Id"]

    def messages(self, case_id: str, table: str = "PortalMessage") -> list[dict[str, Any]]:
        """What was written on a case, oldest first (for tests)."""
        rows = [r for r in self.tables[table].values() if r["EntityId"] == case_id]
        return sorted(rows, key=lambda r: r["CreatedOn"])
