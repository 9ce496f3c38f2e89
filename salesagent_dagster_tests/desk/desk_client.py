"""A cookie-keeping HTTP client for the served desk that follows no redirect (a test sees the
303 and where it points), over `http.client` to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.body)
        assert found, "no CSRF token on the page"
        return found.group(1)


@dataclass
class DeskClient:
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    address: str = ""  # sent as nothing: the edge sees 127.0.0.1

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None,
                headers: dict[str, str] | None = None) -> Reply:  # fmt: skip
        parts = urlsplit(self.base_url)
        assert parts.hostname == "127.0.0.1", self.base_url
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("set-cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, text)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, form: list[tuple[str, str]]) -> Reply:
        return self.request("POST", path, form)

    def sign_in(self, name: str, password: str) -> Reply:
        return self.post("/signin", [("name", name), ("password", password), ("next", "/review")])
