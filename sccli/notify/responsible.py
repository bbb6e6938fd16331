"""The notice to a responsible party (infrastructure, a third-party provider, adjacent
software): what the executor found and why it is theirs. Pure: values in, a Notice out.

Contract, "Boundaries": "the client's infrastructure (network, servers…), a third-party
provider, adjacent software → the executor consults and helps deal with whoever is
responsible" (RU: "Если источник проблемы выявлен в инфраструктуре клиента (настройки
сети, серверов и т.п.), стороннего провайдера, смежного программного обеспечения,
Исполнитель консультирует клиента, оказывает помощь во взаимодействии с ответственными за
инфраструктуру лицами"). Helping deal with them starts by telling them: one notice to the
party's configured contact (``parties.NAME.email`` in sccli.yaml), in the party's language,
redacted like every text that leaves sccli (``outgoing``), so a password from the ticket
never reaches the party.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.model import Priority
from ..sync.escalation import outgoing
from . import Notice

__all__ = ["KIND", "SOURCES", "notice_key", "responsible_party_notice"]

KIND = "responsible-party"

# The sources whose owner is "whoever is responsible", with how the notice names them.
SOURCES = {
    "client-infrastructure": {
        "en": "the client's infrastructure (network, servers)",
        "ru": "инфраструктуре клиента (настройки сети, серверов)",
    },
    "third-party-provider": {
        "en": "a third-party provider's service",
        "ru": "услуге стороннего провайдера",
    },
    "adjacent-software": {
        "en": "adjacent software",
        "ru": "смежном программном обеспечении",
    },
}

TEXTS = {
    "en": {
        "subject": "{ticket}: a problem in {where} for {party} — {title}",
        "greeting": "Hello, {party}.",
        "found": (
            "{executor} supports the BPMSoft system of {client} ({system}) under a support"
            " contract. Working on request {ticket} (priority: {priority}), the support"
            " engineers found the source of the problem in {where}, which you are"
            " responsible for."
        ),
        "contract": (
            "Under the contract the executor consults the client and helps deal with"
            " whoever is responsible for it; the fix is yours. Please look into it."
        ),
        "request": "The request as registered (credentials removed):",
        "reply": "Please reply to {email}, quoting {ticket} in the subject.",
        "sign": "— {executor}, support service",
        "missing": "not provided",
    },
    "ru": {
        "subject": "{ticket}: проблема в {where} — {party}: {title}",
        "greeting": "Здравствуйте, {party}.",
        "found": (
            "{executor} сопровождает систему BPMSoft клиента {client} ({system}) по"
            " договору на поддержку. При работе над обращением {ticket} (приоритет:"
            " {priority}) инженеры поддержки выявили источник проблемы в {where}, за"
            " которую отвечаете вы."
        ),
        "contract": (
            "По договору Исполнитель консультирует клиента и оказывает помощь во"
            " взаимодействии с ответственными лицами; исправление — на вашей стороне."
            " Просим разобраться."
        ),
        "request": "Обращение в том виде, как оно зарегистрировано (пароли удалены):",
        "reply": "Ответ направьте на {email}, указав {ticket} в теме письма.",
        "sign": "— {executor}, служба поддержки",
        "missing": "не указано",
    },
}


def notice_key(ticket_id: str, party: str, source: str) -> str:
    """One notice per ticket, party and source: setting the same source again adds none."""
    return f"{ticket_id}/{KIND}/{party}/{source}"


def responsible_party_notice(
    *,
    ticket_id: str,
    title: str,
    body: str,
    client_key: str,
    client_name: str,
    system_url: str | None,
    priority: str | None,
    source: str,
    party: str,
    party_title: str,
    party_email: str,
    language: str,
    executor: str,
    executor_email: str,
    at: datetime,
) -> Notice:
    """The notice to ``party`` about ``ticket_id``, in ``language`` (en or ru), redacted."""
    lang = language if language in TEXTS else "en"
    t = TEXTS[lang]
    where = SOURCES.get(source, {}).get(lang, source)
    prio = priority or t["missing"]
    if lang == "ru" and priority in {p.value for p in Priority}:
        prio = Priority(priority).russian.lower()
    values = {
        "ticket": ticket_id, "party": party_title, "executor": executor,
        "client": client_name, "system": system_url or t["missing"], "priority": prio,
        "where": where, "email": executor_email, "title": " ".join(title.split()),
    }
    quoted = "\n".join(f"> {line}" if line else ">" for line in
                       [values["title"], "", *body.strip().splitlines()])
    text = "\n\n".join([
        t["greeting"].format(**values),
        t["found"].format(**values),
        t["contract"].format(**values),
        t["request"].format(**values) + "\n\n" + quoted,
        t["reply"].format(**values),
        t["sign"].format(**values),
    ])
    return Notice(
        key=notice_key(ticket_id, party, source),
        ticket_id=ticket_id,
        kind=KIND,
        audience=f"party:{party}",
        lang=lang,
        subject=outgoing(t["subject"].format(**values), ticket_id),
        text=outgoing(text, ticket_id),
        created_at=at,
        data={"party": party, "email": party_email, "source": source, "client": client_key},
    )
