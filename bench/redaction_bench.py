"""Benchmark credential detection: 1 MB of realistic tickets and of adversarial inputs.

    python bench/redaction_bench.py [--size 1048576] [--repeat 3] [--only NAME] [--old FILE]

For each input (about --size characters) it prints the best of --repeat runs of
``find_secrets`` and of ``redact`` (or the time ``redact`` takes to refuse the text with
RedactionLimitError, shown as "refused"), the number of findings, the ratio to a plain
``re`` scan over the same text in the same run (``(?i)password\\s*[:=]\\s*\\S+``, what a
naive one-pattern detector costs), and "x4": how much longer ``find_secrets`` takes on
the input four times as large as --size/4 (about 4 when linear, 16 when quadratic).
The adversarial inputs (labels and quotes repeated a million times, runs without
spaces, tens of thousands of secrets) must cost about what realistic text costs.

The realistic text is ticket prose, logs and configs from tests/data/redaction_corpus.txt
mixed with filler lines, so about one line in twenty holds a credential.

It also prints the detector's recall and false positives on the corpus (the figures
tests/test_redaction.py asserts). --old FILE times another version of
sccli/domain/redaction.py (e.g. the one before this benchmark) on the same inputs, with
a time limit per call (it may be quadratic); --size 65536 keeps that bearable.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from redaction_corpus import CORPUS, load_corpus, score  # noqa: E402

from sccli.domain import redaction  # noqa: E402

FILLER = [
    "Добрый день! После обновления не открывается карточка договора.",
    "Шаги: 1) открыть раздел Договоры 2) нажать Добавить 3) сохранить.",
    "Фактический результат: ошибка 500, ожидаемый результат: карточка сохраняется.",
    "Hello, the export to Excel hangs after 5 minutes, see the log below.",
    "2026-11-25 10:42:13,512 ERROR [worker-7] Terrasoft.Core.DB: timeout after 30000 ms",
    "2026-11-25 10:42:14,002 INFO  [worker-7] request /0/rest/UsrService/Run 200 123 ms",
    "Сервер приложений: 2 узла, PostgreSQL 14, Redis 6, nginx балансировщик.",
    "Please reset the password for the user, the reset link has expired.",
    "Пароль не приходит на почту, логин ivanov@client.ru.",
    "commit 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a fixed the timeout in the import",
    "    at Terrasoft.Core.Process.ProcessEngine.Execute(ProcessSchema schema) in line 42",
    "URL: https://crm.client.ru/0/Nui/ViewModule.aspx#CardModuleV2/ContactPageV2",
]


def realistic(size: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    corpus = [entry.text for entry in load_corpus()]
    lines: list[str] = []
    total = 0
    while total < size:
        line = rng.choice(corpus) if rng.random() < 0.05 else rng.choice(FILLER)
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)[:size]


def repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def distinct(template: str, count: int) -> str:
    return "".join(template.format(i=i) for i in range(count))


def inputs(size: int) -> dict[str, str]:
    def per_mb(count: int) -> int:
        return max(1, count * size // 2**20)

    n20k = per_mb(20_000)
    return {
        "realistic tickets": realistic(size),
        "'password: a ' repeated": repeat("password: a ", size),
        "'пароль: а ' repeated": repeat("пароль: а ", size),
        "'pwd=1 ' repeated": repeat("pwd=1 ", size),
        "20,000 secrets per MB": distinct("password: Xy{i:05d}ab\n", n20k),
        "10,000 logins+passwords per MB": distinct(
            "Логин: user{i} Пароль: Qw{i:05d}!\n", per_mb(10_000)),
        "20,000 .env lines per MB": distinct("DB_PASSWORD=S3cr{i:05d}\n", n20k),
        "20,000 JSON pairs per MB": distinct('{{"pass":"p{i:05d}x"}},', n20k),
        "one run without spaces": "x" * size,
        "'password=' glued": repeat("password=", size),
        "'pwd=pwd=' glued": repeat("pwd=", size),
        "'a.' glued (URL scheme)": repeat("a.", size),
        "'://a:' glued": repeat("://a:", size),
        "'eyJ' glued": repeat("eyJ", size),
        "'sk-' glued": repeat("sk-", size),
        "'[secret:' glued": repeat("[secret:", size),
        "BEGIN PRIVATE KEY without END": repeat("-----BEGIN PRIVATE KEY-----\n", size),
        "'a@b.cc / ' repeated": repeat("a@b.cc / ", size),
        "'@a.' glued": repeat("@a.", size),
        "'\"' repeated": '"' * size,
        "'password: \"' repeated": repeat('password: "', size),
        "'password=\"' glued": repeat('password="', size),
        "'«' repeated": "«" * size,
        "')' after a label": "password: a" + ")" * (size - 11),
        "spaces": " " * size,
        "'password' + spaces": "password" + " " * (size - 8),
        "'x is my password ' repeated": repeat("x1y2z3 is my password ", size),
        "'login x password please '": repeat("login x password please ", size),
        "'mysql -pS3 ' repeated": repeat("mysql -pS3 ", size),
        "' -px' repeated": repeat(" -px", size),
        "'curl -u a:b ' repeated": repeat("curl -u a:b ", size),
        "'<password>x</password>'": repeat("<password>x1</password>", size),
        "'<password>' unclosed": repeat("<password>" + "a" * 600, size),
        "'token ' repeated": repeat("token ", size),
        "'логин/пароль: a/' repeated": repeat("логин/пароль: a/", size),
        "'login=' glued": repeat("login=", size),
        "'apassword:x' glued": repeat("apassword:x", size),
        "'DB_' glued + password": "DB_" * (size // 3 - 10) + "PASSWORD=x",
        "fragments (seeded)": fragments(size),
    }


def fragments(size: int, seed: int = 11) -> str:
    """Random concatenations of the property test's fragments."""
    rng = random.Random(seed)
    pieces = [
        "пароль", "Пароль:", "password", "password:", "pwd=", "логин", "login:", "user",
        "token", "API key", "Bearer", "учетная запись", "/", ":", "=", ";", " - ", " — ",
        "«", "»", '"', "Qwerty123!", "Supervisor", "admin", "P@ss", "https://", "@",
        "crm.client.ru", "\n", " ", " ", "[secret:", "X-1/2]", "]", "(", ")", "is",
        "Server=db;", "DB_PASSWORD=", "<password>", "</password>", "mysql -p", "sk-",
    ]
    out: list[str] = []
    total = 0
    while total < size:
        piece = rng.choice(pieces)
        out.append(piece)
        total += len(piece)
    return "".join(out)[:size]


def best(fn: Callable[[], object], repeat_: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat_):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("redaction_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_redact(module: ModuleType, text: str) -> str:
    limit = getattr(module, "RedactionLimitError", None)
    try:
        _clean, pairs = module.redact(text, "ACME-12")
    except Exception as exc:  # noqa: BLE001 - the limit error, shown as "refused"
        if limit is not None and isinstance(exc, limit):
            return "refused"
        raise
    return f"{len(pairs)} secrets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="run the inputs whose name contains this")
    parser.add_argument("--old", help="another redaction.py to time on the same inputs")
    args = parser.parse_args()

    entries = load_corpus()
    recall, fps = score(redaction.find_secrets, entries)
    print(f"corpus {CORPUS.relative_to(ROOT)}: {len(entries)} entries, "
          f"{sum(len(e.secrets) for e in entries)} secrets, "
          f"{sum(1 for e in entries if not e.secrets)} negatives")
    print(f"  recall {recall.found}/{recall.total} = {recall.ratio:.1%}, "
          f"false positives {len(fps)} ({', '.join(repr(v) for v in fps[:5])})")
    module = load(args.old) if args.old else None
    if module is not None:
        old_recall, old_fps = score(module.find_secrets, entries)
        print(f"  {args.old}: recall {old_recall.found}/{old_recall.total} = "
              f"{old_recall.ratio:.1%}, false positives {len(old_fps)}")

    naive = re.compile(r"(?i)password\s*[:=]\s*\S+")
    print(f"\n{f'input (~{args.size} chars)':34} {'plain re':>9} {'find':>8} {'ratio':>6}"
          f" {'x4':>5} {'findings':>9} {'redact':>8}  result")
    worst = 0.0
    quarter = inputs(args.size // 4)
    for name, text in inputs(args.size).items():
        if args.only and args.only not in name:
            continue
        t_re, _ = best(lambda t=text: naive.findall(t), args.repeat)
        t_find, found = best(lambda t=text: redaction.find_secrets(t), args.repeat)
        t_small, _ = best(lambda t=quarter[name]: redaction.find_secrets(t), args.repeat)
        t_redact, result = best(lambda t=text: run_redact(redaction, t), args.repeat)
        worst = max(worst, t_find, t_redact)
        count = len(found) if isinstance(found, list) else 0
        print(f"{name:34} {t_re * 1000:7.1f}ms {t_find * 1000:6.0f}ms {t_find / t_re:6.0f}"
              f" {t_find / t_small:5.1f} {count:9} {t_redact * 1000:6.0f}ms  {result}")
        if module is not None:
            t_old, _ = best(lambda t=text: module.find_secrets(t), 1)
            print(f"{'  ' + args.old:34} {'':9} {t_old * 1000:6.0f}ms")
    print(f"\nslowest call: {worst * 1000:.0f} ms")


if __name__ == "__main__":
    main()
