"""What kind of request a ticket is: an incident, a consultation or a change request. Pure.

The contract names three kinds of work: "consultations on BPMSoft's and the executor's
products and on the project solutions the executor built", "fixing errors in the
executor's project configuration" (an incident: "a defect must be reproducible and let
the executor find the cause and fix it"), and changes ("a planned change to the system's
functionality", "names and placement of fields; an incorrect input mask" — the priority
table's examples, «доработка»). What a request must contain depends on its kind (see
``intake.REQUIRED``): the contract's list ends with "the steps that led to the error, as a
list (the case)", which only an incident has.

Classification scores marker phrases in the title and body: a malfunction (an error, "не
работает", "fails") counts most, then how-to questions and change wording. A tie goes to
the incident, then the consultation; a text with no marker at all is an incident, so an
unclear request is still asked for everything the contract lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .model import DomainError

__all__ = ["Classification", "RequestKind", "classify"]


class RequestKind(StrEnum):
    INCIDENT = "incident"
    CONSULTATION = "consultation"
    CHANGE = "change-request"

    @classmethod
    def parse(cls, text: str) -> RequestKind:
        key = text.strip().lower()
        found = _ALIASES.get(key)
        if found is None:
            raise DomainError(
                f"unknown request kind {text!r} (expected one of: incident, consultation,"
                " change-request)")
        return found


_ALIASES = {
    "incident": RequestKind.INCIDENT, "инцидент": RequestKind.INCIDENT,
    "error": RequestKind.INCIDENT, "bug": RequestKind.INCIDENT, "ошибка": RequestKind.INCIDENT,
    "consultation": RequestKind.CONSULTATION, "question": RequestKind.CONSULTATION,
    "консультация": RequestKind.CONSULTATION, "вопрос": RequestKind.CONSULTATION,
    "change-request": RequestKind.CHANGE, "change": RequestKind.CHANGE,
    "доработка": RequestKind.CHANGE, "изменение": RequestKind.CHANGE,
}

# (weight, pattern): strong signs of a malfunction outweigh a polite "how"
_INCIDENT_STRONG = re.compile(
    r"ошибк\w*|\berror\w*|exception|исключени\w*|сбо[йия]\w*|\bпада\w*|\bупал\w*|crash\w*|"
    r"не\s+(?:\w+\s+)?(?:работа\w*|сохраня\w*|открыва\w*|запуска\w*|загружа\w*|отобража\w*|"
    r"формиру\w*|приход\w*|выполня\w*|срабатыва\w*|отправля\w*|входит|пускает|обновля\w*|"
    r"печата\w*|удается|получается|созда[её]тся|проход\w*|грузится|видн\w*)|"
    r"перестал\w*|завис\w*|тормоз\w*|\bbroken\b|\bfails?\b|\bfailed\b|\bfailing\b|"
    r"does\s*n[o']t\s+work|not\s+working|stopped\s+working|"
    r"(?:does|do|is|are|did)\s*(?:not|n't)\s+(?:work|open|load|save|start|run|print|show|"
    r"appear|arrive|update)\w*|"
    r"\b[45]\d\d\b\s*(?:error|ошибк\w*|internal|bad\s+gateway|forbidden|not\s+found)|"
    r"steps\s+to\s+reproduce|шаги\s+(?:для\s+)?воспроизведения|"
    r"expected\s+(?:result|behaviou?r)|actual\s+(?:result|behaviou?r)|"
    r"ожидаем\w+\s+результат|фактическ\w+\s+результат|stack\s*trace|дубл\w*|duplicat\w*|"
    r"wrong\s+(?:totals?|values?|data|results?|sums?)"
)
_INCIDENT_CANNOT = re.compile(  # a failure to do something: outweighs a polite "how"
    r"не\s+(?:могу|можем|может|могут)\s+\w+|\bcannot\b|can't|unable\s+to"
)
_INCIDENT_WEAK = re.compile(
    r"некорректн\w*|неверн\w*|"
    r"неправильн\w*|\bwrong\b|incorrect\w*|проблем\w*|problem\w*|\bissue\b"
)
_CONSULTATION = re.compile(
    r"\bвопрос\w*|\bquestion\w*|консультац\w*|проконсультир\w*|\bconsult\w*|разъясн\w*|"
    r"поясни\w*|объясни\w*|\bexplain\w*|подскаж\w*,?\s+(?:пожалуйста,?\s+)?(?:как|где|можно|"
    r"какой|какие|каким|что)|"
    r"как\s+(?:сделать|настроить|можно|правильно|создать|добавить|выгрузить|загрузить|"
    r"посмотреть|найти|изменить|включить|отключить|получить|использовать|работает)|"
    r"каким\s+образом|можно\s+ли|возможно\s+ли|есть\s+ли\s+(?:возможность|способ)|"
    r"где\s+(?:найти|посмотреть|настроить|находится|указать)|"
    r"\bhow\s+(?:do|can|to|should|does|would)\b|is\s+it\s+possible|is\s+there\s+a\s+way|"
    r"where\s+(?:can|do|is|are)\b|what\s+is\s+the\s+(?:best\s+)?way|\bhow-to\b"
)
_CHANGE = re.compile(
    r"доработ\w*|добав\w*|переименова\w*|перенест\w*|"
    r"измени\w*\s+(?:пол[ея]\w*|форм\w*|логик\w*|порядок|назван\w*|расположени\w*|отч[её]т\w*|"
    r"печатн\w*|процесс\w*|маск\w*)|"
    r"нов(?:ое|ый|ую|ая|ые)\s+(?:пол[ея]|отч[её]т|раздел|процесс|печатн\w*|справочник|кнопк\w*|"
    r"колонк\w*|вкладк\w*|функци\w*)|реализова\w*|разработа\w*|"
    r"(?:хотим|хотелось\s+бы|нужно|необходимо|требуется),?\s+чтобы|"
    r"требовани\w*\s+закон\w*|законодательств\w*|вступа\w*\s+в\s+силу|автоматически|"
    r"опечатк\w*|надпис\w*|маск\w*\s+ввода|расположени\w*\s+пол\w*|назван\w*\s+пол\w*|"
    r"\badd(?:\s+an?)?\s+(?:new\s+)?(?:field|column|button|report|section|tab|filter)|"
    r"please\s+add|\brenam\w*|change\s+request|feature\s+request|"
    r"new\s+(?:field|report|section|feature|button|column)|"
    r"we\s+(?:would\s+like|want)\s+(?:to|the|a|it)\b|\bimplement\w*|automatically|"
    r"legal\s+requirement|regulat\w+|\btypo\b|field\s+(?:name|label)|\blabel\b|input\s+mask"
)
_WEIGHTS = (
    (RequestKind.INCIDENT, _INCIDENT_STRONG, 3),
    (RequestKind.INCIDENT, _INCIDENT_CANNOT, 2),
    (RequestKind.INCIDENT, _INCIDENT_WEAK, 1),
    (RequestKind.CONSULTATION, _CONSULTATION, 2),
    (RequestKind.CHANGE, _CHANGE, 2),
)
_TIE_ORDER = (RequestKind.INCIDENT, RequestKind.CONSULTATION, RequestKind.CHANGE)


@dataclass(frozen=True)
class Classification:
    kind: RequestKind
    markers: tuple[str, ...]  # the phrases that decided it (empty: the default)
    scores: tuple[tuple[RequestKind, int], ...]


# A request says what it is near its start; a 1 MB log pasted below changes nothing.
_READ = 20_000


def classify(title: str, body: str) -> Classification:
    """The request's kind from its title and the start of its body (``markers`` say why)."""
    text = f"{title}\n{body[:_READ]}".replace("ё", "е").replace("Ё", "Е").lower()
    scores = dict.fromkeys(RequestKind, 0)
    markers: dict[RequestKind, list[str]] = {k: [] for k in RequestKind}
    for kind, rx, weight in _WEIGHTS:
        for m in rx.finditer(text):
            scores[kind] += weight
            markers[kind].append(" ".join(m.group(0).split()))
    best = max(_TIE_ORDER, key=lambda k: (scores[k], -_TIE_ORDER.index(k)))
    if scores[best] == 0:
        best = RequestKind.INCIDENT
    return Classification(best, tuple(dict.fromkeys(markers[best])),
                          tuple((k, scores[k]) for k in _TIE_ORDER))
