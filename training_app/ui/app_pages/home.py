"""我的学习: assigned exams with what to do next (start, continue, retake), reviews due today, study hours."""

import streamlit as st

from training_app.services import campaigns, learning
from training_app.ui.components.common import esc, fmt_dt, get_app, guard, show_flash
from training_app.ui.components.nav import goto
from training_app.vocab import ASSIGNMENT_STATUS_LABELS, LEARNER_ROLES

actor = guard(*LEARNER_ROLES)
app = get_app()
st.title("我的学习")
show_flash()


def open_start_screen(campaign_id: int) -> None:
    st.session_state["start_campaign_id"] = campaign_id
    st.session_state.pop("attempt_id", None)
    goto("exam")


exams = campaigns.my_exams(app, actor)
in_progress = [e for e in exams if e.open_attempt_id]
if in_progress:
    e = in_progress[0]
    st.warning(f"您有正在进行的考试：{esc(e.title)}（计时未停，答案已保存）")
    if st.button("继续作答", type="primary", width="stretch", key="resume"):
        st.session_state["attempt_id"] = e.open_attempt_id
        goto("exam")

st.subheader("我的考试")
if not exams:
    status = campaigns.my_cert_status(app, actor)
    if status and status != "有效":
        st.info(f"您的执法证状态为 {status}，不在本次考试范围内，请联系培训管理员。")
    else:
        st.info("目前没有分配给您的考试。")
for e in exams:
    with st.container(border=True):
        st.markdown(f"**{esc(e.title)}**")
        if e.passed:
            headline = "已合格"
        elif e.open_attempt_id:
            headline = ASSIGNMENT_STATUS_LABELS[e.status]  # 进行中
        elif e.failed:
            headline = "未合格"
        else:
            headline = ASSIGNMENT_STATUS_LABELS[e.status]
        cols = st.columns(3)
        cols[0].metric("状态", headline)
        cols[1].metric("最好成绩" if e.grade is not None else "成绩", f"{e.grade:.1f}" if e.grade is not None else "—")
        cols[2].metric("已用次数", f"{e.attempts_started}/{e.attempts_allowed or '不限'}")
        st.caption(
            f"开放时间 {fmt_dt(e.opens_at)} 至 {fmt_dt(e.closes_at)}　限时 {e.time_limit_minutes} 分钟　"
            f"合格线 {e.pass_mark:.0f} 分"
        )
        if e.open_attempt_id:
            continue  # the one 继续作答 button is at the top of the page
        left = "不限次数" if e.attempts_left is None else f"{e.attempts_left} 次"
        if e.failed and e.can_start:
            st.warning(f"未合格，还可考 {left}（截止 {fmt_dt(e.closes_at)}）")
            if st.button("再考一次", key=f"start_{e.campaign_id}", type="primary"):
                open_start_screen(e.campaign_id)
        elif e.failed:
            st.caption(f"未合格。{esc(e.reason)}" if e.reason else "未合格。")
        elif e.passed:
            st.success(
                f"已合格（合格线 {e.pass_mark:.0f} 分）。" + (f"还可考 {left}，以最好成绩计。" if e.can_start else "")
            )
            if e.can_start and st.button("再考一次（可选）", key=f"start_{e.campaign_id}"):
                open_start_screen(e.campaign_id)
        elif e.can_start:
            if st.button("开始考试", key=f"start_{e.campaign_id}", type="primary"):
                open_start_screen(e.campaign_id)
        elif e.reason:
            st.caption(esc(e.reason))

st.subheader("今日复习")
due = learning.count_due_reviews(app, actor)
c1, c2 = st.columns([3, 1])
c1.write(f"错题本中今日待复习 {due} 题。" if due else "今天没有需要复习的错题。")
if due and c2.button("去复习", key="go_review"):
    goto("review")

st.subheader("本年度学时")
hours = learning.study_hours(app, actor)
st.progress(hours.ratio, text=f"{hours.hours:.1f} / {hours.target:.0f} 学时")
st.caption("　".join(f"{learning.KIND_LABELS[k]} {v:.1f} 学时" for k, v in hours.by_kind.items()))
