"""A login kept across reloads: the one-time hand-off from the script to the browser, and the cookie.

The script (ui/app.py, login page) calls :func:`handoff` after a successful login and renders
:func:`setter_html` in a zero-height component; the browser posts the code to ROUTE (ui/asgi.py), which
calls :func:`redeem` and sets the cookie. On a new browser session (reload, bookmark, typed address) the
script reads the cookie with ``st.context.cookies`` and resumes the login. Codes live in this process for
60 seconds and are used once (with several replicas, the sticky proxy sends the post to the same one).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "fz_session"
ROUTE = "/_app/session"
CODE_TTL_SECONDS = 60
MAX_AGE_SECONDS = 7 * 24 * 3600  # the browser's keep; the server's idle timeout ends the login much sooner

_lock = threading.Lock()
_codes: dict[str, tuple[str, float]] = {}


def _h(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def handoff(token: str, *, now: float | None = None) -> str:
    """A one-time code that the browser exchanges for the cookie holding ``token``."""
    now = time.monotonic() if now is None else now
    code = secrets.token_urlsafe(24)
    with _lock:
        for k in [k for k, (_, exp) in _codes.items() if exp < now]:
            del _codes[k]
        _codes[_h(code)] = (token, now + CODE_TTL_SECONDS)
    return code


def redeem(code: str, *, now: float | None = None) -> str | None:
    now = time.monotonic() if now is None else now
    if not code:
        return None
    with _lock:
        entry = _codes.pop(_h(code), None)
    if entry is None or entry[1] < now:
        return None
    return entry[0]


def is_secure(request: Request) -> bool:
    """HTTPS to the browser: directly, or behind the proxy (X-Forwarded-Proto, set by deploy/nginx.conf)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def set(response: Response, token: str, *, secure: bool) -> None:  # noqa: A001 - mirrors Response.set_cookie
    response.set_cookie(
        COOKIE, token, max_age=MAX_AGE_SECONDS, path="/", httponly=True, samesite="strict", secure=secure
    )


def clear(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)


CLOSE_PHONE_MENU = (
    "const d = window.parent.document, bar = d.querySelector('[data-testid=stSidebar]');"
    "if (bar && bar.getAttribute('data-collapsed') === 'false' && window.parent.innerWidth < 640) {"
    " const b = d.querySelector('[data-testid=stSidebarCollapseButton] button'); if (b) b.click(); }"
)


def setter_html(code: str | None) -> str:
    """A tiny page (run in a same-origin frame) that posts the code, or deletes the cookie. On a phone it also
    closes the menu: a login or logout chosen while it was open would otherwise leave it over the page."""
    if code is None:
        call = f"fetch({json.dumps(ROUTE)}, {{method: 'DELETE', credentials: 'same-origin'}})"
    else:
        body = json.dumps(json.dumps({"code": code}))
        call = (
            f"fetch({json.dumps(ROUTE)}, {{method: 'POST', credentials: 'same-origin', "
            f"headers: {{'Content-Type': 'application/json'}}, body: {body}}})"
        )
    return f"<script>{call};{CLOSE_PHONE_MENU}</script>"
