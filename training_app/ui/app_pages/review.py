"""错题本: today's FSRS reviews; a card answered right is scheduled further out."""

import streamlit as st

from training_app.services import exams, learning
from training_app.ui.components.common import esc, fmt_dt, get_app, guard, track_time
from training_app.ui.components.quiz import run_quiz, start_quiz

actor = guard("officer", "leader")
app = get_app()
track_time("practice")
st.title("错题本")

PREFIX = "review_run"
if PREFIX in st.session_state:
    run_quiz(PREFIX, "review")
    if st.button("结束复习", key="end_review"):
        del st.session_state[PREFIX]
        st.rerun()
    st.stop()

exams.sync_exam_cards(app, actor)
due = learning.due_reviews(app, actor)
st.subheader("今日复习")
if due:
    st.write(f"今天有 {len(due)} 道错题需要复习。")
    if st.button("开始复习", type="primary"):
        start_quiz(PREFIX, due)
        st.rerun()
else:
    st.success("今天没有需要复习的错题。")

book = learning.review_book(app, actor)
st.subheader(f"全部错题（{len(book)}）")
for row in book[:200]:
    st.markdown(f"- {esc(row['law'])}：{esc(row['stem'][:60])}…　下次复习 {fmt_dt(row['due_at'])}，"
                f"已复习 {row['reviews']} 次")
