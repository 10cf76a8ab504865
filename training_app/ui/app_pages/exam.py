"""考试: one question at a time (phone-friendly), every choice saved the moment it is made.

A refresh, a closed tab or a restart loses nothing: the page is rebuilt from the database, and the
deadline is the server's.
"""

import time
from datetime import datetime

import streamlit as st

from training_app.engine import deadlines, scoring
from training_app.services import exams
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, fmt_dt, fmt_duration, get_app, guard, track_time
from training_app.ui.components.nav import goto

LETTERS = "ABCDEF"
actor = guard("officer", "leader")
app = get_app()
track_time("exam")

attempt_id = st.session_state.get("attempt_id")
if attempt_id is None:
    attempt_id = exams.open_attempt_for(app, actor)
    if attempt_id is None:
        st.title("考试")
        st.info("您当前没有进行中的考试。请在“我的学习”中开始考试。")
        if st.button("返回我的学习"):
            goto("home")
        st.stop()
    st.session_state["attempt_id"] = attempt_id

try:
    view = exams.attempt_view(app, actor, attempt_id)
except ServiceError as exc:
    st.error(esc(str(exc)))
    st.session_state.pop("attempt_id", None)
    st.stop()

if view.state != "in_progress":
    st.title(esc(view.campaign_title))
    st.success(f"已交卷。得分 {view.percent:.1f} 分，{'合格' if view.passed else '不合格'}（合格线 {view.pass_mark:.0f} 分）。")
    st.session_state["result_attempt_id"] = attempt_id
    st.session_state.pop("attempt_id", None)
    if st.button("查看成绩与解析", type="primary"):
        goto("results")
    st.stop()

cur_key = f"cur_{attempt_id}"
if cur_key not in st.session_state:
    st.session_state[cur_key] = view.unanswered_slots[0] if view.unanswered_slots else 1
cur = min(max(1, st.session_state[cur_key]), len(view.questions))
qv = view.questions[cur - 1]


def _message(text: str, kind: str = "error") -> None:
    st.session_state["_exam_msg"] = (kind, text)


def _elapsed() -> float:
    shown = st.session_state.get("_q_shown_at")
    return time.monotonic() - shown if shown else 0.0


def save(slot: int, response: str | None) -> None:
    try:
        exams.save_answer(app, actor, attempt_id, slot, response, seconds=_elapsed(),
                          client_id=st.session_state.get("_client_id"))
    except exams.AnswerRefused as exc:
        _message(str(exc))
    except ServiceError as exc:
        _message(str(exc))
    st.session_state["_q_shown_at"] = time.monotonic()


def on_single(slot: int, key: str, order: tuple, qtype: str) -> None:
    shown = st.session_state.get(key)
    if shown is None:
        save(slot, None)
    elif qtype == "judge":
        save(slot, "T" if shown == 0 else "F")
    else:
        save(slot, scoring.display_to_canonical(order, [shown]))


def on_multi(slot: int, prefix: str, n: int, order: tuple) -> None:
    chosen = [i for i in range(n) if st.session_state.get(f"{prefix}_{i}")]
    save(slot, scoring.display_to_canonical(order, chosen) if chosen else None)


def on_flag(slot: int, key: str) -> None:
    try:
        exams.set_flag(app, actor, attempt_id, slot, bool(st.session_state.get(key)))
    except ServiceError as exc:
        _message(str(exc))


def go(slot: int) -> None:
    st.session_state[cur_key] = slot
    st.session_state["_q_shown_at"] = time.monotonic()


# --- header: title, countdown, progress ----------------------------------------------------------
st.subheader(esc(view.campaign_title))
deadline_local = fmt_dt(view.deadline_at, with_seconds=True)
st.caption(f"第 {view.number} 次作答　截止 {deadline_local}　已答 {view.answered}/{len(view.questions)}")
st.iframe(
    f"""<div id="cd" style="font:600 20px sans-serif;color:#b42318"></div>
<script>
const end = Date.now() + {view.seconds_left} * 1000;
function tick() {{
  const s = Math.max(0, Math.round((end - Date.now()) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  document.getElementById('cd').textContent = s > 0
    ? '剩余时间 ' + (h ? h + ':' : '') + String(m).padStart(2, '0') + ':' + String(r).padStart(2, '0')
    : '考试时间已到，系统将按已保存的答案评分';
}}
tick(); setInterval(tick, 1000);
</script>""",
    height=34,
)  # numbers only, made here: no user or bank text goes into this frame


@st.fragment(run_every=30)
def deadline_watch(deadline: datetime) -> None:
    if deadlines.is_past(deadline):
        st.rerun(scope="app")


deadline_watch(view.deadline_at)

msg = st.session_state.pop("_exam_msg", None)
if msg:
    getattr(st, msg[0])(msg[1])

# --- the question ----------------------------------------------------------------------------------
st.session_state.setdefault("_q_shown_at", time.monotonic())
with st.container(border=True):
    st.markdown(f"**第 {qv.slot} 题**　{qv.type_label}（{qv.points:g} 分）")
    st.markdown(esc(qv.stem))
    spec_order = exams.slot_order(app, attempt_id, qv.slot)
    key = f"q_{attempt_id}_{qv.slot}"
    if qv.type in ("single", "judge"):
        labels = qv.options if qv.type == "judge" else [f"{LETTERS[i]}. {o}" for i, o in enumerate(qv.options)]
        st.radio("请选择一个答案", list(range(len(labels))), format_func=lambda i: esc(labels[i]),
                 index=qv.chosen[0] if qv.chosen else None, key=key, label_visibility="collapsed",
                 on_change=on_single, args=(qv.slot, key, spec_order, qv.type))
    else:
        st.caption("多选题：请选择所有正确的答案")
        for i, o in enumerate(qv.options):
            st.checkbox(f"{LETTERS[i]}. {esc(o)}", value=i in qv.chosen, key=f"{key}_{i}",
                        on_change=on_multi, args=(qv.slot, key, len(qv.options), spec_order))
    st.toggle("🚩 标记本题，稍后检查", value=qv.flagged, key=f"flag_{attempt_id}_{qv.slot}",
              on_change=on_flag, args=(qv.slot, f"flag_{attempt_id}_{qv.slot}"))

c1, c2 = st.columns(2)
c1.button("← 上一题", disabled=cur <= 1, width="stretch", on_click=go, args=(cur - 1,))
c2.button("下一题 →", disabled=cur >= len(view.questions), width="stretch", on_click=go, args=(cur + 1,),
          type="primary")

# --- answer sheet --------------------------------------------------------------------------------
with st.expander(f"答题卡（已答 {view.answered}，未答 {len(view.unanswered_slots)}，标记 {len(view.flagged_slots)}）",
                 expanded=False):
    st.caption("✅ 已答　⬜ 未答　🚩 已标记；点题号跳转")
    with st.container(horizontal=True):  # wraps on a phone instead of stacking 80 full-width buttons
        for q in view.questions:
            mark = "🚩" if q.flagged else ("✅" if q.chosen else "⬜")
            st.button(f"{q.slot}{mark}", key=f"sheet_{attempt_id}_{q.slot}", on_click=go, args=(q.slot,),
                      type="primary" if q.slot == cur else "secondary")


@st.dialog("确认交卷")
def confirm_submit() -> None:
    fresh = exams.attempt_view(app, actor, attempt_id)
    if fresh.unanswered_slots:
        st.warning(f"还有 {len(fresh.unanswered_slots)} 题未作答：第 " + "、".join(map(str, fresh.unanswered_slots)) + " 题")
    else:
        st.write("全部题目均已作答。")
    if fresh.flagged_slots:
        st.info("已标记待检查：第 " + "、".join(map(str, fresh.flagged_slots)) + " 题")
    st.write("交卷后不能再修改答案。")
    if st.button("确认交卷", type="primary", key="confirm_submit"):
        result = exams.submit_attempt(app, actor, attempt_id)
        st.session_state["result_attempt_id"] = attempt_id
        st.session_state.pop("attempt_id", None)
        st.session_state["_last_result"] = (result.percent, result.passed, result.already_finished)
        goto("results")


st.divider()
if st.button("交卷", type="primary", width="stretch", key="submit"):
    confirm_submit()
st.caption(f"开始于 {fmt_dt(view.started_at)}　剩余约 {fmt_duration(view.seconds_left)}")
