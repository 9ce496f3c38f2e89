"""What a HubSpot workflow's "Send a webhook" action does when a form is submitted.

HubSpot apps have no form-submission subscription, so a workflow with the form as its trigger
POSTs each submission to the product. This plays that workflow: the body is the submission
item with its `formId`, signed with the app's client secret as HubSpot signs (v3: base64
HMAC-SHA256 over method + URI + body + timestamp, with the official client's algorithm), and
delivered from a thread of its own with HubSpot's retry rules: 5xx, 429 and connection errors
are tried again with a growing delay, any other 4xx is final. Every attempt is kept in
`deliveries` for tests to read.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from hubspot.utils.signature import Signature

RETRY_DELAYS_SECONDS = (0.5, 1.0, 2.0, 4.0)  # HubSpot spreads its retries over 3 days


@dataclass(frozen=True)
class Delivery:
    conversion_id: str | None
    attempt: int
    status: int | None  # None: no answer (connection refused, timeout)


class WorkflowWebhook:
    def __init__(self, url: str, client_secret: str, timeout_seconds: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"a workflow webhook posts to an http(s) URL, not {url!r}")
        self.url = url
        self.client_secret = client_secret
        self.timeout_seconds = timeout_seconds
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def fire(self, form_id: str, item: Any) -> None:
        """Deliver in the background, as HubSpot does after the form's thank-you page."""
        body = json.dumps({"formId": form_id, **item} if isinstance(item, dict) else item)
        conversion_id = item.get("conversionId") if isinstance(item, dict) else None
        thread = threading.Thread(
            target=self._deliver, args=(body, conversion_id), name="hubspot-workflow", daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout_seconds: float = 30.0) -> None:
        """Until every delivery so far has ended (answered, given up or final)."""
        deadline = time.monotonic() + timeout_seconds
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _deliver(self, body: str, conversion_id: str | None) -> None:
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS_SECONDS), start=1):
            time.sleep(delay)
            status = self._post(body)
            with self._lock:
                self.deliveries.append(Delivery(conversion_id, attempt, status))
            if status is not None and status < 500 and status != 429:
                return

    def _post(self, body: str) -> int | None:
        timestamp = str(int(time.time() * 1000))
        signature = Signature.get_signature(
            self.client_secret,
            body,
            signature_version="v3",
            http_uri=self.url,
            http_method="POST",
            timestamp=timestamp,
        )
        request = urllib.request.Request(  # noqa: S310 (http(s) only: checked in __init__)
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-HubSpot-Signature-v3": signature,
                "X-HubSpot-Request-Timestamp": timestamp,
                "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as answer:  # noqa: S310
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, OSError):
            return None
