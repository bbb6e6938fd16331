"""The escalation text: what the owner party must know, in the party's language. Pure.

Why a fixed shape: a vendor or partner engineer reads many of these; the same sections in
the same order (client, system, ticket and priority, description, steps, environment,
expected vs actual) let them start work without asking back. Sections are taken from the
ticket's body where it has them and say "not provided" otherwise, so a gap is visible
instead of silently missing. Every outgoing text passes ``outgoing()``: secrets are replaced
by references once more, whatever the caller already did.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.model import Priority
from ..domain.redaction import REF_RE, redact
from ..domain.sections import Sections, parse_sections

_PRIORITY_VALUES = {p.value for p in Priority}
_SECTION_KEYS = ("steps", "environment", "expected", "actual", "error")

__all__ = ["EscalationText", "escalation_text", "outgoing", "sections"]

LABELS = {
    "en": {
        "header": "Escalation from {executor} under the support contract",
        "client": "Client", "system": "System", "ticket": "Ticket", "priority": "Priority",
        "source": "Problem source", "description": "Description", "steps": "Steps to reproduce",
        "environment": "Environment", "expected": "Expected result", "actual": "Actual result",
        "missing": "not provided", "contact": "Contact",
        "footer": "Please reply in this issue; replies reach the support engineer.",
    },
    "ru": {
        "header": "Эскалация от {executor} в рамках договора на поддержку",
        "client": "Клиент", "system": "Система", "ticket": "Обращение", "priority": "Приоритет",
        "source": "Источник проблемы", "description": "Описание",
        "steps": "Шаги воспроизведения", "environment": "Окружение",
        "expected": "Ожидаемый результат", "actual": "Фактический результат",
        "error": "Текст ошибки",
        "missing": "не указано", "contact": "Контакт",
        "footer": "Пожалуйста, отвечайте в этой задаче: ответы получит инженер поддержки.",
    },
}

@dataclass(frozen=True)
class EscalationText:
    title: str
    body: str


def outgoing(text: str, ticket_id: str) -> str:
    """``text`` as it may leave sccli: any secret still in it replaced by a reference.

    New references are numbered after the ones already present, so they never collide
    with references made when the ticket was registered.
    """
    taken = [int(m.group(0).rsplit("/", 1)[1].rstrip("]")) for m in REF_RE.finditer(text)]
    clean, _pairs = redact(text, ticket_id, first_index=max(taken, default=0) + 1)
    return clean


def sections(body: str) -> dict[str, str]:
    """Steps, environment, expected and actual results found in ``body`` (may be empty):
    the domain's section parser (``domain/sections.py``), headings on their own lines or
    inline ("Steps: 1) … 2) … Environment: PostgreSQL 14, 2 nodes")."""
    return _found(parse_sections(body))


def _found(parts: Sections) -> dict[str, str]:
    found = {key: parts.text(key) for key in _SECTION_KEYS}
    return {key: value for key, value in found.items() if value}


def escalation_text(
    *,
    ticket_id: str,
    title: str,
    body: str,
    client_name: str,
    system_url: str | None,
    priority: str | None,
    source: str | None,
    language: str,
    executor: str,
    contact: str | None = None,
) -> EscalationText:
    """Title and body of the remote issue for the owner party, redacted."""
    lang = language if language in LABELS else "en"
    t = LABELS[lang]
    missing = t["missing"]
    parts = parse_sections(body)
    found = _found(parts)
    prio = priority or missing
    if lang == "ru" and priority in _PRIORITY_VALUES:
        prio = Priority(priority).russian
    description = parts.description or (body.strip() if not found else "") or missing
    lines = [
        t["header"].format(executor=executor),
        "",
        f"**{t['client']}:** {client_name}",
        f"**{t['system']}:** {system_url or parts.url or missing}",
        f"**{t['ticket']}:** {ticket_id}",
        f"**{t['priority']}:** {prio}",
    ]
    if source:
        lines.append(f"**{t['source']}:** {source}")
    if contact:
        lines.append(f"**{t['contact']}:** {contact}")
    lines += ["", f"### {t['description']}", "", f"**{title.strip()}**", "", description]
    for key in ("steps", "environment", "expected", "actual"):
        lines += ["", f"### {t[key]}", "", found.get(key) or missing]
        if key == "actual" and found.get("error"):  # only when the body quotes one
            lines += ["", f"### {t['error']}", "", found["error"]]
    lines += ["", "---", t["footer"]]
    full_title = f"{ticket_id}: {' '.join(title.split())}"
    return EscalationText(outgoing(full_title, ticket_id), outgoing("\n".join(lines), ticket_id))
