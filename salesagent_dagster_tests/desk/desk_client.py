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
    # The client's address as a proxy would pass it (X-Forwarded-For, which uvicorn believes
    # from 127.0.0.1 only); empty: none sent, the edge sees 127.0.0.1.
    address: str = ""

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None,
                headers: dict[str, str] | None = None) -> Reply:  # fmt: skip
        parts = urlsplit(self.base_url)
        assert parts.hostname == "127.0.0.1", self.base_url
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        sent = dict(headers or {})
        if self.address:
            sent["X-Forwarded-For"] = self.address
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

    def sign_in(self, name: str, password: str, next_path: str = "/review") -> Reply:
        """As a person does: the sign-in page first (its CSRF token), then the form."""
        csrf = self.get("/signin").csrf()
        return self.post("/signin", [("csrf", csrf), ("name", name), ("password", password),
                                     ("next", next_path)])  # fmt: skip


def get_elsewhere(url: str) -> Reply:
    """A GET to another local server (the OpenID provider), no cookies, no redirects."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", url
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, text)
