"""练习: by law (must-know list), by enforcement practice topic, or 我的薄弱点; marked at once."""

import streamlit as st

from training_app.services import learning
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, get_app, guard, track_time
from training_app.ui.components.quiz import run_quiz, start_quiz
from training_app.vocab import LEARNER_ROLES

actor = guard(*LEARNER_ROLES)
app = get_app()
track_time("practice")
st.title("练习")
st.caption("练习即时判分并给出解析和法律依据，不计入考试成绩；答错的题目自动进入错题本。")

PREFIX = "practice_run"
if PREFIX in st.session_state:
    run_quiz(PREFIX, "practice")
    if st.button("结束本组练习", key="end_practice"):
        del st.session_state[PREFIX]
        st.rerun()
    st.stop()

mode = st.radio("练习范围", ["按法律法规", "按执法实务专题", "我的薄弱点"], horizontal=True)
law = topic = None
if mode == "按法律法规":
    laws = [law for law in learning.must_know_for(app, actor) if app.bank.by_law.get(law.slug)]
    law = st.selectbox("法律法规", [x.slug for x in laws], format_func=lambda s: app.bank.laws[s].title)
elif mode == "按执法实务专题":
    topic = st.selectbox("专题", [t for t in app.bank.topics if app.bank.by_topic.get(t)])
else:
    weak = learning.weak_laws(app, actor)
    if weak:
        st.write(
            "您正确率最低的法律法规："
            + "，".join(f"{app.bank.laws[w[0]].display}（{w[1]:.0%}，{w[2]} 题）" for w in weak)
        )
n = st.select_slider("题数", options=[5, 10, 20, 30], value=10)
if st.button("开始练习", type="primary"):
    try:
        ids = learning.practice_set(app, actor, law=law, topic=topic, weak=mode == "我的薄弱点", n=n)
    except ServiceError as exc:
        st.error(esc(str(exc)))
    else:
        start_quiz(PREFIX, ids)
        st.rerun()
