"""Refusals: when the executor may refuse the service, and what the client is told.

Contract (English rendering): "The executor may refuse the service when: the problem
cannot be solved in reasonable time by e-mail, the portal or remote connection; the
request did not come from the client's authorized person; the problem is caused by broken
client hardware or missing remote access that the client does not fix or provide."
Russian original (it stands where the two differ): «Исполнитель оставляет за собой право
отказаться от предоставления Услуги в случае: Если проблема не может быть решена за
разумный период времени, используя способы электронной почты, Customer Success Portal,
удаленного подключения. Если запрос поступил не от авторизированного лица клиента. Если
проблема обусловлена поломкой оборудования клиента или отсутствием удаленного доступа,
при этом клиент не устраняет поломку и не предоставляет удаленный доступ.»

Each ground is checked against the ticket's history before anything is written:

- ``unauthorized``: the reporter was not the authorized contact in force at registration,
  and the authorized person has not confirmed the request (a ``confirmed`` event);
- ``no-access``: the client was asked for remote access or a hardware fix (``ticket ask
  --need remote-access|hardware-fix``: an ``asked`` event whose ``missing`` names it)
  and has not answered since;
- ``unreasonable``: the engineer explains why (the explanation goes to the client).

The text recorded with the rejection, the message to the client, quotes the ground from
the contract in the client's language. Pure: history and contacts in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .contacts import authorized_at
from .events import Asked, Confirmed
from .history import TicketHistory
from .model import Contact, DomainError, EventKind, RejectReason

__all__ = [
    "ACCESS_NEEDS",
    "AccessAsk",
    "access_request",
    "check_ground",
    "contract_quote",
    "latest_access_ask",
    "refusal_message",
]

R, K = RejectReason, EventKind

# The contract's sentence, verbatim: its opening, and the clause of each ground.
_PREAMBLE = {
    "en": "The executor may refuse the service when:",
    "ru": "Исполнитель оставляет за собой право отказаться от предоставления Услуги в случае:",
}
_CLAUSE: dict[str, dict[RejectReason, str]] = {
    "en": {
        R.UNREASONABLE: "the problem cannot be solved in reasonable time by e-mail, the portal"
        " or remote connection",
        R.UNAUTHORIZED: "the request did not come from the client's authorized person",
        R.NO_ACCESS: "the problem is caused by broken client hardware or missing remote"
        " access that the client does not fix or provide",
    },
    "ru": {
        R.UNREASONABLE: "Если проблема не может быть решена за разумный период времени,"
        " используя способы электронной почты, Customer Success Portal, удаленного"
        " подключения.",
        R.UNAUTHORIZED: "Если запрос поступил не от авторизированного лица клиента.",
        R.NO_ACCESS: "Если проблема обусловлена поломкой оборудования клиента или"
        " отсутствием удаленного доступа, при этом клиент не устраняет поломку и не"
        " предоставляет удаленный доступ.",
    },
}

# What the client is asked for before a ``no-access`` refusal (``Asked.missing`` items).
ACCESS_NEEDS: dict[str, dict[str, str]] = {
    "remote-access": {
        "en": "remote access to your system (the connection address and how to connect),"
        " or the date when you can provide it;",
        "ru": "удаленный доступ к вашей Системе (адрес и способ подключения) или срок, когда"
        " вы сможете его предоставить;",
    },
    "hardware-fix": {
        "en": "a fix of the broken equipment on your side the problem is caused by, and a"
        " message when it works again;",
        "ru": "устранение поломки вашего оборудования, которой обусловлена проблема, и"
        " сообщение, когда оно снова заработает;",
    },
}


def _lang(language: str) -> str:
    return "ru" if language == "ru" else "en"


def contract_quote(reason: RejectReason, language: str) -> str:
    """The contract's sentence for one ground, verbatim, in quotation marks."""
    lang = _lang(language)
    if lang == "ru":
        return f"«{_PREAMBLE['ru']} … {_CLAUSE['ru'][reason]}»"
    return f'"{_PREAMBLE["en"]} … {_CLAUSE["en"][reason]}."'


_REFUSAL = {
    "ru": (
        "Здравствуйте!\n\n"
        "По обращению {ticket_id} «{title}» Исполнитель отказывает в предоставлении Услуги."
        "\n\nОснование — регламент услуги: {quote}\n\n"
        "{explanation}"
        "С уважением,\nслужба поддержки"
    ),
    "en": (
        "Hello,\n\n"
        'For your request {ticket_id} "{title}" the executor refuses the service.\n\n'
        "The ground, from the service terms: {quote}\n\n"
        "{explanation}"
        "Kind regards,\nSupport team"
    ),
}


def refusal_message(reason: RejectReason, language: str, ticket_id: str, title: str,
                    explanation: str) -> str:
    """The message to the client recorded with the rejection: the contract's ground quoted
    verbatim, then the engineer's explanation (if any), in the client's language."""
    lang = _lang(language)
    explanation = explanation.strip()
    return _REFUSAL[lang].format(
        ticket_id=ticket_id, title=" ".join(title.split()), quote=contract_quote(reason, lang),
        explanation=f"{explanation}\n\n" if explanation else "")


_ACCESS_ASK = {
    "ru": (
        "Здравствуйте!\n\n"
        "Чтобы продолжить работу по обращению {ticket_id} «{title}», нам нужно:\n\n"
        "{items}\n\n"
        "Напоминаем условие регламента услуги: {quote}\n\n"
        "С уважением,\nслужба поддержки"
    ),
    "en": (
        "Hello,\n\n"
        'To continue work on your request {ticket_id} "{title}", we need:\n\n'
        "{items}\n\n"
        "A reminder from the service terms: {quote}\n\n"
        "Kind regards,\nSupport team"
    ),
}


def access_request(needs: Sequence[str], language: str, ticket_id: str, title: str) -> str:
    """The question that asks the client for remote access or a hardware fix, quoting the
    ground the executor may refuse on if the client does not provide it."""
    lang = _lang(language)
    wanted = [n for n in ACCESS_NEEDS if n in needs]
    unknown = [n for n in needs if n not in ACCESS_NEEDS]
    if unknown or not wanted:
        raise DomainError(f"unknown need {', '.join(unknown) or '(none)'!r} (expected one of:"
                          f" {', '.join(ACCESS_NEEDS)})")
    items = "\n".join(f"{n}. {ACCESS_NEEDS[need][lang]}" for n, need in enumerate(wanted, 1))
    items = items[:-1] + "."
    return _ACCESS_ASK[lang].format(
        ticket_id=ticket_id, title=" ".join(title.split()), items=items,
        quote=contract_quote(R.NO_ACCESS, lang))


@dataclass(frozen=True)
class AccessAsk:
    """The latest question for remote access or a hardware fix, and the answer after it."""

    seq: int
    needs: tuple[str, ...]
    answered_seq: int | None


def latest_access_ask(state: TicketHistory) -> AccessAsk | None:
    """The last question (in effect: not voided) that asked for access or a hardware fix."""
    found: AccessAsk | None = None
    for ev in state.events:
        if ev.kind is K.ASKED:
            p = ev.payload
            assert isinstance(p, Asked)
            needs = tuple(m for m in p.missing if m in ACCESS_NEEDS)
            if needs:
                found = AccessAsk(ev.seq, needs, None)
        elif ev.kind is K.ANSWERED and found is not None and found.answered_seq is None:
            found = AccessAsk(found.seq, found.needs, ev.seq)
    return found


def _confirmation(state: TicketHistory) -> tuple[int, str] | None:
    for ev in reversed(state.events):
        if ev.kind is K.CONFIRMED:
            p = ev.payload
            assert isinstance(p, Confirmed)
            return ev.seq, p.by
    return None


def check_ground(reason: RejectReason, state: TicketHistory, contacts: Sequence[Contact],
                 explanation: str) -> None:
    """Refuse (DomainError, one line: why and what to do) a ground the history does not
    support; return when the executor may refuse on it."""
    ticket = state.ticket
    assert ticket is not None, "a refusal needs the ticket's registration facts"
    tid = ticket.id
    if reason is R.UNAUTHORIZED:
        confirmed = _confirmation(state)
        if confirmed is not None:
            seq, by = confirmed
            raise DomainError(
                f"{tid}: the ground 'unauthorized' does not apply: the authorized contact {by}"
                f" confirmed the request (event #{seq}); if that was recorded by mistake, void"
                f" it first: sccli ticket void {tid} {seq} --reason …")
        contact = authorized_at(contacts, ticket.registered_at)
        if contact is not None and contact.email == ticket.reporter:
            raise DomainError(
                f"{tid}: the ground 'unauthorized' does not apply: {ticket.reporter} was the"
                " authorized contact when the request was registered (the contract allows it"
                " only when \"the request did not come from the client's authorized person\");"
                f" see sccli contact show {state.client} --history")
    elif reason is R.NO_ACCESS:
        ask = latest_access_ask(state)
        if ask is None:
            raise DomainError(
                f"{tid}: the ground 'no-access' needs the client to have been asked for remote"
                f" access or a hardware fix and not to provide it: ask first (sccli ticket ask"
                f" {tid} --need remote-access, or --need hardware-fix)")
        if ask.answered_seq is not None:
            raise DomainError(
                f"{tid}: the client answered (event #{ask.answered_seq}) after being asked for"
                f" {' and '.join(ask.needs)} (event #{ask.seq}): if the answer does not provide"
                f" it, ask again (sccli ticket ask {tid} --need {ask.needs[0]}) before"
                " refusing")
    elif reason is R.UNREASONABLE and not explanation.strip():
        raise DomainError(
            f"{tid}: the ground 'unreasonable' needs the explanation for the client: why the"
            " problem cannot be solved in reasonable time by e-mail, the portal or remote"
            " connection (-m TEXT)")
