"""BPMSoft lookups (``CaseStatus``, ``CasePriority``, ``CaseOrigin``), read once per run.

Defaults are the documented GUIDs (../shared/research/bpmsoft.md §1.10); configuration
overrides them. A status means what its flags say (``IsPaused``, ``IsResolved``,
``IsFinal``), not what it is called: BPMSoft production shows 22 statuses and calls the
"Reopened" row "Получен ответ", and that changes nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sccli.adapters.base import ValidationError

# CasePriority GUID → sccli priority
PRIORITIES = {
    "afb33208-f46b-1410-ec8c-0050ba5d6c38": "critical",
    "8b700f24-f46b-1410-ee8c-0050ba5d6c38": "high",
    "d9bd322c-f46b-1410-ee8c-0050ba5d6c38": "medium",
    "cbb93036-f46b-1410-ef8c-0050ba5d6c38": "low",
}
_BY_ORDINAL = {1: "critical", 2: "high", 3: "medium", 4: "low"}
# CaseOrigin GUID → sccli channel. The contract: offline support (e-mail, the portal) is
# included; "Online support (phone, messengers) and registering requests on the client's
# behalf are possible for an extra fee" — so a call, a personal visit and a case an
# employee registered count as phone; chat and social networks as messenger.
ORIGINS = {
    "5e5e202a-f46b-1410-3692-0050ba5d6c38": "phone",  # Звонок
    "7f9e1f1e-f46b-1410-3492-0050ba5d6c38": "email",  # Email
    "debf4124-f46b-1410-3592-0050ba5d6c38": "portal",  # Портал самообслуживания
    "019259af-ec9c-4c87-9565-3c00700c7875": "messenger",  # Чат
    "406ac5a1-a924-4af6-9f64-f4fedc66be8c": "portal",  # Форум
    "40349262-bb11-4f90-8215-931ece6abe22": "phone",  # Обнаружен сотрудником
    "43090402-deef-4155-8aaf-d4b72721f2be": "phone",  # Личный визит
    "d38a1692-5a83-4253-a592-7d19fe00593c": "portal",  # Сайт
    "673de246-f464-4ad1-883c-8a21508bdf33": "messenger",  # Социальные сети
}
# What each step of the executor moves a case to (documented GUIDs), and the flags a
# status must carry to stand for that step when the GUID is absent or configured otherwise.
STEP_STATUSES = {
    "responded": "7e9f1204-f46b-1410-fb9a-0050ba5d6c38",  # В работе
    "asked": "3859c6e7-cbcb-486b-ba53-77808fe6e593",  # Ожидает ответа (IsPaused)
    "resolved": "ae7f411e-f46b-1410-009b-0050ba5d6c38",  # Решено (IsResolved)
    "reopened": "f063ebbe-fdc6-4982-8431-d8cfa52fedcf",  # Переоткрыто / Получен ответ
    "rejected": "6e5f4218-f46b-1410-fe9a-0050ba5d6c38",  # Отменено (IsFinal)
    "closed": "3e7f420c-f46b-1410-fc9a-0050ba5d6c38",  # Закрыто (IsFinal)
}
# Name fallbacks (Russian and English), for an installation whose rows have other GUIDs.
ORIGIN_NAMES = {
    "звонок": "phone", "call": "phone", "email": "email", "e-mail": "email",
    "портал самообслуживания": "portal", "portal": "portal", "self-service portal": "portal",
    "чат": "messenger", "chat": "messenger", "форум": "portal", "forum": "portal",
    "обнаружен сотрудником": "phone", "internal": "phone", "личный визит": "phone",
    "personal visit": "phone", "сайт": "portal", "site": "portal",
    "социальные сети": "messenger", "social networks": "messenger",
}
PRIORITY_NAMES = {"критический": "critical", "critical": "critical", "высокий": "high",
                  "high": "high", "средний": "medium", "medium": "medium", "низкий": "low",
                  "low": "low"}
STEP_FLAGS = {"responded": "open", "reopened": "open", "asked": "paused",
              "resolved": "resolved", "rejected": "closed", "closed": "closed"}


def state_of(row: Mapping[str, Any] | None) -> str:
    """"closed" (IsFinal), "resolved" (IsResolved), "paused" (IsPaused) or "open"."""
    if not row:
        return "open"
    if row.get("IsFinal"):
        return "closed"
    if row.get("IsResolved"):
        return "resolved"
    if row.get("IsPaused"):
        return "paused"
    return "open"


class Lookups:
    def __init__(self, session: Any, config: Mapping[str, Any]):
        self.session, self.config = session, config
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}

    def table(self, entity: str, select: str) -> dict[str, dict[str, Any]]:
        if entity not in self._tables:
            rows = self.session.rows(entity, select=select, orderby="Id asc")
            self._tables[entity] = {str(r["Id"]).lower(): r for r in rows}
        return self._tables[entity]

    def statuses(self) -> dict[str, dict[str, Any]]:
        return self.table("CaseStatus", "Id,Name,IsFinal,IsResolved,IsPaused,StageNumber")

    def state(self, status_id: Any) -> str:
        return state_of(self.statuses().get(str(status_id or "").lower()))

    def status_name(self, status_id: Any) -> str:
        return str((self.statuses().get(str(status_id or "").lower()) or {}).get("Name") or "")

    def status_for(self, step: str) -> str:
        """The status a step moves a case to: configured, else the documented one, as long
        as its flags fit the step; else the first status (by stage) whose flags do."""
        statuses, wanted = self.statuses(), STEP_FLAGS[step]
        for candidate in ((self.config.get("statuses") or {}).get(step), STEP_STATUSES[step]):
            row = statuses.get(str(candidate or "").lower())
            if row is not None and state_of(row) == wanted:
                return str(row["Id"])
        fitting = sorted((r for r in statuses.values() if state_of(r) == wanted),
                         key=lambda r: (r.get("StageNumber") or 0, str(r.get("Name"))))
        if step in ("responded", "reopened"):  # work goes on: past the first stage
            fitting = [r for r in fitting if (r.get("StageNumber") or 0) > 0] or fitting
        if not fitting:
            raise ValidationError(f"no CaseStatus has the flags for {step!r} ({wanted}); "
                                  f"name one under statuses.{step}", self.session.name)
        return str(fitting[0]["Id"])

    def priority(self, priority_id: Any) -> str | None:
        key = str(priority_id or "").lower()
        if not key:
            return None
        mapped = {**PRIORITIES, **{k.lower(): v for k, v in
                                   (self.config.get("priorities") or {}).items()}}
        if key in mapped:
            return mapped[key]
        row = self.table("CasePriority", "Id,Name,Priority").get(key) or {}
        by_name = PRIORITY_NAMES.get(str(row.get("Name") or "").strip().lower())
        return by_name or _BY_ORDINAL.get(row.get("Priority"))  # type: ignore[arg-type]

    def priority_id(self, priority: str) -> str:
        mapped = {**PRIORITIES, **{k.lower(): v for k, v in
                                   (self.config.get("priorities") or {}).items()}}
        known = self.table("CasePriority", "Id,Name,Priority")
        for guid, ours in mapped.items():
            if ours == priority.lower() and guid in known:
                return guid
        for guid, row in known.items():
            if _BY_ORDINAL.get(row.get("Priority")) == priority.lower():  # type: ignore[arg-type]
                return guid
        names = ", ".join(sorted(str(r.get("Name")) for r in known.values()))
        raise ValidationError(f"priority {priority!r} has no CasePriority (known: {names})",
                              self.session.name)

    def channel(self, origin_id: Any) -> str | None:
        key = str(origin_id or "").lower()
        mapped = {**ORIGINS, **{k.lower(): v for k, v in
                                (self.config.get("origins") or {}).items()}}
        if not key or key in mapped:
            return mapped.get(key)
        row = self.table("CaseOrigin", "Id,Name").get(key) or {}
        return ORIGIN_NAMES.get(str(row.get("Name") or "").strip().lower())
