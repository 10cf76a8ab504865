"""我的学习: assigned exams with status, reviews due today, study hours, resume an exam in progress."""

import streamlit as st

from training_app.services import campaigns, learning
from training_app.services.common import ServiceError
from training_app.services import exams as exam_service
from training_app.services.exams import start_attempt
from training_app.ui.components.common import esc, fmt_dt, get_app, guard, show_flash
from training_app.ui.components.nav import goto

actor = guard("officer", "leader")
app = get_app()
st.title("我的学习")
show_flash()

exams = campaigns.my_exams(app, actor)
in_progress = [e for e in exams if e.open_attempt_id]
if in_progress:
    e = in_progress[0]
    st.warning(f"您有正在进行的考试：{esc(e.title)}")
    if st.button("继续作答", type="primary", width="stretch", key="resume"):
        st.session_state["attempt_id"] = e.open_attempt_id
        goto("exam")

st.subheader("我的考试")
if not exams:
    st.info("目前没有分配给您的考试。")
for e in exams:
    with st.container(border=True):
        st.markdown(f"**{esc(e.title)}**")
        cols = st.columns(3)
        cols[0].metric("状态", e.status)
        cols[1].metric("最好成绩" if e.grade is not None else "成绩", f"{e.grade:.1f}" if e.grade is not None else "—")
        cols[2].metric("已用次数", f"{e.attempts_started}/{e.attempts_allowed or '不限'}")
        st.caption(f"开放时间 {fmt_dt(e.opens_at)} 至 {fmt_dt(e.closes_at)}　限时 {e.time_limit_minutes} 分钟"
                   + ("　✅ 已合格" if e.passed else ""))
        if e.open_attempt_id:
            if st.button("继续作答", key=f"resume_{e.campaign_id}"):
                st.session_state["attempt_id"] = e.open_attempt_id
                goto("exam")
        elif e.can_start:
            if st.button("开始考试" if e.attempts_started == 0 else "再考一次", key=f"start_{e.campaign_id}", type="primary"):
                try:
                    res = start_attempt(app, actor, e.campaign_id)
                except ServiceError as exc:
                    st.error(esc(str(exc)))
                else:
                    st.session_state["attempt_id"] = res.attempt_id
                    goto("exam")
        elif e.reason and e.status != "已完成":
            st.caption(esc(e.reason))

st.subheader("今日复习")
exam_service.sync_exam_cards(app, actor)
due = learning.count_due_reviews(app, actor)
c1, c2 = st.columns([3, 1])
c1.write(f"错题本中今天需要复习 {due} 题。" if due else "今天没有需要复习的错题。")
if due and c2.button("去复习", key="go_review"):
    goto("review")

st.subheader("本年度学时")
hours = learning.study_hours(app, actor)
st.progress(hours.ratio, text=f"{hours.hours:.1f} / {hours.target:.0f} 学时")
st.caption("　".join(f"{learning.KIND_LABELS[k]} {v:.1f} 学时" for k, v in hours.by_kind.items()))
