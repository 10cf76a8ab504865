"""Shared widgets of the coordinator's pages."""

from __future__ import annotations

import streamlit as st

from ...services import campaigns as campaign_service
from ...store.models import CAMPAIGN_STATUS_LABELS
from .common import fmt_dt, get_app


def pick_campaign(actor, key: str = "campaign_id"):
    """A campaign selector remembered across the coordinator's pages; None when there is none."""
    items = [c for c in campaign_service.list_campaigns(get_app(), actor) if c.status != "draft"]
    if not items:
        st.info("还没有已发布的培训任务。请先在“培训任务”中创建并发布。")
        return None
    ids = [c.id for c in items]
    labels = {c.id: f"{c.title}（{CAMPAIGN_STATUS_LABELS[c.status]}，截止 {fmt_dt(c.closes_at)}）" for c in items}
    current = st.session_state.get("_campaign_pick")
    choice = st.selectbox("培训任务", ids, index=ids.index(current) if current in ids else 0,
                          format_func=lambda i: labels[i], key=key)
    st.session_state["_campaign_pick"] = choice
    return next(c for c in items if c.id == choice)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"
