"""学法: per must-know law, its key articles (the quotes the bank cites), with a 已学 mark."""

import streamlit as st

from training_app.services import learning
from training_app.ui.components.common import esc, get_app, guard, study_heartbeat
from training_app.vocab import LEARNER_ROLES

actor = guard(*LEARNER_ROLES)
app = get_app()
st.title("学法")
st.caption("应知应会法律法规的重点条文。本页打开期间的阅读时间计入学时（离开本页、锁屏不计）。")
study_heartbeat("reading")

laws = [law for law in learning.must_know_for(app, actor) if app.bank.by_law.get(law.slug)]
slug = st.selectbox(
    "法律法规", [x.slug for x in laws], format_func=lambda s: f"{app.bank.laws[s].title}（{app.bank.laws[s].category}）"
)
law = app.bank.laws[slug]
st.caption(f"现行版本：{esc(law.version)}")
cards = learning.law_articles(app, actor, slug)
done = sum(1 for c in cards if c.studied)
st.progress(done / len(cards) if cards else 0.0, text=f"已学 {done} / {len(cards)} 条")


def toggle(locator: str, key: str) -> None:
    learning.set_studied(app, actor, slug, locator, bool(st.session_state.get(key)))


for c in cards:
    with st.container(border=True):
        st.markdown(f"**{esc(law.display)}{esc(c.heading)}**")
        for quote in c.quotes:
            st.markdown("> " + esc(quote))
        key = f"studied_{slug}_{c.locator}"
        st.checkbox("已学", value=c.studied, key=key, on_change=toggle, args=(c.locator, key))
