"""Redaction of credentials pasted into tickets: a corpus of real-world formats.

The labelled corpus (tests/data/redaction_corpus.txt, read by tests/redaction_corpus.py)
holds the formats of the "Trust" issue and the prose that must stay untouched, in both
languages; the lists below pin the exact redacted text of older formats. Run with
``-s`` to see the recall and false-positive figures; bench/redaction_bench.py prints
them with the timings.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sccli.domain.model import DomainError
from sccli.domain.redaction import (
    MAX_FINDINGS,
    MAX_SECRETS,
    MAX_TEXT,
    REF_RE,
    Finding,
    RedactionLimitError,
    find_secrets,
    redact,
)
from tests.redaction_corpus import Entry, check, load_corpus, score

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

# (ticket text, redacted text, secret values in reference order)
POSITIVES = [
    (  # a login that ends in "user," must not read as the pair label "user, password"
        "Учетная запись: demo.user, пароль: Dem0-Passw0rd!",
        "Учетная запись: demo.user, пароль: [secret:ACME-12/1]",
        ["Dem0-Passw0rd!"],
    ),
    (
        "логин: ivanov / пароль: Qwerty123!",
        "логин: ivanov / пароль: [secret:ACME-12/1]",
        ["Qwerty123!"],
    ),
    (
        "login: admin password: P@ss",
        "login: admin password: [secret:ACME-12/1]",
        ["P@ss"],
    ),
    (
        "Пароль: Qwerty123",
        "Пароль: [secret:ACME-12/1]",
        ["Qwerty123"],
    ),
    (
        "pwd=Secret42",
        "pwd=[secret:ACME-12/1]",
        ["Secret42"],
    ),
    (
        "учетная запись Supervisor, пароль Supervisor",
        "учетная запись Supervisor, пароль [secret:ACME-12/1]",
        ["Supervisor"],
    ),
    (
        "Подключитесь по адресу https://ivanov:Qwerty123@crm.client.ru/",
        "Подключитесь по адресу https://ivanov:[secret:ACME-12/1]@crm.client.ru/",
        ["Qwerty123"],
    ),
    (
        "Server=db01;Database=crm;User Id=sa;Password=Str0ng!Pass;",
        "Server=db01;Database=crm;User Id=sa;Password=[secret:ACME-12/1];",
        ["Str0ng!Pass"],
    ),
    (
        "Host=pg01;Port=5432;Username=crm;Password=pgSecret;Database=bpm",
        "Host=pg01;Port=5432;Username=crm;Password=[secret:ACME-12/1];Database=bpm",
        ["pgSecret"],
    ),
    (
        "Data Source=orcl;User Id=scott;Password=tiger;",
        "Data Source=orcl;User Id=scott;Password=[secret:ACME-12/1];",
        ["tiger"],
    ),
    (
        "postgresql://crm:Secr3t@db.local:5432/bpm",
        "postgresql://crm:[secret:ACME-12/1]@db.local:5432/bpm",
        ["Secr3t"],
    ),
    (
        "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "token: [secret:ACME-12/1]",
        ["ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    ),
    (
        "Вот токен GitLab glpat-AbCdEf1234567890xyZ_12",
        "Вот токен GitLab [secret:ACME-12/1]",
        ["glpat-AbCdEf1234567890xyZ_12"],
    ),
    ("Authorization: Bearer " + JWT, "Authorization: Bearer [secret:ACME-12/1]", [JWT]),
    (
        "API key 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
        "API key [secret:ACME-12/1]",
        ["3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"],
    ),
    (
        "AWS ключ AKIAIOSFODNN7EXAMPLE",
        "AWS ключ [secret:ACME-12/1]",
        ["AKIAIOSFODNN7EXAMPLE"],
    ),
    (
        "Логин - admin, пароль - 12345",
        "Логин - admin, пароль - [secret:ACME-12/1]",
        ["12345"],
    ),
    (
        "логин/пароль: admin/admin",
        "логин/пароль: admin/[secret:ACME-12/1]",
        ["admin"],
    ),
    (
        "Логин и пароль: ivanov / Pa$$w0rd",
        "Логин и пароль: ivanov / [secret:ACME-12/1]",
        ["Pa$$w0rd"],
    ),
    (
        "доступ: ivanov@client.ru / Qwerty2024",
        "доступ: ivanov@client.ru / [secret:ACME-12/1]",
        ["Qwerty2024"],
    ),
    (
        "Пароль для входа: Zxcv!2345",
        "Пароль для входа: [secret:ACME-12/1]",
        ["Zxcv!2345"],
    ),
    (
        "пароль от учетной записи Supervisor: Sup3rv1sor",
        "пароль от учетной записи Supervisor: [secret:ACME-12/1]",
        ["Sup3rv1sor"],
    ),
    (
        "password is Welcome1",
        "password is [secret:ACME-12/1]",
        ["Welcome1"],
    ),
    (
        'The password is "correct horse battery staple".',
        'The password is "[secret:ACME-12/1]".',
        ["correct horse battery staple"],
    ),
    (
        "пароль «Лето 2024!»",
        "пароль «[secret:ACME-12/1]»",
        ["Лето 2024!"],
    ),
    (
        "new password: Tmp#2024.",
        "new password: [secret:ACME-12/1].",
        ["Tmp#2024"],
    ),
    (
        "сервер jdbc:postgresql://db:5432/crm?user=crm&password=S3cret&ssl=true",
        "сервер jdbc:postgresql://db:5432/crm?user=crm&password=[secret:ACME-12/1]&ssl=true",
        ["S3cret"],
    ),
    (
        "логин admin пароль admin",
        "логин admin пароль [secret:ACME-12/1]",
        ["admin"],
    ),
    (
        "user: ivanov password: qwerty",
        "user: ivanov password: [secret:ACME-12/1]",
        ["qwerty"],
    ),
    (
        "User: admin\nPassword: Adm1n!",
        "User: admin\nPassword: [secret:ACME-12/1]",
        ["Adm1n!"],
    ),
    (
        "Логин: Иванов\nПароль: ivanov2024",
        "Логин: Иванов\nПароль: [secret:ACME-12/1]",
        ["ivanov2024"],
    ),
    (
        "Пароль Qwerty123",
        "Пароль [secret:ACME-12/1]",
        ["Qwerty123"],
    ),
    (
        "Временный пароль — Start#123",
        "Временный пароль — [secret:ACME-12/1]",
        ["Start#123"],
    ),
    (
        "x-api-key: 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "x-api-key: [secret:ACME-12/1]",
        ["9f8e7d6c5b4a39281706f5e4d3c2b1a0"],
    ),
    (
        "client_secret = s3cr3tV4lu3xyz",
        "client_secret = [secret:ACME-12/1]",
        ["s3cr3tV4lu3xyz"],
    ),
    (
        "PASSWORD=hunter2",
        "PASSWORD=[secret:ACME-12/1]",
        ["hunter2"],
    ),
    (
        "пароль:Qwerty123, логин:ivanov",
        "пароль:[secret:ACME-12/1], логин:ivanov",
        ["Qwerty123"],
    ),
    (
        "Токен доступа: 0123456789abcdef0123456789abcdef",
        "Токен доступа: [secret:ACME-12/1]",
        ["0123456789abcdef0123456789abcdef"],
    ),
    (
        "sqlplus scott/tiger@orcl",
        "sqlplus scott/[secret:ACME-12/1]@orcl",
        ["tiger"],
    ),
    (
        "Пароль для входа: Zxcv!2345",
        "Пароль для входа: [secret:ACME-12/1]",
        ["Zxcv!2345"],
    ),
    (
        "пароль от учетной записи Supervisor: Sup3rv1sor",
        "пароль от учетной записи Supervisor: [secret:ACME-12/1]",
        ["Sup3rv1sor"],
    ),
    (
        "Учётка: petrov / Lk9#mN2p",
        "Учётка: petrov / [secret:ACME-12/1]",
        ["Lk9#mN2p"],
    ),
    (
        "login/password: admin / Adm1n2024",
        "login/password: admin / [secret:ACME-12/1]",
        ["Adm1n2024"],
    ),
    (
        "credentials: svc_bpm:Winter2024!",
        "credentials: svc_bpm:[secret:ACME-12/1]",
        ["Winter2024!"],
    ),
    (
        "Login - admin, Password - 12345",
        "Login - admin, Password - [secret:ACME-12/1]",
        ["12345"],
    ),
    (
        'Пароль к базе данных: "P@ss word 1"',
        'Пароль к базе данных: "[secret:ACME-12/1]"',
        ["P@ss word 1"],
    ),
    (
        "Slack webhook token xoxb-1234567890-abcdefghij",
        "Slack webhook token [secret:ACME-12/1]",
        ["xoxb-1234567890-abcdefghij"],
    ),
    (
        "Ключ API: AbCdEf0123456789GhIjKl",
        "Ключ API: [secret:ACME-12/1]",
        ["AbCdEf0123456789GhIjKl"],
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "[secret:ACME-12/1]",
        ["-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"],
    ),
    (
        "пароль (временный): Abc12345",
        "пароль (временный): [secret:ACME-12/1]",
        ["Abc12345"],
    ),
    (
        "Пароль Qwerty123, повторяю: пароль Qwerty123",
        "Пароль [secret:ACME-12/1], повторяю: пароль [secret:ACME-12/1]",
        ["Qwerty123"],
    ),
    ("Пароль:\nQwerty123", "Пароль:\n[secret:ACME-12/1]", ["Qwerty123"]),
]

NEGATIVES = [
    "Login: admin\nPassword:\nURL: https://crm.client.ru",
    "пароль не приходит на почту",
    "I forgot my password",
    "password reset link expired",
    "Не могу сбросить пароль",
    "Password field is empty",
    "the password policy requires 8 chars",
    "поле «Пароль» не отображается",
    "token expired",
    "Откройте https://crm.client.ru/0/Nui/ViewModule.aspx#CardModuleV2/ContactPageV2",
    "Пишите на ivanov@client.ru или support@samarasoft.com",
    "user: ivanov",
    "Ошибка: Неверный логин или пароль",
    "После смены пароля пользователь не может войти",
    "The password is incorrect",
    "Пароль: см. ниже",
    "password: ********",
    "Токен истёк, авторизация не проходит",
    "API key is missing in the request header",
    "Bearer authentication is required",
    "логин / пароль не подходят",
    "После ввода пароля страница зависает",
    "The user password must be changed every 90 days",
    "Сервер https://crm.client.ru:8443/login",
    "пароль пользователя Supervisor истек",
    "Пароль от почты не подходит",
    "Как поменять пароль? Пароль истек вчера.",
    "Your password will expire in 3 days",
]

TICKET = """Добрый день!
Не открывается карточка договора.
Адрес системы: https://crm.client.ru
Логин: ivanov
Пароль: Qwerty123!
Подключение к БД: Server=sql01;Database=bpm;User Id=bpm;Password=Db#Pass2024;
Повторно: пароль Qwerty123! не менялся.
"""

TICKET_REDACTED = """Добрый день!
Не открывается карточка договора.
Адрес системы: https://crm.client.ru
Логин: ivanov
Пароль: [secret:ACME-12/1]
Подключение к БД: Server=sql01;Database=bpm;User Id=bpm;Password=[secret:ACME-12/2];
Повторно: пароль [secret:ACME-12/1] не менялся.
"""


def test_corpus_sizes() -> None:
    assert len(POSITIVES) >= 30
    assert len(NEGATIVES) >= 15


@pytest.mark.parametrize(("text", "expected", "values"), POSITIVES)
def test_positive_formats(text: str, expected: str, values: list[str]) -> None:
    redacted, pairs = redact(text, "ACME-12")
    assert redacted == expected
    assert [value for _, value in pairs] == values
    assert [ref for ref, _ in pairs] == [f"[secret:ACME-12/{n}]" for n in range(1, len(values) + 1)]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives_are_untouched(text: str) -> None:
    assert find_secrets(text) == []
    assert redact(text, "ACME-12") == (text, [])


def test_whole_ticket_keeps_logins_and_reuses_references() -> None:
    redacted, pairs = redact(TICKET, "ACME-12")
    assert redacted == TICKET_REDACTED
    assert pairs == [("[secret:ACME-12/1]", "Qwerty123!"), ("[secret:ACME-12/2]", "Db#Pass2024")]


def test_findings_cover_the_value_only() -> None:
    text = "логин: ivanov / пароль: Qwerty123!"
    (finding,) = find_secrets(text)
    assert finding == Finding("password", text.index("Qwerty"), len(text), "Qwerty123!")
    assert text[finding.start : finding.end] == finding.value


def test_kinds() -> None:
    kinds = {
        "https://u:Secr3t@host.ru": "url-credentials",
        "Server=a;Password=Secr3t;": "connection-string",
        "glpat-AbCdEf1234567890xyZ_12": "gitlab-token",
        "AKIAIOSFODNN7EXAMPLE": "aws-access-key",
        JWT: "jwt",
        "логин/пароль: admin/admin": "login-password",
        "пароль: Secr3t": "password",
        "API key 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c": "api-token",
    }
    for text, kind in kinds.items():
        assert [f.kind for f in find_secrets(text)] == [kind], text


def test_first_index_and_ticket_id() -> None:
    redacted, pairs = redact("пароль: a1b2c3, pwd=x9y8z7", "BETA-7", first_index=3)
    assert redacted == "пароль: [secret:BETA-7/3], pwd=[secret:BETA-7/4]"
    assert pairs == [("[secret:BETA-7/3]", "a1b2c3"), ("[secret:BETA-7/4]", "x9y8z7")]


def test_existing_references_are_not_detected_again() -> None:
    text = "логин: ivanov, пароль: [secret:ACME-12/1]; доступ: admin / [secret:ACME-12/2]"
    assert REF_RE.findall(text) == ["[secret:ACME-12/1]", "[secret:ACME-12/2]"]
    assert find_secrets(text) == []
    assert redact(text, "ACME-12", first_index=3) == (text, [])


# --- the labelled corpus -------------------------------------------------------------------

CORPUS = load_corpus()
CORPUS_POSITIVES = [e for e in CORPUS if e.secrets]


def test_corpus_covers_both_languages_and_the_issue_formats() -> None:
    negatives = [e for e in CORPUS if not e.secrets]
    assert len(CORPUS_POSITIVES) >= 90
    assert len(negatives) >= 90
    for lang in ("ru", "en"):
        assert sum(e.lang == lang for e in CORPUS_POSITIVES) >= 10
        assert sum(e.lang == lang for e in negatives) >= 10
    texts = "\n".join(e.text for e in CORPUS_POSITIVES)
    for shape in ('"password": "', '"pass":"', "DB_PASSWORD=", "db_password: ", "PGPASSWORD=",
                  "mysql -u root -p", "olga@acme.ru / secret", "<password>", "sk-", "AKIA",
                  "is my password", "мой пароль"):
        assert shape in texts, shape
    assert "Actual result: the page asks for the password\nPlease fix" in [e.text for e in negatives]


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.name)
def test_corpus_entry(entry: Entry) -> None:
    """Each listed credential is found with its exact value, and nothing else is."""
    missed, extra = check((f.value for f in find_secrets(entry.text)), entry.secrets)
    assert (missed, extra) == ([], [])


def test_corpus_recall_and_false_positives() -> None:
    recall, false_positives = score(find_secrets, CORPUS)
    print(
        f"\nredaction corpus: {len(CORPUS)} entries; recall {recall.found}/{recall.total}"
        f" = {recall.ratio:.1%}; false positives {len(false_positives)}"
        f" ({sum(1 for e in CORPUS if not e.secrets)} negative entries)"
    )
    assert recall.ratio == 1.0
    assert false_positives == []


@pytest.mark.parametrize("entry", CORPUS_POSITIVES, ids=lambda e: e.name)
def test_corpus_redaction_replaces_exactly_the_credentials(entry: Entry) -> None:
    clean, pairs = redact(entry.text, "ACME-12")
    assert sorted(value for _, value in pairs) == sorted(set(entry.secrets))
    assert len(REF_RE.findall(clean)) == len(entry.secrets)
    assert redact(clean, "ACME-12", first_index=len(pairs) + 1) == (clean, [])


def test_please_after_an_actual_result_ending_in_password_is_kept() -> None:
    for text in (
        "Actual result: Invalid login or password\nPlease fix",
        "Actual result: Invalid login or password Please fix",
        "Expected: the login page\nActual result: asks for the password\nPlease check",
    ):
        assert redact(text, "ACME-12") == (text, [])


def test_issue_formats_are_redacted_in_place() -> None:
    text = (
        '{"password": "Qw3rty!2024"}\nDB_PASSWORD=S3cretDb\nPGPASSWORD=Pg2024 psql -h db01\n'
        "mysql -u root -pS3cret bpm\nolga@acme.ru / secret\n<password>Xml#1</password>\n"
        "Tr0ub4dor&3 is my password"
    )
    clean, pairs = redact(text, "ACME-12")
    assert clean == (
        '{"password": "[secret:ACME-12/1]"}\nDB_PASSWORD=[secret:ACME-12/2]\n'
        "PGPASSWORD=[secret:ACME-12/3] psql -h db01\nmysql -u root -p[secret:ACME-12/4] bpm\n"
        "olga@acme.ru / [secret:ACME-12/5]\n<password>[secret:ACME-12/6]</password>\n"
        "[secret:ACME-12/7] is my password"
    )
    assert [v for _, v in pairs] == [
        "Qw3rty!2024", "S3cretDb", "Pg2024", "S3cret", "secret", "Xml#1", "Tr0ub4dor&3"]


def test_references_are_never_redacted_again_whatever_the_label() -> None:
    text = (
        "password=[secret:ACME-12/1]; {\"pass\":\"[secret:ACME-12/2]\"}\n"
        "<password>[secret:ACME-12/3]</password> olga@acme.ru / [secret:ACME-12/4]\n"
        "[secret:ACME-12/5] is my password; mysql -u root -p[secret:ACME-12/6] bpm\n"
        "Пароль: [secret:ACME-12~5f1c2a3b4c5d/7]"  # a provisional reference (usecases)
    )
    assert find_secrets(text) == []
    assert redact(text, "ACME-12", first_index=8) == (text, [])


# --- bounded work ----------------------------------------------------------------------------


def test_a_text_over_the_size_limit_is_refused_in_one_line() -> None:
    assert redact("x" * MAX_TEXT, "ACME-12") == ("x" * MAX_TEXT, [])
    with pytest.raises(RedactionLimitError) as refused:
        redact("x" * (MAX_TEXT + 1), "ACME-12")
    assert isinstance(refused.value, DomainError)
    assert refused.value.exit_code == 2
    assert str(refused.value) == (
        "the text is 1,048,577 characters; at most 1,048,576 can be checked for credentials;"
        " attach it as a file instead"
    )


def test_more_different_credentials_than_the_vault_takes_are_refused() -> None:
    text = "".join(f"password: Qw{i:05d}x\n" for i in range(MAX_SECRETS))
    _clean, pairs = redact(text, "ACME-12")
    assert len(pairs) == MAX_SECRETS
    with pytest.raises(RedactionLimitError) as refused:
        redact(text + "password: Qw99999x\n", "ACME-12")
    assert refused.value.exit_code == 2
    assert str(refused.value) == (
        "the text holds more than 1,000 different credentials; attach it as a file instead"
    )


def test_more_credentials_than_the_limit_are_refused_even_one_value_repeated() -> None:
    text = "password: Qwerty123!\n" * MAX_FINDINGS
    clean, pairs = redact(text, "ACME-12")
    assert pairs == [("[secret:ACME-12/1]", "Qwerty123!")]
    assert clean == "password: [secret:ACME-12/1]\n" * MAX_FINDINGS
    message = "the text holds more than 10,000 credential-like strings; attach it as a file instead"
    with pytest.raises(RedactionLimitError, match=message):
        redact(text + "pwd=Qwerty123!", "ACME-12")
    with pytest.raises(RedactionLimitError, match=message):  # refused before the scan ends
        redact("pwd=1 " * (4 * MAX_FINDINGS), "ACME-12")
    assert len(find_secrets(text + "pwd=Qwerty123!")) == MAX_FINDINGS + 1  # no limit there


# Inputs that made detection quadratic (a label's value scanned to the end of the text for
# every label, a reference compared with every candidate, a regex starting a match attempt
# at each letter) or that stress one pattern: each must give the expected findings.
# bench/redaction_bench.py times them at 1 MB.
ADVERSARIAL = [
    ("password: a " * 20_000, []),
    ("пароль: а " * 20_000, []),
    ("password=" * 20_000, []),
    ("pwd=" * 50_000 + "x1", ["x1"]),
    ('password="' * 20_000, []),
    ('"' * 200_000, []),
    ("«" * 200_000, []),
    ("x" * 200_000, []),
    (" " * 200_000, []),
    ("a." * 100_000, []),
    ("://a:" * 40_000, []),
    ("eyJ" * 60_000, []),
    ("sk-" * 60_000, []),
    ("[secret:" * 25_000, []),
    ("-----BEGIN PRIVATE KEY-----\n" * 8_000, []),
    ("a@b.cc / " * 20_000, []),
    ("@a." * 60_000, []),
    ("<password>" + "a" * 600, []),
    ("login=" * 30_000, []),
    ("apassword:x" * 20_000, []),
    ("password: a" + ")" * 200_000, []),
    ("mysql -pS3 " * 2_000, ["S3"] * 2_000),
    ("".join(f"password: Xy{i:05d}ab\n" for i in range(20_000)),
     [f"Xy{i:05d}ab" for i in range(20_000)]),
]


@pytest.mark.parametrize(("text", "values"), ADVERSARIAL, ids=lambda v: repr(v)[:24])
def test_adversarial_inputs(text: str, values: list[str]) -> None:
    assert [f.value for f in find_secrets(text)] == values


# --- properties ----------------------------------------------------------------------------

_FRAGMENTS = [
    "пароль",
    "Пароль:",
    "password",
    "password:",
    "pwd=",
    "логин",
    "login:",
    "user",
    "token",
    "API key",
    "Bearer",
    "учетная запись",
    "/",
    ":",
    "=",
    ";",
    " - ",
    " — ",
    "«",
    "»",
    '"',
    "Qwerty123!",
    "Supervisor",
    "admin",
    "P@ss",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "https://",
    "crm.client.ru",
    "@",
    "не приходит",
    "reset",
    "\n",
    " ",
    " ",
    " ",
    "[secret:",
    "X-1/2]",
    "]",
    "(",
    ")",
    "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
    "is",
    "Server=db;",
    "DB_PASSWORD=",
    "<password>",
    "</password>",
    "mysql -u root -p",
    " -p",
    "sk-proj-Ab12Cd34Ef56Gh78Ij90",
    "olga@acme.ru",
    " / ",
    " is my password",
    '"pass":"',
    "'",
    "curl -u ",
    "a:b",
    '<add key="SmtpPassword" value="',
    '"/>',
    "AKIAIOSFODNN7EXAMPLE",
    "PGPASSWORD=",
    "\\",
    "это мой пароль",
    "İ",
]
_texts = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=14).map("".join),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=5)), max_size=10).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_redact_is_idempotent(text: str) -> None:
    once, pairs = redact(text, "T-1")
    twice, more = redact(once, "T-1", first_index=len(pairs) + 1)
    assert twice == once
    assert more == []
    assert find_secrets(once) == []


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_text_without_findings_is_unchanged(text: str) -> None:
    findings = find_secrets(text)
    redacted, pairs = redact(text, "T-1")
    if not findings:
        assert (redacted, pairs) == (text, [])
    else:
        assert pairs
        # Every finding is a real, non-overlapping slice of the text, in order.
        assert all(text[f.start : f.end] == f.value for f in findings)
        assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
