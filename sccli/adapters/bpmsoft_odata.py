"""BPMSoft (Creatio) sessions and OData 4 reads for the ``bpmsoft`` adapter.

Facts behind each rule are in ../shared/research/bpmsoft.md (sources there):

* Login: ``POST {site}/ServiceModel/AuthService.svc/Login`` answers HTTP 200 either way;
  "The authentication is successful if the value [Code] is 0. Otherwise the authentication
  has failed" → a refusal is an AuthError (exit 4) with the server's message.
* CSRF: the ``BPMCSRF`` cookie's value goes in a ``BPMCSRF`` header on every request. Some
  BPMSoft installations set no BPMCSRF at Login; a GET of the application sets it.
* ``ForceUseSession: true`` on every request, so an expired session is a clean 401; a
  server may still redirect to the HTML login page. Either way: one fresh login and the
  request again, then a clear error.
* OAuth 2.0 client credentials instead (``Authorization: Bearer``, no CSRF).
* OData 4 at ``{site}/0/odata`` (.NET Framework) or ``{site}/odata`` (.NET 8): a URL ending
  in ``/0`` says which; otherwise the first request tries ``/0/odata`` and, on an IIS 404
  that is not an OData answer, switches to ``/odata`` once for the run (no extra request).
* Errors: the OData error body ``{"error": {"message": ..., "innererror": ...}}``; 403 for a
  refused CSRF token or a missing "Access to OData" (CanUseODataService) permission.
* Reading: date literals unquoted UTC (``ModifiedOn ge 2026-04-26T00:00:00Z``; quoted → 400),
  ``$orderby`` stable, ``$top``/``$skip`` pages never above the 20,000-row cap
  (MaxEntityRowCount), ``@odata.nextLink`` followed when a server sends one.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sccli.adapters.base import AuthError, NotFound, TrackerError, ValidationError
from sccli.adapters.http import HttpClient, HttpFactory

LOGIN = "ServiceModel/AuthService.svc/Login"
MAX_ROWS = 20_000  # MaxEntityRowCount: never ask for more in one response
ODATA_PERMISSION = ('the user lacks the system operation "Access to OData" '
                    "(CanUseODataService) or rights to this object")


def literal(moment: datetime) -> str:
    """An OData 4 date-time literal: UTC, unquoted (a quoted one is refused with 400)."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def quote(text: str) -> str:
    """An OData string literal."""
    return "'" + text.replace("'", "''") + "'"


def odata_message(resp: Any) -> str:
    """The server's one-line explanation from an OData error body (or a page title)."""
    try:
        data = jsonlib.loads(resp.content or b"{}")
    except ValueError:
        text = (resp.content or b"").decode("utf-8", "replace")
        start, end = text.find("<title>"), text.find("</title>")
        return " ".join(text[start + 7:end].split())[:300] if 0 <= start < end else ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        inner = error.get("innererror") or {}
        message = error.get("message") or inner.get("message") or ""
        return " ".join(str(message).split())[:300]
    if isinstance(error, str):
        return " ".join(str(data.get("error_description") or error).split())[:300]
    return ""


class BpmSession:
    """One authenticated session for the run: login once, cookies kept, re-login once."""

    def __init__(self, url: str, factory: HttpFactory | None, name: str,
                 secret: Callable[[str], str], config: Mapping[str, Any]):
        site = url.rstrip("/")
        self.root: str | None = config.get("odata_root")
        if site.endswith("/0"):
            site, self.root = site[:-2], "0/odata"
        self.site, self.config, self.secret, self.name = site, config, secret, name
        self.http: HttpClient = (factory or HttpFactory()).client(
            site, headers={"Accept": "application/json", "ForceUseSession": "true"},
            name=name)
        self.root_known = self.root is not None
        self.logged_in = False
        self.login_name = config.get("login") or config.get("user") or ""

    # ------------------------------------------------------------------ auth
    @property
    def oauth(self) -> bool:
        return bool(self.config.get("client_id"))

    def login(self) -> None:
        if self.oauth:
            self._token()
        else:
            self._forms_login()
        self.logged_in = True

    def _forms_login(self) -> None:
        login, ref = self.config.get("login"), self.config.get("password")
        if not login or not ref:
            raise AuthError("set login and password (or client_id and client_secret)",
                            self.name)
        password = self.secret(ref)
        self.http.secrets += (password,)
        self.http.session.cookies.clear()
        self.http.session.headers.pop("BPMCSRF", None)
        resp = self.http.request("POST", LOGIN, json={"UserName": login,
                                                      "UserPassword": password},
                                 expect=(200, 401, 403))
        if resp.status_code != 200:
            raise AuthError(f"login as {login} refused: HTTP {resp.status_code}"
                            f"{': ' + odata_message(resp) if odata_message(resp) else ''}",
                            self.name)
        body = resp.json()
        if not isinstance(body, dict) or body.get("Code") != 0:
            message = body.get("Message") if isinstance(body, dict) else None
            exc = (body.get("Exception") or {}) if isinstance(body, dict) else {}
            why = message or (exc.get("Message") if isinstance(exc, dict) else "") or "refused"
            raise AuthError(f"login as {login} refused: {self.http.redact(why)}", self.name)
        csrf = self.http.session.cookies.get("BPMCSRF")
        if not csrf:  # BPMSoft: Login set no BPMCSRF; a GET of the application does
            self.http.request("GET", "0/", expect=(200, 302, 404))
            csrf = self.http.session.cookies.get("BPMCSRF")
        if not csrf:
            raise AuthError("the server set no BPMCSRF cookie at login nor on the application "
                            "page, so every request would be refused as a CSRF attack",
                            self.name)
        self.http.session.headers["BPMCSRF"] = csrf
        self.http.secrets += (csrf,)

    def _token(self) -> None:
        ref = self.config.get("client_secret")
        if not ref:
            raise AuthError("client_id is set but client_secret is not", self.name)
        secret = self.secret(ref)
        self.http.secrets += (secret,)
        url = self.config.get("token_url") or f"{self.site}/connect/token"
        resp = self.http.request("POST", url, data={
            "grant_type": "client_credentials", "client_id": self.config["client_id"],
            "client_secret": secret}, expect=(200, 400, 401, 403))
        if resp.status_code != 200:
            why = odata_message(resp) or f"HTTP {resp.status_code}"
            raise AuthError(f"OAuth client {self.config['client_id']} refused: {why}",
                            self.name)
        token = str(resp.json().get("access_token") or "")
        if not token:
            raise AuthError("the token endpoint returned no access_token", self.name)
        self.http.secrets += (token,)
        self.http.session.headers["Authorization"] = f"Bearer {token}"

    # ------------------------------------------------------------------ requests
    def call(self, method: str, path: str, params: Mapping[str, Any] | None = None,
             json: Any = None, expect: tuple[int, ...] = (200,)) -> Any:
        """An OData request (``path`` under the OData root, or an absolute next link)."""
        if not self.logged_in:
            self.login()
        relogged = False
        while True:
            url = path if path.startswith("http") else f"{self.root or '0/odata'}/{path}"
            resp = self.http.request(
                method, url, params=params, json=json,
                expect=expect + (400, 401, 403, 404, 405, 409),
                idempotent=method in ("GET", "PATCH"))
            status, where = resp.status_code, f"{method} {urlsplit(resp.url or url).path}"
            bounced = bool(resp.history) and "html" in resp.headers.get("Content-Type", "")
            if status == 401 or bounced or (status == 403 and "CSRF" in odata_message(resp)):
                if relogged:
                    why = "redirected to the login page" if bounced else f"HTTP {status}"
                    raise AuthError(f"{where}: {why} again right after a fresh login; "
                                    "check the user's rights and the session settings",
                                    self.name)
                relogged = True
                self.login()
                continue
            if status == 404 and not self.root_known and not path.startswith("http"):
                self.root_known = True
                if "json" not in resp.headers.get("Content-Type", ""):
                    self.root = "odata"  # .NET 8: no /0 prefix
                    continue
            if status in expect:
                self.root_known = True
                return resp
            message = self.http.redact(odata_message(resp))
            detail = f"{where}: HTTP {status}" + (f": {message}" if message else "")
            if status == 403:
                raise AuthError(f"{detail} ({ODATA_PERMISSION})", self.name)
            if status == 404:
                raise NotFound(detail, self.name)
            if status == 400:
                raise ValidationError(detail, self.name)
            raise TrackerError(detail, self.name)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.call("GET", path, params).json()

    def rows(self, entity: str, filter: str | None = None, orderby: str = "Id asc",
             select: str | None = None, page: int = 500, expand: str | None = None
             ) -> Iterator[dict[str, Any]]:
        """Every row, page by page (``$top``/``$skip`` with a stable order, or the server's
        next links); ``$count`` on each page says when the last one was read, so a server
        whose row cap is below ``page`` is still read to the end."""
        page = max(1, min(page, MAX_ROWS))
        params: dict[str, Any] = {"$orderby": orderby, "$top": page, "$count": "true"}
        for key, value in (("$filter", filter), ("$select", select), ("$expand", expand)):
            if value:
                params[key] = value
        skip, path, query = 0, entity, params
        while True:
            body = self.get(path, query if path == entity else None)
            values = body.get("value") or []
            yield from values
            skip += len(values)
            link = body.get("@odata.nextLink")
            if link and values:
                path = link
                continue
            total = body.get("@odata.count")
            done = (not values or (skip >= int(total) if total is not None
                                   else len(values) < page))
            if done or path != entity:
                return
            query = {**params, "$skip": skip}

    def changed(self, entity: str, column: str, since: datetime | None, select: str,
                page: int = 500, expand: str | None = None, extra: str | None = None
                ) -> Iterator[dict[str, Any]]:
        """Rows with ``column`` ≥ ``since``, oldest first, by keyset paging: each query asks
        for ``column ge <last seen>`` ordered ``column asc,Id asc`` from its first row, so the
        rows at that instant come again (already yielded: skipped; usually one). No row is
        ever skipped by position, so an edit while paging (a row read at the cursor jumping
        to the end) cannot shift an unread row out of the window. Only a page whose rows
        all share one instant pages on by ``$skip``. Rows are yielded once per (Id, value).
        """
        page = max(1, min(page, MAX_ROWS))
        cursor, offset = since, 0
        seen: set[tuple[Any, Any]] = set()
        while True:
            terms = [f"{column} ge {literal(cursor)}"] if cursor is not None else []
            terms += [extra] if extra else []
            # the rows at the cursor come again: ask for that many more (same request count)
            top = min(page + (len(seen) if not offset else 0), MAX_ROWS)
            params: dict[str, Any] = {"$orderby": f"{column} asc,Id asc", "$top": top,
                                      "$count": "true", "$select": select}
            if terms:
                params["$filter"] = " and ".join(terms)
            if expand:
                params["$expand"] = expand
            if offset:
                params["$skip"] = offset
            body = self.get(entity, params)
            total, read = body.get("@odata.count"), 0
            last_rows: list[dict[str, Any]] = []
            while True:  # the server's own pages of this query, when it sends next links
                values = body.get("value") or []
                for row in values:
                    key = (row.get("Id"), row.get(column))
                    if key not in seen:
                        seen.add(key)
                        yield row
                read += len(values)
                last_rows = values or last_rows
                link = body.get("@odata.nextLink")
                if not (link and values):
                    break
                body = self.get(link)
            if not last_rows or (offset + read >= int(total) if total is not None
                                 else read < top):
                return
            last = parse(last_rows[-1].get(column))
            if cursor is None or last > cursor:
                cursor, offset = last, 0
                # only rows at the new cursor can come back: memory stays flat
                seen = {(r.get("Id"), r.get(column)) for r in last_rows
                        if parse(r.get(column)) == last}
            else:
                offset += read


def parse(value: Any) -> datetime:
    """An OData date-time (``...Z``) as an aware UTC datetime."""
    text = str(value or "1970-01-01T00:00:00Z").replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
