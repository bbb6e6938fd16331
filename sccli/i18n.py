"""Russian labels for the values sccli prints (English is the value itself)."""

from __future__ import annotations

from typing import overload

RU: dict[str, str] = {
    # statuses
    "new": "новая",
    "in-progress": "в работе",
    "awaiting-client": "ждём клиента",
    "resolved": "решена",
    "reopened": "переоткрыта",
    "closed": "закрыта",
    "rejected": "отклонена",
    # priorities
    "critical": "критичный",
    "high": "высокий",
    "medium": "средний",
    "low": "низкий",
    # clock states
    "running": "идёт",
    "warning": "предупреждение",
    "breached": "просрочено",
    "met": "в срок",
    "met-late": "с опозданием",
    "client-overdue": "клиент просрочил",
    "answered": "ответ получен",
    "expired": "срок приёмки истёк",
    "accepted": "принято",
    "on-track": "в пределах оценки",
    "estimate-overdue": "оценка превышена",
    "stopped": "остановлен",
    "superseded": "заменён новым вопросом",
    # tick and the outbox
    "no channel": "нет канала",
    "auto-accepted": "закрыто автоматически",
    "reaction-warning": "реакция: предупреждение",
    "reaction-breached": "реакция: просрочено",
    "estimate-passed": "оценка решения прошла",
    "escalation-unanswered": "эскалация без ответа",
    # clocks
    "reaction": "реакция",
    "feedback": "ответ клиента",
    "acceptance": "приёмка",
    "resolution": "решение",
    # flags
    "unauthorized": "не авторизованное лицо",
    "secrets": "пароли скрыты",
    "critical-behind-queue": "критичная в очереди",
    "priority-mismatch": "приоритет не совпадает",
    "verify-remote-close": "проверить закрытие",
    "client-replied": "ответ клиента",
    "party-replied": "ответ владельца",
    "answer-overdue": "ответ просрочен",
    "client-answer-overdue": "клиент не ответил",
    # request kinds
    "incident": "инцидент",
    "consultation": "консультация",
    "change-request": "доработка",
    # owners, actions, billing
    "executor": "исполнитель",
    "vendor": "вендор",
    "partner": "партнёр",
    "client": "клиент",
    "responsible-party": "ответственные лица",
    "fix": "исправить",
    "change": "доработать",
    "escalate": "эскалировать",
    "consult-or-fix": "консультация или доработка",
    "consult": "консультация",
    "investigate": "найти источник",
    "included": "включено",
    "billable": "платно",
    "billable-if-fixed": "платно при доработке",
    # calendar days (sla calendar --year)
    "holiday": "праздник",
    "transfer (decree)": "перенос выходного (постановление)",
    "transfer (Labor Code art. 112, provisional)": "перенос выходного (ст. 112 ТК РФ, предварительно)",
    "transfer (Labor Code art. 112, confirmed)": "перенос выходного (ст. 112 ТК РФ, подтверждено)",
    "working Saturday (decree)": "рабочая суббота (постановление)",
    "working Sunday (decree)": "рабочее воскресенье (постановление)",
    "company holiday (sla.yaml)": "нерабочий день компании (sla.yaml)",
    "company working day (sla.yaml)": "рабочий день компании (sla.yaml)",
    "shortened day (sla.yaml)": "сокращённый день (sla.yaml)",
    "pre-holiday day, one hour shorter (Labor Code art. 95)":
        "предпраздничный день, на час короче (ст. 95 ТК РФ)",
    "provisional": "предварительно",
    "confirmed": "подтверждено",
    "decree": "постановление",
    # queue
    "in work": "в работе",
    "queued": "в очереди",
}


@overload
def tr(value: str, lang: str) -> str: ...
@overload
def tr(value: None, lang: str) -> None: ...
def tr(value: str | None, lang: str) -> str | None:
    """Translate a value sccli produced; unknown values pass through unchanged."""
    if value is None or lang != "ru":
        return value
    return RU.get(value, value)
