"""The few HTML pages the edge shows: plain, self-contained (one inline stylesheet, allowed
by its hash in the CSP), no script, nothing loaded from elsewhere."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from string import Template
from urllib.parse import urlencode

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;"
    "color:#1f2933;line-height:1.5}h1{font-size:1.4rem}"
    "button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;"
    "background:#1f2933;color:#fff;cursor:pointer}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

_PAGE = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>$title</title>
<style>$style</style>
</head>
<body>
<h1>$title</h1>
$body
</body>
</html>
"""
)


def page(title: str, body_html: str) -> str:
    """`body_html` is markup we wrote; anything from the request must be escaped first."""
    return _PAGE.substitute(title=escape(title), style=STYLE, body=body_html)


def confirm_page(partition_key: str, signature: str) -> str:
    """The GET answer: a button that POSTs the RFC 8058 body back to this same link (a
    relative action keeps any path prefix a proxy adds)."""
    action = "?" + urlencode({"lead": partition_key, "sig": signature})
    return page(
        "Unsubscribe",
        f"""<p>Stop receiving emails from us at this address?</p>
<form method="post" action="{escape(action)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>""",
    )


def done_page() -> str:
    """The same for every valid link, whether or not we still know the lead."""
    return page(
        "You are unsubscribed",
        "<p>We will not email you again. You do not need to do anything else.</p>",
    )


def bad_link_page() -> str:
    return page(
        "This link does not work",
        "<p>The unsubscribe link is incomplete or was changed. Please use the link from the "
        "email exactly as it was, or reply to the email and ask us to stop.</p>",
    )


def try_later_page() -> str:
    return page(
        "Please try again",
        "<p>We could not record your request just now. Please try the link again in a few "
        "minutes, or reply to the email and ask us to stop.</p>",
    )
