"""错题本: today's FSRS reviews; a card answered right is scheduled further out."""

import streamlit as st

from training_app import qtypes
from training_app.services import learning
from training_app.ui.components.common import esc, fmt_dt, get_app, guard, track_time
from training_app.ui.components.quiz import run_quiz, show_option_feedback, show_sources, start_quiz
from training_app.vocab import LEARNER_ROLES

actor = guard(*LEARNER_ROLES)
app = get_app()
track_time("practice")
st.title("错题本")

PREFIX = "review_run"
if PREFIX in st.session_state:
    st.caption(f"今日待复习 {learning.count_due_reviews(app, actor)} 题")  # falls with each question reviewed
    run_quiz(PREFIX, "review")
    if st.button("结束复习", key="end_review"):
        del st.session_state[PREFIX]
        st.rerun()
    st.stop()

due = learning.due_reviews(app, actor)
st.subheader("今日复习")
if due:
    st.write(f"今日待复习 {len(due)} 题。")
    if st.button("开始复习", type="primary"):
        start_quiz(PREFIX, due)
        st.rerun()
else:
    st.success("今天没有需要复习的错题。")

st.caption("错题本收录练习和考试中答错的题目；考试中未作答的题目不算错题，不收录。")

book = learning.review_book(app, actor)
st.subheader(f"全部错题（{len(book)}）")
for row in book[:200]:
    stem = row["stem"] if len(row["stem"]) <= 40 else row["stem"][:40] + "…"
    with st.expander(f"{esc(row['law'])}：{esc(stem)}"):
        st.markdown(esc(row["stem"]))
        keys = list(qtypes.option_keys(row["type"], len(row["options"])))
        show_option_feedback(row["type"], row["options"], keys, row["answer"], "")
        st.markdown("**解析**　" + esc(row["explanation"]))
        show_sources(row["sources"])
        st.caption(f"下次复习 {fmt_dt(row['due_at'])}，已复习 {row['reviews']} 次")
