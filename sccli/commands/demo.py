"""`sccli demo`: a self-contained demo workspace with fictional clients and tickets.

Everything happens at a fixed demo time, so the output is the same on every machine;
the secrets pasted into the demo tickets go to an encrypted file in the demo workspace,
never to the user's real keyring.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import click

from ..app import App
from ..config import CONFIG_FILE, SLA_FILE, default_sla_text
from ..domain.events import Note
from ..domain.model import EventKind
from ..errors import TemporaryFailure, UsageError
from ..store.codec import from_data
from ..usecases import clients, tickets
from . import app_of

DEMO_NOW = "2026-11-25T11:00:00+03:00"

CONFIG = """\
# sccli demo workspace (fictional data).
executor:
  name: Программные Технологии
  email: crm.support@samarasoft.com
  portal: https://support.samarasoft.com
  language: ru

clients:
  NORD:
    language: en
  VEGA:
    parties: [partner-x]

parties:
  vendor:
    kind: vendor
    title: BPMSoft
    language: ru
    tracker: vendor
  partner-x:
    kind: partner
    title: Partner X Solutions
    language: en
    tracker: partner-x

trackers:
  vendor:
    adapter: local
    path: trackers/vendor
  partner-x:
    adapter: local
    path: trackers/partner-x
"""

CLIENTS = [
    ("ACME", "ООО «Акме Ритейл»", "https://crm.acme-retail.ru", "on-premise", "it@acme-retail.ru"),
    ("NORD", "Nordwind Logistics", "https://nordwind.bpmsoft.cloud", "bpmsoft-cloud",
     "support@nordwind.example"),
    ("VEGA", "АО «Вега»", "https://bpm.vega.ru", "on-premise", "helpdesk@vega.ru"),
]

COMPLETE_RU = """Прошу помочь: {what}
Учетная запись: demo.user, пароль: Dem0-Passw0rd!
Адрес системы: {url}
Шаги:
1. Войти под учетной записью demo.user
2. {step}
3. Нажать «Сохранить»
Ожидаемый результат: запись сохраняется.
Фактический результат: {actual}
Окружение: MS SQL 2019, 2 ноды, интеграция с 1С, доработки Partner X."""

# (key, client, from, title, body, priority, channel, on_behalf, registered, actions)
# actions: (offset from registration, kind, data)
H = timedelta(hours=1)
D = timedelta(days=1)
DemoAction = tuple[int | timedelta, str, dict[str, object]]
TICKETS: list[tuple[str, str, str, str, str, str | None, str, bool, str, list[DemoAction]]] = [
    ("vega-low-first", "VEGA", "helpdesk@vega.ru", "Переименовать поле «Код клиента» в «Номер договора»",
     "Название поля на странице контрагента вводит пользователей в заблуждение. Можно ли переименовать?",
     "low", "portal", False, "2026-11-23T09:10", [(20 * 60, "responded", {"message": "Приняли в работу"})]),
    ("vega-critical-queued", "VEGA", "helpdesk@vega.ru", "Ошибка на странице логина",
     COMPLETE_RU.format(what="после обновления не открывается страница входа.", url="https://bpm.vega.ru",
                        step="Открыть страницу входа", actual="ошибка 500 на странице логина"),
     "critical", "portal", False, "2026-11-25T10:40", []),
    ("vega-awaiting-acceptance", "VEGA", "helpdesk@vega.ru", "Не формируется печатная форма счёта",
     COMPLETE_RU.format(what="печатная форма счёта падает с ошибкой.", url="https://bpm.vega.ru",
                        step="Открыть счёт и выбрать «Печать»", actual="ошибка шаблона"),
     "medium", "email", False, "2026-11-17T10:00",
     [(30 * 60, "responded", {"message": "Воспроизвели"}),
      (D, "source-set", {"source": "executor-project-in-design", "party": None}),
      (2 * D, "estimate-set", {"estimate": "2026-11-20T17:00:00+03:00"}),
      (5 * D, "resolved", {"message": "Шаблон исправлен, проверьте, пожалуйста"})]),
    ("acme-unauthorized", "ACME", "sales.head@acme-retail.ru", "Срочно добавить поле «Канал продаж»",
     "Нужно новое поле в карточке сделки, прошу сделать сегодня.",
     "high", "email", False, "2026-11-25T09:05", []),
    ("acme-password", "ACME", "it@acme-retail.ru", "Не могу войти под пользователем Supervisor",
     "С утра не можем войти в систему https://crm.acme-retail.ru\nлогин: Supervisor пароль: Sup3r#2026\n"
     "1. Открыть страницу входа\n2. Ввести логин и пароль\nОшибка «Неверный пароль».\n"
     "Окружение: PostgreSQL 15, 1 нода, доработок партнеров нет.",
     None, "portal", False, "2026-11-25T08:50", []),
    ("acme-client-overdue", "ACME", "it@acme-retail.ru", "Не приходят уведомления о задачах",
     "Уведомления о новых задачах перестали приходить сотрудникам отдела продаж. Почему?",
     "medium", "portal", False, "2026-11-19T14:00",
     [(H, "asked", {"message": "Уточните, пожалуйста, адрес системы, шаги и окружение"})]),
    ("acme-vendor", "ACME", "it@acme-retail.ru", "Ошибка платформы при экспорте в Excel",
     COMPLETE_RU.format(what="экспорт реестра в Excel падает с ошибкой платформы.",
                        url="https://crm.acme-retail.ru", step="Открыть реестр «Контрагенты» и нажать «Экспорт»",
                        actual="NullReferenceException в ядре платформы"),
     "high", "portal", False, "2026-11-24T11:00",
     [(40 * 60, "responded", {"message": "Воспроизводится на чистой платформе"}),
      (3 * H, "source-set", {"source": "vendor-product", "party": "vendor"})]),
    ("nord-breached", "NORD", "support@nordwind.example", "Shipment approval process fails every morning",
     "The daily business process 'Shipment approval' fails at the 'Notify carrier' step since Monday.\n"
     "System: https://nordwind.bpmsoft.cloud\nSteps:\n1. Wait for the 08:00 run\n2. Open the process log\n"
     "Environment: BPMSoft cloud, 2 nodes, no partner customizations.\nAccount: ops.bot, password: Shipm3nt!Bot",
     "high", "portal", False, "2026-11-24T10:00", []),
    ("nord-missing-steps", "NORD", "support@nordwind.example", "Dashboard shows wrong totals",
     "Hello, the sales dashboard shows wrong totals. Can you check?", "medium", "portal", False,
     "2026-11-25T10:15", []),
    ("nord-billable-change", "NORD", "support@nordwind.example", "Copy payment details when creating an invoice",
     "When an invoice is created from a contract, please copy the payment details automatically. "
     "This is not described in the Technical Design.", "medium", "portal", False, "2026-11-18T09:00",
     [(H, "responded", {"message": "This is a change outside the Technical Design; we will estimate it"}),
      (2 * H, "source-set", {"source": "executor-project-out-of-design", "party": None})]),
    ("nord-phone", "NORD", "support@nordwind.example", "Phone consultation: report filters",
     "Call from the ops manager about report filters.", "low", "phone", True, "2026-11-24T15:00",
     [(10 * 60, "responded", {"message": "Consulted by phone"})]),
    ("vega-partner", "VEGA", "helpdesk@vega.ru", "Ошибка в модуле складского учёта Partner X",
     COMPLETE_RU.format(what="модуль склада Partner X не проводит приходные накладные.", url="https://bpm.vega.ru",
                        step="Открыть приходную накладную и нажать «Провести»", actual="ошибка модуля Partner X"),
     "high", "portal", False, "2026-11-20T11:00",
     [(H, "responded", {"message": "Источник — продукт Partner X"}),
      (2 * H, "source-set", {"source": "partner-product", "party": "partner-x"})]),
    ("acme-mask", "ACME", "it@acme-retail.ru", "Некорректная маска ввода номера телефона",
     "Маска ввода номера телефона не принимает номера с добавочным. Как исправить?",
     None, "portal", False, "2026-11-25T10:30", []),
    ("acme-law", "ACME", "it@acme-retail.ru", "Требование закона: маркировка с 1 марта",
     "Федеральный закон вступает в силу с 01.03.2027, нужно доработать процесс отгрузки. Что нужно от нас?",
     "high", "portal", False, "2026-11-16T12:00",
     [(15 * 60, "responded", {"message": "Готовим оценку"}),
      (D, "estimate-set", {"estimate": "2026-11-23T17:00:00+03:00"}),
      (5 * D, "estimate-set", {"estimate": "2026-12-04T17:00:00+03:00",
                               "reason": "нашлись новые требования к отчётности"})]),
    ("acme-closed", "ACME", "it@acme-retail.ru", "Не строится отчёт по продажам",
     "Отчёт по продажам пустой. Почему?", "medium", "email", False, "2026-11-09T10:00",
     [(H, "responded", {"message": "Проверяем"}), (D, "resolved", {"message": "Исправлен фильтр"}),
      (2 * D, "accepted", {"message": "Спасибо"})]),
    ("nord-closed-late", "NORD", "support@nordwind.example", "Login page error after release",
     "The login page shows an error after the release. How do we fix it?", "critical", "portal", False,
     "2026-11-10T09:00",
     [(2 * H, "responded", {"message": "Looking"}), (4 * H, "resolved", {"message": "Hotfix deployed"}),
      (D, "accepted", {"message": "OK"})]),
    ("vega-rejected", "VEGA", "helpdesk@vega.ru", "Сервер не включается",
     "Сервер приложения не включается после грозы, удалённого доступа нет.", "high", "phone", False,
     "2026-11-12T10:00",
     [(20 * 60, "rejected", {"reason": "no-access", "message": "Требуется ремонт оборудования клиента"})]),
    ("vega-reopened", "VEGA", "helpdesk@vega.ru", "Дубли контактов при импорте",
     "При импорте из Excel появляются дубли контактов. Почему?", "medium", "portal", False,
     "2026-11-13T10:00",
     [(H, "responded", {"message": "Смотрим"}), (D, "resolved", {"message": "Настроено правило дублей"}),
      (3 * D, "reopened", {"message": "Дубли снова появились"})]),
    ("acme-on-behalf", "ACME", "it@acme-retail.ru", "Заявка со слов клиента: не обновляется курс валют",
     "Зарегистрировано инженером по звонку клиента.", "low", "phone", True, "2026-11-24T16:00",
     [(5 * 60, "responded", {"message": "Проверили расписание обновления"})]),
    ("nord-low-new", "NORD", "support@nordwind.example", "Field label typo on the Account page",
     "The field label 'Adress' is misspelled on the Account page.", "low", "portal", False,
     "2026-11-25T09:30", []),
]


def build(app: App) -> dict[str, str]:
    """Fill the workspace's store with the demo clients and tickets; returns key → ticket id."""
    from datetime import datetime

    from ..domain.model import Contact

    tz = app.tz
    start = datetime(2026, 11, 1, 9, 0, tzinfo=tz)
    for key, name, url, hosting, contact in CLIENTS:
        clients.add_client(app, key, name, url, hosting, None)
        with app.store.transaction() as store:
            store.add_contact(Contact(key, contact, None, start, "договор, приложение 1"), start)
    with app.store.transaction() as store:  # ACME appointed a new contact mid-month
        store.add_contact(Contact("ACME", "old.it@acme-retail.ru", "Пётр", start - timedelta(days=30),
                                  "прежнее лицо"), start - timedelta(days=30))
    ids = {}
    for key, client, sender, title, body, prio, channel, on_behalf, at, actions in TICKETS:
        registered = datetime.fromisoformat(at).replace(tzinfo=tz)
        ticket = tickets.add_ticket(app, client, sender, title, body, prio, channel, on_behalf, registered)
        ids[key] = ticket.id
        for offset, kind, data in actions:
            delta = offset if isinstance(offset, timedelta) else timedelta(seconds=offset)
            payload = from_data(EventKind(kind), data)
            tickets.record(app, ticket.id, payload, registered + delta, "engineer")
    return ids


PARTNER_REPLY = ("We reproduced it: the posting fails on documents with zero-quantity lines."
                 " A fix ships in Warehouse 3.2.1 on Friday.")
PUBLIC_NOTE = ("Client VEGA confirms the problem blocks daily receipts; please share a workaround"
               " until 3.2.1. Test account on request: login wh.tester, password: Wh-Test#77")


PORTAL_CASE_ACME = ("Не открывается карточка контрагента",
                    "С утра не открывается карточка контрагента «Ромашка»: бесконечная загрузка.\n"
                    "Адрес системы: https://crm.acme-retail.ru\n"
                    "Учетная запись: manager1, пароль: Kart0chka!2026")
PORTAL_CASE_VEGA = ("Ошибка платформы при импорте из Excel",
                    COMPLETE_RU.format(what="импорт контактов из Excel падает с ошибкой платформы.",
                                       url="https://bpm.vega.ru",
                                       step="Открыть раздел «Контакты» и выбрать «Импорт»",
                                       actual="NullReferenceException в ядре платформы"))
CLIENT_ANSWER = ("Шаги:\n1. Открыть раздел «Контрагенты»\n2. Открыть карточку «Ромашка»\n"
                 "Окружение: PostgreSQL 15, 1 нода, доработок партнеров нет.")


def round_trip(app: App, home: Path, ids: dict[str, str], portal) -> None:
    """The single window: requests arrive from the portal and become tickets, the
    engineer's response and question go back to it, the client's reply stops the feedback
    clock; vendor and partner problems are escalated, a partner reply and a public note
    cross over."""
    from datetime import datetime

    from ..adapters.local import LocalTracker
    from ..domain.events import Asked, Responded, SourceSet
    from ..domain.intake import check_intake, clarification_request
    from ..domain.model import Source
    from ..sync.apply import run_sync
    from ..sync.wiring import exit_code
    from .sync import render_outcomes

    names = list(app.settings.trackers)

    def sync_once() -> None:
        click.echo("$ sccli sync")
        factory = portal.factory()
        try:
            outcomes = run_sync(app, names, factory)
        finally:
            factory.close()
        code = exit_code(outcomes)
        render_outcomes(outcomes, "table", app.lang, False, code, factory)
        if code:
            raise TemporaryFailure("the demo's sync failed (see above); the workspace is left"
                                   " as it is")

    def at(hhmm: str) -> datetime:
        return datetime.fromisoformat(f"2026-11-25T{hhmm}").replace(tzinfo=app.tz)

    click.echo("# 10:20 and 10:25: two clients register requests on the Customer Success Portal"
               " (a local BPMSoft portal on 127.0.0.1, running while the demo runs)")
    acme_case = portal.case(1, "ACME", *PORTAL_CASE_ACME, registered="10:20")
    portal.case(2, "VEGA", *PORTAL_CASE_VEGA, registered="10:25", priority="high")
    portal.at("10:30")
    sync_once()
    came = {lk.remote_id: lk.ticket_id for lk in app.store.links(tracker="portal")}
    acme, vega = came[acme_case], came[portal_id(2)]

    ticket = app.store.get_ticket(acme)
    assert ticket is not None
    found = check_intake(ticket.title, ticket.body)
    question = clarification_request(found.missing, found.language, acme, ticket.title,
                                     found.kind)
    for ticket_id, when, payload in (
            (acme, "10:35", Responded(message="Приняли в работу, смотрим")),
            (acme, "10:36", Asked(message=question,
                                  missing=tuple(i.value for i in found.missing))),
            (vega, "10:38", Responded(message="Воспроизводится на чистой платформе")),
            (vega, "10:40", SourceSet(source=Source("vendor-product"), party="vendor"))):
        tickets.record(app, ticket_id, payload, at(when), "engineer")
    click.echo("")
    click.echo(f"# 10:35 the engineer responds to {acme} and asks for what it lacks (sccli ticket"
               f" ask {acme} --missing); {vega} is a platform bug: sccli ticket set {vega}"
               " --source vendor-product")
    portal.at("10:45")
    sync_once()

    portal.client_writes(acme_case, CLIENT_ANSWER, "10:52", 1)
    partner_ticket = ids["vega-partner"]
    link = app.store.links(ticket_id=partner_ticket, tracker="partner-x")[0]
    LocalTracker(home / "trackers" / "partner-x").add_comment(
        link.remote_id, PARTNER_REPLY, "dev@partner-x.example")
    tickets.record(app, partner_ticket, Note(message=PUBLIC_NOTE, public=True), who="engineer")
    click.echo("")
    click.echo(f"# 10:52 the client answers on the portal; partner-x replies on its issue"
               f" #{link.remote_id}; the engineer adds a public note to {partner_ticket} (its"
               " password is redacted before it leaves)")
    portal.at("10:55")
    sync_once()
    click.echo("")
    click.echo(f"# what the client sees on the portal, case SR00000001 ({acme}),"
               f" status «{portal.status(acme_case)}»:")
    for who, line in portal.conversation(acme_case):
        click.echo(f"#   {who}: {line}")
    click.echo("")
    click.echo(f"$ sccli links {partner_ticket}")
    from .sync import links

    click.get_current_context().invoke(links, ticket_id=partner_ticket, fmt="table")


def portal_id(n: int) -> str:
    from .demo_portal import fixed_id

    return fixed_id(f"case/{n}")


@click.command("demo")
@click.option("--home", "home_dir", metavar="DIR",
              help="Build the demo here (an empty directory) [a new temporary directory].")
@click.option("--force", is_flag=True, help="Reuse --home even if it is not empty.")
@click.pass_context
def demo(ctx, home_dir, force) -> None:
    """Build a demo workspace (a temporary directory, or --home DIR) and show triage and
    SLA status in it at the demo time, offline, on the embedded SQLite store.

    It shows the single window: requests arrive from a local BPMSoft portal (a test server
    on 127.0.0.1 while the demo runs), the engineer's answers go back there, the client's
    reply stops the feedback clock, and vendor and partner problems are escalated.

    \b
    Example:
      sccli demo --home ./demo && sccli --home ./demo --at 2026-11-25T11:00 queue VEGA
    """
    root = app_of(ctx)
    explicit = home_dir or ctx.find_root().params.get("home")
    if explicit:
        home = Path(explicit).expanduser()
        if home.exists() and any(home.iterdir()) and not force:
            raise UsageError(f"{home} is not empty; pick an empty directory or add --force")
    else:
        home = Path(tempfile.mkdtemp(prefix="sccli-demo-"))
    if force and (home / "sccli.db").exists():
        (home / "sccli.db").unlink()
    home.mkdir(parents=True, exist_ok=True)
    from datetime import datetime

    from .demo_portal import DemoPortal

    # The single window: a local BPMSoft portal on 127.0.0.1 for the demo's duration.
    with DemoPortal(datetime.fromisoformat(DEMO_NOW).tzinfo) as portal:
        show(ctx, root, home, portal)


def show(ctx, root, home: Path, portal) -> None:
    """Write the workspace, build it, run the single window's story, print triage and SLA."""
    (home / CONFIG_FILE).write_text(CONFIG + portal.tracker_config(), encoding="utf-8")
    (home / SLA_FILE).write_text(default_sla_text(), encoding="utf-8")
    from ..secrets import TicketVault
    from ..store import open_store

    store = open_store(str(home / "sccli.db"), home)
    vault = TicketVault(home, mode="file", namespace=store.instance_id())
    store.close()
    # The demo's own clock: everything happens at the demo time, on every machine.
    app = App(home=str(home), db=str(home / "sccli.db"), lang=root.lang, vault=vault,
              clock=DEMO_NOW)
    ctx.call_on_close(app.close)
    ids = build(app)
    from .sla import status
    from .triage import triage

    ru = app.lang == "ru"
    click.echo(("Демо-пространство: " if ru else "Demo workspace: ") + str(home))
    click.echo(("Время демо: " if ru else "Demo time: ") + DEMO_NOW)
    ctx.find_root().obj = app
    click.echo("")
    round_trip(app, home, ids, portal)
    click.echo("")
    click.echo("$ sccli triage")
    ctx.invoke(triage, client_key=None, fmt="table", apply_=False, interactive=False, lang=app.lang)
    click.echo("")
    click.echo("$ sccli sla status")
    ctx.invoke(status, client_key=None, fmt="table")
    click.echo("")
    base = f"sccli --home {home} --at {DEMO_NOW}"
    click.echo("Попробуйте дальше:" if ru else "Try next:")
    for rest in ("sla explain ACME-9", "ticket show ACME-9", "sla explain NORD-1", "queue VEGA",
                 "ticket show VEGA-4", "triage --lang ru", "sla report --month 2026-11"):
        click.echo(f"  {base} {rest}")
