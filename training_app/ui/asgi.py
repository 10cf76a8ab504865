"""The server entry: Streamlit's own ASGI app (st.App) around ui/app.py, plus one HTTP route that keeps a
login across reloads in an HttpOnly cookie.

`training-app serve` runs `streamlit run` on this file (Streamlit finds the st.App in it and serves it with
uvicorn). The cookie holds a random session token (256 bits); the database keeps only its SHA-256, and the
session ends with 退出登录, the idle timeout, a password change or a deactivation. The page never sees the
token: after a login the script hands the browser a one-time code (60 s) which this route exchanges for
the cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS).

Its lifespan starts the process's sweeper (services.jobs): every minute, attempts past their deadline are
closed and graded and reviews opened since reach the 错题本, so no page writes while it draws.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `streamlit run training_app/ui/asgi.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from training_app.ui import event_loop_wakeups, tcp_nodelay
from training_app.ui.components import session_cookie

HERE = Path(__file__).resolve().parent


async def session_route(request: Request) -> Response:
    if request.method == "DELETE":
        response = Response(status_code=204)
        session_cookie.clear(response, secure=session_cookie.is_secure(request))
        return response
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"ok": False}, status_code=400)
    token = session_cookie.redeem(str(body.get("code", "")) if isinstance(body, dict) else "")
    if token is None:
        return JSONResponse({"ok": False}, status_code=403)
    response = JSONResponse({"ok": True})
    session_cookie.set(response, token, secure=session_cookie.is_secure(request))
    return response


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    from training_app.services.common import App, make_app
    from training_app.services.jobs import start_sweeper, stop_sweeper

    made: list[App] = []

    def get_app() -> App:  # built in the sweeper's thread, on its first run (a slow database delays no one)
        if not made:
            made.append(make_app())
        return made[0]

    start_sweeper(get_app)
    try:
        yield None
    finally:
        stop_sweeper()


# Before st.App builds the runtime (which keeps the runtime's wake-up method): one wake-up of the event loop per
# burst of messages, not one per message (see event_loop_wakeups).
event_loop_wakeups.install()
# Before the server accepts a connection: Nagle off on each (see tcp_nodelay: 40 ms on a click right after a run).
tcp_nodelay.install()

app = st.App(
    str(HERE / "app.py"),
    lifespan=lifespan,
    routes=[Route(session_cookie.ROUTE, session_route, methods=["POST", "DELETE"])],
)
