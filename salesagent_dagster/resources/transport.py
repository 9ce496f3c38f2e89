"""No hidden re-sends (DESIGN I-1, I-14): the one place that sets how every HTTP layer under
the official clients may repeat a request on its own.

A request that left this process and got no answer may have been carried out. Only the
product's own reconciliation (the send ledger's `rfc822msgid:` lookup, the HubSpot adoption
by identifying properties) may decide what happens next; no layer below it may quietly send
the same request again. Each layer, from the top:

Gmail (`google-api-python-client` -> `google-auth-httplib2` -> `httplib2`)
- googleapiclient `execute(num_retries=N)` repeats on 5xx, 429 and socket errors: sends,
  draft creates and token refreshes use `num_retries=0` (resources/gmail.py); reads keep 2.
- google-auth-httplib2 `AuthorizedHttp` repeats a request once after a 401, having refreshed
  the token. A 401 is a clear refusal (nothing was done), so that replay is kept: it is how an
  expired access token is renewed without failing the send.
- google-auth repeats the token endpoint POST after an error *answer* (408, 429, 500, 503,
  504; at most 3 attempts). A refresh-token grant only mints a new access token, and an
  answer it gave is never lost to that loop; it has no setting, and is left as it is.
- httplib2 repeats any request, POST included, when the connection closes without an
  answer: once more per `httplib2.RETRIES`, and once more "regardless of the number of
  RETRIES" when the first read of the status line fails (`BadStatusLine`, which
  `RemoteDisconnected` is). No setting turns the second off, so `NoReplayHttp` below lets a
  connection carry a non-idempotent request once and refuses the replay. It also follows no
  redirects (a 307/308 would repost the body elsewhere).

HubSpot (`hubspot-api-client` -> `urllib3`, and `requests` -> `urllib3` for form polling)
- The generated APIs do not retry by themselves; urllib3's default `Retry(3)` under them
  repeats connect failures for every method (safe: nothing was sent), reads and statuses
  only for idempotent methods, but "other" errors (TLS failures mid-answer) for *every*
  method, and follows 307/308 with the body. `HUBSPOT_RETRY` keeps the first two and turns
  the others off.
- The `requests` session that polls form submissions (GET only) keeps requests' default
  `HTTPAdapter(max_retries=0)`: nothing is repeated, and a 429 skips the sensor tick rather
  than holding it in a Retry-After sleep; the next tick reads again.
"""

from __future__ import annotations

from typing import Any

import httplib2
from urllib3.util.retry import Retry

# Methods whose repetition cannot change anything on the server (RFC 9110 section 9.2.2).
REPLAY_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

HUBSPOT_RETRY = Retry(
    total=3,
    connect=3,  # the request never left: safe for any method
    read=3,  # answers lost on the way back, repeated for REPLAY_SAFE_METHODS only
    status=3,  # 429/503 with Retry-After, repeated for REPLAY_SAFE_METHODS only
    other=0,  # TLS errors and the like: urllib3 would repeat them for POST too
    redirect=False,  # never repost a create to wherever a 307/308 points
    allowed_methods=REPLAY_SAFE_METHODS,
    raise_on_status=False,  # a last 429/5xx reaches our typed errors with its Retry-After
)


class ReplayRefused(httplib2.HttpLib2Error):
    """The connection closed without an answer after a non-idempotent request went out;
    httplib2 wanted to send it again. The outcome is unclear: the caller reconciles."""


class _OneRequestConnection:
    """Wraps one httplib2 connection so that it carries a single request: once the request
    has been written, any further `connect()` or `request()` (httplib2's silent replay) is
    refused. Everything else is the wrapped connection's."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._sent = False

    def connect(self) -> None:
        if self._sent:
            raise ReplayRefused("connection closed without an answer; not sent again")
        self._connection.connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self._sent:
            raise ReplayRefused("connection closed without an answer; not sent again")
        self._sent = True
        self._connection.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("_connection", "_sent"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._connection, name, value)


class NoReplayHttp(httplib2.Http):
    """httplib2 as the Google clients expect it, except that a non-idempotent request
    (POST, PUT, PATCH, DELETE) is written to the wire at most once.

    Such a request also starts on a fresh connection: on a kept-alive one that the server
    has meanwhile closed, the request would fail before the server saw it, and without the
    replay that would cost a reconciliation for nothing. Reads keep httplib2's own
    stale-connection recovery, which is harmless for them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.follow_redirects = False

    def _conn_request(
        self, conn: Any, request_uri: str, method: str, body: Any, headers: Any
    ) -> tuple[Any, bytes]:
        # httplib2's hook between a connection and one request; the replay lives inside it.
        if method.upper() in REPLAY_SAFE_METHODS:
            return super()._conn_request(conn, request_uri, method, body, headers)
        conn.close()
        return super()._conn_request(
            _OneRequestConnection(conn), request_uri, method, body, headers
        )
