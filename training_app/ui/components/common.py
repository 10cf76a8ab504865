"""What every page shares: the cached app context, the signed-in user, role checks and formatting.

Only ui/ imports Streamlit. Pages call :func:`guard` first: it re-checks the session against the
database and the role against the page, and stops the page with a refusal otherwise.
"""

from __future__ import annotations

import gc
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from ...services import auth
from ...services.common import Actor, App, DatabaseBusy, make_app
from ...vocab import LEARNER_ROLES, ROLE_LABELS
from . import session_cookie

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


@st.cache_resource(show_spinner=False)
def _app_resource() -> App:
    """One engine and one parsed bank per process, shared by every session.

    The bank and everything loaded with it live as long as the process: they are moved out of the garbage
    collector's generations (``gc.freeze``), so that no collection walks them again."""
    app = make_app()
    gc.collect()
    gc.freeze()
    return app


def get_app() -> App:
    return _app_resource()


def esc(text: str) -> str:
    """Bank, roster and user text shown through st.markdown: every Markdown character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text or ""))


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(session_cookie.COOKIE)
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare scripts)
        return None
    return value if isinstance(value, str) and value else None


def current_actor() -> Actor | None:
    """The signed-in user for this run (checked against the database once per run).

    A new browser session (a reload, a bookmark, a typed address) resumes the login held in the session
    cookie, as long as the server has not ended it."""
    cache = st.session_state.get("_actor_run")
    run_id = st.session_state.get("_run_id")
    if cache is not None and cache[0] == run_id:
        return cache[1]
    token = st.session_state.get("token")
    from_cookie = False
    if not token and not st.session_state.get("_logged_out"):
        token = _cookie_token()
        from_cookie = bool(token)
    actor = auth.resume(get_app(), token)
    if actor is None and token:
        st.session_state.pop("token", None)
        st.session_state["_expired"] = True
        st.session_state["_clear_cookie"] = True
    elif actor is not None and from_cookie:
        st.session_state["token"] = token
        st.session_state["must_change_password"] = auth.must_change_password(get_app(), actor)
    st.session_state["_actor_run"] = (run_id, actor)
    return actor


def client_info() -> auth.ClientInfo:
    """The client address (X-Forwarded-For believed only from TRUSTED_PROXIES) and user agent of this session."""
    try:
        headers = st.context.headers
        peer = st.context.ip_address
        forwarded, agent = headers.get("X-Forwarded-For"), headers.get("User-Agent")
    except Exception:  # noqa: BLE001 - no browser context
        return auth.ClientInfo()
    peer = peer if isinstance(peer, str) else ""
    forwarded = forwarded if isinstance(forwarded, str) else None
    agent = agent if isinstance(agent, str) else ""
    address = auth.client_address(peer, forwarded, get_app().settings.trusted_proxies)
    return auth.ClientInfo(address or "", agent[:200])


def cookie_sync() -> None:
    """Set or clear the session cookie in the browser when a login began or ended in this run."""
    code = st.session_state.pop("_cookie_code", None)
    clear = st.session_state.pop("_clear_cookie", False)
    if code is None and not clear:
        return
    st.iframe(session_cookie.setter_html(code), height=1)  # our own constant script and a random code


def guard(*roles: str) -> Actor:
    """Stop the page unless the signed-in user has one of the roles."""
    actor = current_actor()
    if actor is None:
        st.warning("请先登录。")
        st.stop()
    if actor.role not in roles:
        st.error("无权访问此页面。")
        st.stop()
    return actor


def tz() -> ZoneInfo:
    return ZoneInfo(get_app().settings.timezone)


def fmt_dt(dt: datetime | None, with_seconds: bool = False) -> str:
    if dt is None:
        return "—"
    from ...clock import as_utc

    return as_utc(dt).astimezone(tz()).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def fmt_duration(seconds: int) -> str:
    h, rem = divmod(max(0, int(seconds)), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def track_time(kind: str) -> None:
    """Count study time between interactions on a page, capped so an idle tab counts nothing extra."""
    actor = current_actor()
    if actor is None or actor.role not in LEARNER_ROLES:
        return
    now = time.monotonic()
    key = f"_track_{kind}"
    last = st.session_state.get(key)
    st.session_state[key] = now
    if last is None or st.session_state.get("_prev_page") != st.session_state.get("_page"):
        return  # arriving from another page: the time spent there is not this page's
    cap = get_app().settings.study_session_cap_minutes * 60
    delta = now - last
    if delta > cap:
        return  # idle: the tab was left open
    st.session_state[f"_acc_{kind}"] = st.session_state.get(f"_acc_{kind}", 0.0) + delta
    if st.session_state[f"_acc_{kind}"] >= 30:
        from ...services.learning import record_study_time

        seconds = st.session_state.pop(f"_acc_{kind}")
        try:
            record_study_time(get_app(), actor, kind, seconds)
        except DatabaseBusy:  # best effort: kept for the next flush (an exam-morning peak on SQLite)
            st.session_state[f"_acc_{kind}"] = seconds


def flash(message: str, kind: str = "success") -> None:
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        getattr(st, kind)(esc(message))  # flashes carry names and titles: never Markdown


HEARTBEAT_SECONDS = 30
HEARTBEAT_CAP_SECONDS = 45  # a tick never credits more: a sleeping phone or a throttled tab counts at most this


def study_heartbeat(kind: str) -> None:
    """Count reading time while the page is open and the browser is awake: a fragment ticks every 30 seconds
    (browsers suspend it when the phone sleeps or the tab is put away), each tick credits the time since the
    last one (capped), and the running total is shown. Nothing is credited on other pages."""
    actor = current_actor()
    if actor is None or actor.role not in LEARNER_ROLES:
        return
    key, total_key = f"_beat_{kind}", f"_beat_total_{kind}"
    now = time.monotonic()
    if st.session_state.get("_prev_page") != st.session_state.get("_page"):
        st.session_state[total_key] = 0.0  # a fresh visit to the page
    last = st.session_state.get(key)
    if last is not None and st.session_state.get("_prev_page") == st.session_state.get("_page"):
        _credit(actor, kind, min(now - last, HEARTBEAT_CAP_SECONDS), total_key)
    st.session_state[key] = now

    @st.fragment(run_every=HEARTBEAT_SECONDS)
    def tick() -> None:
        t = time.monotonic()
        before = st.session_state.get(key)
        st.session_state[key] = t
        if before is not None and t - before >= 1:
            _credit(actor, kind, min(t - before, HEARTBEAT_CAP_SECONDS), total_key)
        total = int(st.session_state.get(total_key, 0.0))
        st.caption(f"本次阅读已计入学时 {total // 60} 分 {total % 60:02d} 秒（页面打开且屏幕亮着时计时）")

    tick()


def _credit(actor: Actor, kind: str, seconds: float, total_key: str) -> None:
    from ...services.learning import record_study_time

    if seconds <= 0:
        return
    record_study_time(get_app(), actor, kind, seconds)
    st.session_state[total_key] = st.session_state.get(total_key, 0.0) + seconds
