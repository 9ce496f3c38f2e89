"""How the desk's pages are rendered: Jinja2 templates with autoescaping on (every field a
lead typed is text, never markup), and a CSP that lets only this origin's own stylesheet
and script run, so nothing inline, injected or from elsewhere executes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from salesagent_dagster.edge.security import content_security_policy

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_PATH = "/review/static"

DESK_CSP = content_security_policy().replace(
    "default-src 'none'",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'",
)

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(static=STATIC_PATH, **values)
    return HTMLResponse(html, status, headers={"content-security-policy": DESK_CSP})
