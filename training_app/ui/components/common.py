"""What every page shares: the cached app context, the signed-in user, role checks and formatting.

Only ui/ imports Streamlit. Pages call :func:`guard` first: it re-checks the session against the
database and the role against the page, and stops the page with a refusal otherwise.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from ...services import auth
from ...services.common import Actor, App, make_app
from ...store.models import ROLE_LABELS

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


@st.cache_resource(show_spinner=False)
def _app_resource() -> App:
    """One engine and one parsed bank per process, shared by every session."""
    return make_app()


def get_app() -> App:
    return _app_resource()


def esc(text: str) -> str:
    """Bank, roster and user text shown through st.markdown: every Markdown character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text or ""))


def current_actor() -> Actor | None:
    """The signed-in user for this run (checked against the database once per run)."""
    cache = st.session_state.get("_actor_run")
    run_id = st.session_state.get("_run_id")
    if cache is not None and cache[0] == run_id:
        return cache[1]
    actor = auth.resume(get_app(), st.session_state.get("token"))
    if actor is None and st.session_state.get("token"):
        st.session_state.pop("token", None)
        st.session_state["_expired"] = True
    st.session_state["_actor_run"] = (run_id, actor)
    return actor


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
    from ...engine.deadlines import as_utc

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
    if actor is None or actor.role not in ("officer", "leader"):
        return
    now = time.monotonic()
    key = f"_track_{kind}"
    last = st.session_state.get(key)
    st.session_state[key] = now
    if last is None:
        return
    cap = get_app().settings.study_session_cap_minutes * 60
    delta = now - last
    if delta > cap:
        return  # idle: the tab was left open
    st.session_state[f"_acc_{kind}"] = st.session_state.get(f"_acc_{kind}", 0.0) + delta
    if st.session_state[f"_acc_{kind}"] >= 30:
        from ...services.learning import record_study_time

        record_study_time(get_app(), actor, kind, st.session_state.pop(f"_acc_{kind}"))


def flash(message: str, kind: str = "success") -> None:
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        getattr(st, kind)(message)
