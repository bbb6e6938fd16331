"""Is a request complete? The contract's list of what a request must contain, by its kind.

Contract: a request must "contain: clearly stated questions; an account with its password;
the system's address; the steps that led to the error, as a list (the case); and the
environment: database servers used, number of nodes, adjacent software, customizations
(including other partner-developers' work)" («содержать четко поставленные вопросы, …
учетная запись с паролем, адрес Системы, последовательность шагов, оформленных списком,
приведших к ошибке (кейс), информация об окружении»). The account, address, steps and
environment are what it takes to reproduce an error ("a defect must be reproducible");
a consultation or a change request needs the clearly stated question only (``REQUIRED``;
the kind comes from ``request_kind.classify``). Missing items produce a ready-to-send
clarification request; the client then has 2 business days to answer. Pure: text in,
values out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .model import DomainError
from .redaction import REF_RE, find_secrets
from .request_kind import RequestKind, classify
from .sections import parse_sections

__all__ = [
    "ITEM_LABELS",
    "REQUIRED",
    "IntakeResult",
    "Item",
    "check_intake",
    "clarification_request",
    "detect_language",
]


class Item(StrEnum):
    QUESTION = "question"
    ACCOUNT = "account"
    SYSTEM_URL = "system-url"
    STEPS = "steps"
    ENVIRONMENT = "environment"


ITEMS_IN_ORDER: tuple[Item, ...] = tuple(Item)

# What each kind of request must contain. An incident: everything the contract lists (its
# steps are "the steps that led to the error"); a consultation ("consultations on
# BPMSoft's and the executor's products") and a change request ("a planned change to the
# system's functionality"): the clearly stated question, which for a change says what
# should change and the result expected.
REQUIRED: dict[RequestKind, tuple[Item, ...]] = {
    RequestKind.INCIDENT: ITEMS_IN_ORDER,
    RequestKind.CONSULTATION: (Item.QUESTION,),
    RequestKind.CHANGE: (Item.QUESTION,),
}

ITEM_LABELS: dict[str, dict[Item, str]] = {
    "en": {
        Item.QUESTION: "question",
        Item.ACCOUNT: "account",
        Item.SYSTEM_URL: "URL",
        Item.STEPS: "steps",
        Item.ENVIRONMENT: "environment",
    },
    "ru": {
        Item.QUESTION: "вопрос",
        Item.ACCOUNT: "учетка",
        Item.SYSTEM_URL: "адрес",
        Item.STEPS: "шаги",
        Item.ENVIRONMENT: "окружение",
    },
}


@dataclass(frozen=True)
class IntakeResult:
    present: frozenset[Item]
    missing: tuple[Item, ...]  # of the items the kind requires
    language: str  # "ru" | "en"
    kind: RequestKind = RequestKind.INCIDENT

    @property
    def complete(self) -> bool:
        return not self.missing


def detect_language(text: str) -> str:
    """ "ru" when Cyrillic letters make up a quarter of the letters or more, else "en".

    Russian tickets are full of Latin (URLs, BPMSoft, stack traces), hence the low bar.
    Text without letters defaults to "ru", the contract's language.
    """
    text = _URL.sub(" ", text)
    cyrillic = sum(1 for c in text if "а" <= c.lower() <= "я" or c in "ёЁ")
    latin = sum(1 for c in text if "a" <= c.lower() <= "z")
    if cyrillic + latin == 0:
        return "ru"
    return "ru" if cyrillic * 4 >= cyrillic + latin else "en"


# --- detection ---------------------------------------------------------------------------

_URL = re.compile(r"(?i)\bhttps?://\S+")
_TLDS = (
    "ru|рф|su|com|net|org|io|local|lan|corp|internal|intra|cloud|online|pro|biz|info|by|kz|"
    "uz|ua|am|ge|tech|app|dev|site|space|group|team|work"
)
_HOST = re.compile(
    rf"(?i)(?<![@\w.\-])(?:[a-zа-я0-9](?:[a-zа-я0-9\-]*[a-zа-я0-9])?\.)+(?:{_TLDS})"
    r"(?::\d{2,5})?(?![\w@\-])(?!\.\w)"
)
_IP = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{2,5})?(?![\d.])|\blocalhost:\d{2,5}\b")

_QUESTION_WORDS = re.compile(
    r"(?im)\b(?:прошу|просим|просьба|помоги\w*|помочь|подскаж\w*|поясни\w*|объясни\w*|"
    r"проконсультир\w*|нужн[оа]|необходимо|требуется|хотим|хотел[аи]?\s+бы|почему|"
    r"зачем|каким\s+образом|как\s+(?:сделать|настроить|исправить|можно|быть|правильно)|"
    r"что\s+делать|можно\s+ли|возможно\s+ли|(?:^|[.!]\s+)(?:как|что|где|когда|какие?)\s|"
    r"не\s+(?:\w+\s+)?(?:работа\w*|могу|можем|может|удается|получается|открыва\w*|"
    r"сохраня\w*|запуска\w*|загружа\w*|отобража\w*|формиру\w*|приход\w*|выполня\w*|"
    r"срабатыва\w*|отправля\w*|обновля\w*|печата\w*|входит|пускает)|"
    r"please|pls|how|why|(?:^|[.!]\s+)(?:what|when|where|which)\s|could\s+you|can\s+you|"
    r"would\s+you|"
    r"help|need|needs|want|is\s+it\s+possible|"
    r"(?:does|do|is|are|did|can)\s*(?:not|n't)\s+\w+|cannot|can't|unable\s+to|"
    r"not\s+working|stopped\s+working|fails?\s+to|failed\s+to)\b"
)
_LOGIN_WORDS = re.compile(
    r"(?i)(?:логин|login|user\s*name|username|\buser\b|пользовател\w*|уч[её]тн\w*\s+запис\w*|"
    r"уч[её]тк\w*|\baccount\b|аккаунт\w*|доступ\w*|credentials)"
)
_PASSWORD_KINDS = frozenset({"password", "login-password", "url-credentials", "connection-string"})
_ENVIRONMENT = re.compile(
    r"(?i)(?:ms\s*-?\s*sql|\bsql\s+server|postgre\w*|\bpg\s?\d+|oracle|субд|\bdbms\b|"
    r"баз\w*\s+данн\w*|\bбд\b|database|\bdb\s+server|сервер\w*\s+(?:бд|баз\w*)|"
    r"\bнод\w*|\bузл\w*|\bузел|\bnodes?\b|cluster|кластер\w*|балансировщик\w*|"
    r"load\s+balancer|веб-?ферм\w*|web\s+farm|"
    r"смежн\w*|adjacent\s+software|интеграци\w*|integration|\b1[сc]\b|redis|rabbitmq|"
    r"nginx|\biis\b|elasticsearch|active\s+directory|\bldap\b|"
    r"доработк\w*|кастомиз\w*|customi[sz]\w*|партнер\w*|partner\w*|"
    r"проектн\w*\s+сло\w*|project\s+layer)"
)


def _norm(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")


def _has_question(title: str, body: str) -> bool:
    """A "?" outside URLs, or a request/complaint verb; a bare "Ошибка" title is not."""
    text = _URL.sub(" ", f"{title}\n{body}")
    return "?" in text or _QUESTION_WORDS.search(text) is not None


def _has_account(text: str) -> bool:
    """A login together with a password (or the reference redaction left in its place)."""
    if any(f.kind in _PASSWORD_KINDS for f in find_secrets(text)):
        return True
    return REF_RE.search(text) is not None and _LOGIN_WORDS.search(text) is not None


def _has_url(text: str) -> bool:
    return any(rx.search(text) for rx in (_URL, _HOST, _IP))


def check_intake(title: str, body: str, fields: Mapping[str, str] | None = None) -> IntakeResult:
    """Which of the contract's items a request contains, and which its kind still needs.

    ``fields`` are structured portal fields (``account``, ``system_url``, ``steps``,
    ``environment``, ``question``); a non-empty one counts as present. A ``kind`` field
    (incident, consultation, change-request) overrides the classification.
    """
    text = _norm(f"{title}\n{body}")
    fields = fields or {}
    present: set[Item] = set()
    for item in Item:
        if str(fields.get(item.value.replace("-", "_"), "") or "").strip():
            present.add(item)
    parts = parse_sections(_norm(body))
    checks: dict[Item, Callable[[], bool]] = {
        Item.QUESTION: lambda: _has_question(_norm(title), _norm(body)),
        Item.ACCOUNT: lambda: _has_account(text),
        Item.SYSTEM_URL: lambda: parts.url is not None or _has_url(_norm(title)),
        Item.STEPS: lambda: parts.has_steps,
        Item.ENVIRONMENT: lambda: bool(parts.environment) or _ENVIRONMENT.search(text) is not None,
    }
    for item, check in checks.items():
        if item not in present and check():
            present.add(item)
    given = str(fields.get("kind", "") or "").strip()
    kind = RequestKind.parse(given) if given else classify(title, body).kind
    missing = tuple(i for i in REQUIRED[kind] if i not in present)
    return IntakeResult(frozenset(present), missing, detect_language(f"{title}\n{body}"), kind)


# --- clarification request -----------------------------------------------------------------

_ASK: dict[str, dict[Item, str]] = {
    "ru": {
        Item.QUESTION: "четко сформулированный вопрос: что именно не работает или что нужно"
        " сделать, и какой результат вы ожидаете;",
        Item.ACCOUNT: "учетную запись (логин) с паролем, под которой воспроизводится проблема;",
        Item.SYSTEM_URL: "адрес Системы (ссылку, по которой открывается BPMSoft);",
        Item.STEPS: "последовательность шагов, приведших к ошибке, оформленную списком"
        " (1. …, 2. …, 3. …);",
        Item.ENVIRONMENT: "информацию об окружении: используемые серверы баз данных,"
        " количество нод, смежное программное обеспечение, доработки (в том числе"
        " доработки других партнеров-разработчиков).",
    },
    "en": {
        Item.QUESTION: "a clearly stated question: what exactly does not work or what needs"
        " to be done, and what result you expect;",
        Item.ACCOUNT: "the account (login) with its password under which the problem occurs;",
        Item.SYSTEM_URL: "the system's address (the link at which BPMSoft opens);",
        Item.STEPS: "the steps that led to the error, as a numbered list (1. …, 2. …, 3. …);",
        Item.ENVIRONMENT: "the environment: database servers used, number of nodes,"
        " adjacent software, customizations (including other partner-developers' work).",
    },
}
# The question item as each kind needs it (an incident keeps the text above).
_ASK_QUESTION: dict[RequestKind, dict[str, str]] = {
    RequestKind.CONSULTATION: {
        "ru": "четко сформулированный вопрос: что именно вы хотите узнать и о каком разделе"
        " или функции Системы идет речь;",
        "en": "a clearly stated question: what exactly you would like to know, and which"
        " section or function of the system it is about;",
    },
    RequestKind.CHANGE: {
        "ru": "четкое описание доработки: что и где в Системе нужно изменить и какой"
        " результат вы ожидаете;",
        "en": "a clear description of the change: what should change and where in the"
        " system, and the result you expect;",
    },
}
_TEMPLATE = {
    "ru": (
        "Здравствуйте!\n\n"
        "Спасибо за обращение {ticket_id} «{title}». Чтобы мы могли приступить к анализу,"
        " пожалуйста, дополните его следующими сведениями:\n\n"
        "{items}\n\n"
        "Согласно регламенту услуги срок ответа на уточняющие вопросы — не более 2 (двух)"
        " рабочих дней. Пока сведения не получены, обращение ожидает вашего ответа.\n\n"
        "С уважением,\nслужба поддержки"
    ),
    "en": (
        "Hello,\n\n"
        'Thank you for your request {ticket_id} "{title}". So that we can start the'
        " analysis, please add the following information:\n\n"
        "{items}\n\n"
        "Under the service terms, answers to clarifying questions are due within 2 business"
        " days. Until we receive them, the request is waiting for your reply.\n\n"
        "Kind regards,\nSupport team"
    ),
}


def clarification_request(
    missing: Sequence[Item], language: str, ticket_id: str, title: str,
    kind: RequestKind = RequestKind.INCIDENT,
) -> str:
    """A polite, ready-to-send message asking for exactly the missing items, the question
    worded for the request's kind."""
    if language not in _ASK:
        raise DomainError(f"unsupported language {language!r} (expected 'ru' or 'en')")
    wanted = {Item(i) for i in missing}
    if not wanted:
        raise DomainError(f"{ticket_id}: nothing is missing, no clarification is needed")
    asks = dict(_ASK[language])
    if kind in _ASK_QUESTION:
        asks[Item.QUESTION] = _ASK_QUESTION[kind][language]
    lines = [
        f"{n}. {asks[item]}"
        for n, item in enumerate((i for i in ITEMS_IN_ORDER if i in wanted), start=1)
    ]
    items = "\n".join(lines)
    if items.endswith(";"):
        items = items[:-1] + "."
    return _TEMPLATE[language].format(
        ticket_id=ticket_id, title=" ".join(title.split()), items=items
    )
