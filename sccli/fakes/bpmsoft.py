"""A BPMSoft-compatible HTTP server on loopback, for tests and ``sccli demo``.

Built from ../shared/research/bpmsoft.md (§1.14 gives the specification): forms login with
``AuthService.svc/Login`` (``Code`` 0/1 on HTTP 200, cookies ``.ASPXAUTH``, ``BPMLOADER``,
``BPMCSRF``, ``UserName``), the ``BPMCSRF`` header checked on every request, session expiry
as a 401 (with ``ForceUseSession: true``) or a 302 to the HTML login page, the BPMSoft
variant whose Login sets no ``BPMCSRF`` (a GET of the application does), OAuth 2.0 client
credentials (``/connect/token``), OData 4 under ``/0/odata`` (and ``/odata`` on .NET 8),
the row cap, optional ``@odata.nextLink``, injectable 429/503 with ``Retry-After``, the
documented OData error body. Where the research is unsure, both behaviours are switches.

    server = FakeBpmSoft().start()       # a real server on 127.0.0.1, a free port
    server.url                           # http://127.0.0.1:PORT (the site, without /0)
    server.db.add_case("Не работает", account_id=...)
    server.stop()

``python -m sccli.fakes.bpmsoft --port 8090`` runs one in the foreground.
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from .bpmsoft_data import BpmData
from .bpmsoft_odata import ODataHandler
from .odata import ODataError

LOGIN_PATH = "/ServiceModel/AuthService.svc/Login"
LOGIN_PAGE = "/Login/NuiLogin.aspx"
TOKEN_PATH = "/connect/token"


@dataclass
class Fault:
    status: int
    retry_after: str | None
    times: int
    path: str | None  # only requests whose path contains this


@dataclass
class Session:
    login: str
    csrf: str | None


class FakeBpmSoft:
    """The server and its switches; ``data`` holds the entities (see BpmData)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, net8: bool = False,
                 statuses: str = "standard", csrf_on_login: bool = True,
                 expiry: str = "401", max_rows: int = 20_000, next_links: bool = False,
                 schema_columns: Iterable[str] = ("EntitySchemaUId", "EntitySchemaName"),
                 login: str = "Supervisor", password: str = "Supervisor"):
        self.host, self.port = host, port
        self.net8 = net8  # .NET 8 BPMSoft 1.9: OData at /odata too, not only /0/odata
        self.csrf_on_login = csrf_on_login  # False: Login sets no BPMCSRF (BPMSoft quirk)
        self.expiry = expiry  # "401" or "redirect": what an expired session gets
        self.max_rows = max_rows  # MaxEntityRowCount
        self.next_links = next_links  # emit @odata.nextLink when rows remain
        self.schema_columns = frozenset(schema_columns)
        self.db = BpmData(statuses)
        self.passwords = {login: password}
        self.db.add_user(login, "Supervisor")
        self.clients: dict[str, tuple[str, str]] = {}  # OAuth client id → (secret, login)
        self.sessions: dict[str, Session] = {}
        self.tokens: dict[str, str] = {}
        self.no_odata: set[str] = set()  # logins without "Access to OData"
        self.faults: list[Fault] = []
        self.expire_on: list[tuple[str, str | None]] = []  # one-shot mid-run expiries
        self.log: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeBpmSoft:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True,  # polls 20/s: stop() returns at once
                                        name=f"fake-bpmsoft-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeBpmSoft:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ switches for tests
    def add_user(self, login: str, password: str, odata: bool = True) -> str:
        self.passwords[login] = password
        if not odata:
            self.no_odata.add(login)
        return self.db.add_user(login)

    def add_client(self, client_id: str, secret: str, login: str = "Supervisor") -> None:
        self.clients[client_id] = (secret, login)

    def expire_sessions(self) -> None:
        """Every session and token ends (the server restarted, the timeout passed)."""
        with self.lock:
            self.sessions.clear()
            self.tokens.clear()

    def expire_at(self, path: str, method: str | None = None) -> None:
        """Every session ends just before the next request whose path contains ``path``
        (and whose method is ``method``): an expiry in the middle of a client's run."""
        with self.lock:
            self.expire_on.append((path, method))

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None,
                  path: str | None = None) -> None:
        """The next ``times`` requests (whose path contains ``path``) get ``status``."""
        with self.lock:
            self.faults.append(Fault(status, retry_after, times, path))

    def count(self, contains: str = "", method: str | None = None) -> int:
        """Requests received whose path contains ``contains`` (all by default)."""
        with self.lock:
            return sum(1 for m, p, _ in self.log
                       if contains in p and (method is None or m == method))

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path is None or fault.path in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None


def error_body(message: str, kind: str = "Terrasoft.Common.ODataException") -> dict[str, Any]:
    """The OData error shape (Microsoft OData, as creatio-api-py reads it)."""
    return {"error": {"code": "", "message": message, "innererror": {
        "message": message, "type": kind, "stacktrace": "",
        "internalexception": {"message": message}}}}


class _Handler(ODataHandler, BaseHTTPRequestHandler):
    fake: FakeBpmSoft
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # ------------------------------------------------------------------ answers
    def send(self, status: int, body: bytes = b"", ctype: str = "application/json; "
             "odata.metadata=minimal; charset=utf-8",
             headers: Iterable[tuple[str, str]] = ()) -> None:
        with self.fake.lock:
            self.fake.log.append((self.command, self.path, status))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body or status not in (204, 304):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send(status, json.dumps(data, ensure_ascii=False).encode(), headers=headers)

    def send_error_body(self, status: int, message: str, headers=()) -> None:
        self.send_json(status, error_body(message), headers)

    def send_html(self, status: int, title: str, headers=()) -> None:
        page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>" \
               f"<h1>{title}</h1></body></html>"
        self.send(status, page.encode(), "text/html; charset=utf-8", headers)

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie") or "")
        except Exception:  # a malformed header: no cookies
            return {}
        return {k: m.value for k, m in jar.items()}

    # ------------------------------------------------------------------ methods
    def do_GET(self) -> None:
        self.route()

    def do_POST(self) -> None:
        self.route()

    def do_PATCH(self) -> None:
        self.route()

    def do_DELETE(self) -> None:
        self.route()

    def route(self) -> None:
        try:
            self._route()
        except ODataError as exc:
            self.send_error_body(exc.status, exc.message)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self) -> None:
        fake, parts = self.fake, urlsplit(self.path)
        path = parts.path
        fault = fake.take_fault(path)
        if fault is not None:
            extra = [("Retry-After", fault.retry_after)] if fault.retry_after else []
            self.body()
            return self.send_error_body(fault.status, "Service is temporarily unavailable."
                                        if fault.status != 429 else "Too many requests.", extra)
        if path in (LOGIN_PATH, "/0" + LOGIN_PATH) and self.command == "POST":
            return self.login()
        if path == TOKEN_PATH and self.command == "POST":
            return self.token()
        if path == LOGIN_PAGE:
            return self.send_html(200, "BPMSoft — Вход в систему")
        if path in ("/", "/0", "/0/") and self.command == "GET":
            return self.app_page()
        root = next((r for r in self.roots() if path == r or path.startswith(r + "/")), None)
        if root is None:
            return self.send_html(404, "404 - File or directory not found.")
        self.expire_if_asked(path)
        login = self.authenticate()
        if login is None:
            return
        rest = path[len(root):].lstrip("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.odata(rest, query, login)

    def roots(self) -> list[str]:
        return ["/0/odata", "/odata"] if self.fake.net8 else ["/0/odata"]

    # ------------------------------------------------------------------ authentication
    def login(self) -> None:
        fake = self.fake
        try:
            creds = json.loads(self.body() or b"{}")
        except ValueError:
            creds = {}
        user, password = str(creds.get("UserName") or ""), str(creds.get("UserPassword") or "")
        if not user or fake.passwords.get(user) != password:
            return self.send_json(200, {
                "Code": 1, "Message": "Invalid username or password specified.",
                "Exception": {"Message": "Invalid username or password specified.",
                              "Type": "Terrasoft.Core.InvalidCredentialsException"},
                "PasswordChangeUrl": None, "RedirectUrl": None})
        token, csrf = secrets.token_hex(16), secrets.token_urlsafe(16)
        with fake.lock:
            fake.sessions[token] = Session(user, csrf if fake.csrf_on_login else None)
        cookies = [("Set-Cookie", f"BPMLOADER={secrets.token_hex(8)}; path=/; HttpOnly"),
                   ("Set-Cookie", f".ASPXAUTH={token}; path=/; HttpOnly"),
                   ("Set-Cookie", f"UserName={quote(user)}; path=/; HttpOnly")]
        if fake.csrf_on_login:
            cookies.append(("Set-Cookie", f"BPMCSRF={csrf}; path=/"))
        self.send_json(200, {"Code": 0, "Message": "", "Exception": None,
                             "PasswordChangeUrl": None, "RedirectUrl": None}, cookies)

    def token(self) -> None:
        form = {k: v[-1] for k, v in parse_qs(self.body().decode()).items()}
        client = self.fake.clients.get(form.get("client_id", ""))
        if (form.get("grant_type") != "client_credentials" or client is None
                or client[0] != form.get("client_secret")):
            return self.send_json(400, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        with self.fake.lock:
            self.fake.tokens[token] = client[1]
        self.send_json(200, {"access_token": token, "expires_in": 3600,
                             "token_type": "Bearer", "scope": "ApplicationAccess"})

    def app_page(self) -> None:
        """The application's page; on the BPMSoft variant it is what sets BPMCSRF."""
        session = self.fake.sessions.get(self.cookies().get(".ASPXAUTH", ""))
        if session is None:
            return self.redirect_to_login()
        headers = []
        if session.csrf is None:
            session.csrf = secrets.token_urlsafe(16)
        if self.cookies().get("BPMCSRF") != session.csrf:
            headers.append(("Set-Cookie", f"BPMCSRF={session.csrf}; path=/"))
        self.send_html(200, "BPMSoft", headers)

    def expire_if_asked(self, path: str) -> None:
        fake = self.fake
        with fake.lock:
            for wanted in fake.expire_on:
                if wanted[0] in path and wanted[1] in (None, self.command):
                    fake.expire_on.remove(wanted)
                    fake.sessions.clear()
                    fake.tokens.clear()
                    return

    def redirect_to_login(self) -> None:
        self.body()
        target = f"{LOGIN_PAGE}?ReturnUrl={quote(self.path, safe='')}"
        self.send(302, b"", headers=[("Location", target)])

    def authenticate(self) -> str | None:
        """The login behind the request, or None once the refusal is sent."""
        fake = self.fake
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            login = fake.tokens.get(auth[7:].strip())
            if login is None:
                self.body()
                self.send_error_body(401, "The access token is invalid or has expired.",
                                     [("WWW-Authenticate", 'Bearer error="invalid_token"')])
                return None
            return self.permitted(login)
        session = fake.sessions.get(self.cookies().get(".ASPXAUTH", ""))
        if session is None:
            force = (self.headers.get("ForceUseSession") or "").lower() == "true"
            if force and fake.expiry == "401":
                self.body()
                self.send_error_body(401, "Unauthorized: the session has expired or is absent.")
            else:
                self.redirect_to_login()
            return None
        header = self.headers.get("BPMCSRF")
        if not header or session.csrf is None or header != session.csrf:
            self.body()
            self.send_error_body(403, "Forbidden: the BPMCSRF header is missing or does not "
                                 "match the BPMCSRF cookie.")
            return None
        return self.permitted(session.login)

    def permitted(self, login: str) -> str | None:
        if login in self.fake.no_odata:
            self.body()
            self.send_html(403, "Access denied: you do not have permission to use the OData "
                           "service (system operation CanUseODataService)")
            return None
        return login

def seed(server: FakeBpmSoft, cases: int) -> None:
    """``cases`` portal cases of one account and contact, a second apart, the newest now."""
    if not cases:
        return
    data = server.db
    account = data.add_account("ООО Ромашка", "ROM")
    contact = data.add_contact("Анна Петрова", "anna@romashka.example", account)
    data.advance(-cases)
    for n in range(cases):
        data.add_case(f"Обращение {n}", "Не формируется отчёт", account_id=account,
                      contact_id=contact)
        data.advance(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sccli.fakes.bpmsoft",
                                     description="A BPMSoft-compatible test server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--statuses", choices=["standard", "22"], default="standard")
    parser.add_argument("--no-csrf-on-login", action="store_true")
    parser.add_argument("--expiry", choices=["401", "redirect"], default="401")
    parser.add_argument("--net8", action="store_true")
    parser.add_argument("--next-links", action="store_true")
    parser.add_argument("--seed-cases", type=int, default=0, metavar="N",
                        help="register N portal cases of one account (benchmarks, demos)")
    args = parser.parse_args(argv)
    server = FakeBpmSoft(host=args.host, port=args.port, statuses=args.statuses,
                         csrf_on_login=not args.no_csrf_on_login, expiry=args.expiry,
                         net8=args.net8, next_links=args.next_links).start()
    seed(server, args.seed_cases)
    print(f"fake BPMSoft on {server.url} (login Supervisor/Supervisor); Ctrl-C stops",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
