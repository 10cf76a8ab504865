"""Shared widgets of the coordinator's pages."""

from __future__ import annotations

import streamlit as st

from ...services import campaigns as campaign_service
from ...services import dashboard as dashboard_service
from ...services.figures import pct_text, score_text
from ...vocab import CAMPAIGN_STATUS_LABELS
from .common import fmt_dt, get_app


def _from_query() -> int | None:
    try:
        raw = st.query_params.get("campaign")
    except Exception:  # noqa: BLE001 - no browser context
        return None
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def pick_campaign(actor, key: str = "campaign_id"):
    """A campaign selector remembered across the coordinator's pages (session state, and `?campaign=` in the
    address so a bookmark or a reload keeps it); it first opens on the largest open campaign of officers.
    None when there is none."""
    app = get_app()
    items = campaign_service.campaign_choices(app, actor)
    if not items:
        st.info("还没有已发布的培训任务。请先在“培训任务”中创建并发布。")
        return None
    ids = [c.id for c in items]
    labels = {c.id: f"{c.title}（{CAMPAIGN_STATUS_LABELS[c.status]}，截止 {fmt_dt(c.closes_at)}）" for c in items}
    current = st.session_state.get("_campaign_pick")
    if current not in ids:
        current = _from_query()
    if current not in ids:
        current = dashboard_service.default_campaign(app, actor, items)
    if st.session_state.get(key) not in ids:
        st.session_state.pop(key, None)
    choice = st.selectbox("培训任务", ids, index=ids.index(current), format_func=lambda i: labels[i], key=key)
    st.session_state["_campaign_pick"] = choice
    try:
        if st.query_params.get("campaign") != str(choice):
            st.query_params["campaign"] = str(choice)
    except Exception:  # noqa: BLE001 - no browser context
        pass
    return next(c for c in items if c.id == choice)


def pct(x: float | None) -> str:
    """0.653 → 65.3% (the one rounding rule of services/figures.py); no value → —."""
    return pct_text(x)


def score(x: float | None) -> str:
    return score_text(x)
