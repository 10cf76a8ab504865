"""考试: one question at a time (phone-friendly), every choice saved the moment it is made.

A refresh, a closed tab or a restart loses nothing: the page is rebuilt from the database, and the
deadline is the server's.
"""

import time
from datetime import datetime

import streamlit as st

from training_app import clock, qtypes
from training_app.services import campaigns, exams
from training_app.services.common import DatabaseBusy, ServiceError
from training_app.ui.components.common import esc, fmt_dt, fmt_duration, get_app, guard, track_time
from training_app.ui.components.nav import goto
from training_app.vocab import LEARNER_ROLES

actor = guard(*LEARNER_ROLES)
app = get_app()
track_time("exam")


def type_name(qtype: str) -> str:
    return "题" if qtype == "any" else qtypes.type_label(qtype)


def start_screen(campaign_id: int) -> None:
    """Before the clock starts: what the exam is, and a confirm button (the attempt is used only then)."""
    try:
        brief = campaigns.exam_brief(app, actor, campaign_id)
    except ServiceError as exc:
        st.error(esc(str(exc)))
        st.session_state.pop("start_campaign_id", None)
        st.stop()
    st.title(esc(brief.title))
    with st.container(border=True):
        kinds = "、".join(
            f"{type_name(t)} {n} 道（每题 {brief.points.get(t, 1):g} 分）" for t, n in brief.by_type.items()
        )
        st.markdown(f"**题数**　共 {brief.question_count} 道：{kinds}，满分 {brief.total_points:g} 分")
        st.markdown(f"**时长**　{brief.time_limit_minutes} 分钟（截止 {fmt_dt(brief.closes_at)} 前须交卷）")
        used = f"已用 {brief.attempts_started} 次"
        st.markdown(
            f"**可考次数**　{'不限' if not brief.attempts_allowed else f'{brief.attempts_allowed} 次'}（{used}）"
        )
        st.markdown(f"**合格线**　{brief.pass_mark:.0f} 分")
    st.warning("计时开始后不暂停，答案随选随存；刷新页面或断网后重新打开，仍回到本次作答。")
    if not brief.can_start:
        st.info(esc(brief.reason) or "目前不能开始这项考试。")
    c1, c2 = st.columns(2)
    if c1.button("返回", width="stretch", key="start_back"):
        st.session_state.pop("start_campaign_id", None)
        goto("home")
    if brief.can_start and c2.button("确认开始", type="primary", width="stretch", key="start_confirm"):
        try:
            res = exams.start_attempt(app, actor, campaign_id)
        except ServiceError as exc:
            st.error(esc(str(exc)))
            st.stop()
        st.session_state.pop("start_campaign_id", None)
        st.session_state["attempt_id"] = res.attempt_id
        st.rerun()
    st.stop()


attempt_id = st.session_state.get("attempt_id")
if attempt_id is None and st.session_state.get("start_campaign_id"):
    start_screen(int(st.session_state["start_campaign_id"]))
if attempt_id is None:
    attempt_id = exams.open_attempt_for(app, actor)
    if attempt_id is None:
        st.title("考试")
        st.info("您当前没有进行中的考试。请在“我的学习”中开始考试。")
        if st.button("返回我的学习"):
            goto("home")
        st.stop()
    st.session_state["attempt_id"] = attempt_id

cur_key = f"cur_{attempt_id}"
sheet_key = f"sheet_{attempt_id}"
sheet_open_key = f"sheet_open_{attempt_id}"
try:
    # The header and the question on screen in one read (a page load does not build the 80 questions); a new
    # session (a login, a reload) has no question yet and gets the first unanswered one.
    head, first_sheet = exams.exam_page(app, actor, attempt_id, st.session_state.get(cur_key))
    view = None if head.in_progress else exams.attempt_view(app, actor, attempt_id)  # finished: the result
except ServiceError as exc:
    st.error(esc(str(exc)))
    st.session_state.pop("attempt_id", None)
    st.stop()

if view is not None:
    st.title(esc(view.campaign_title))
    st.success(
        f"已交卷。得分 {view.percent:.1f} 分，{'合格' if view.passed else '不合格'}（合格线 {view.pass_mark:.0f} 分）。"
    )
    st.session_state["result_attempt_id"] = attempt_id
    st.session_state.pop("attempt_id", None)
    if st.button("查看成绩与解析", type="primary"):
        goto("results")
    st.stop()

assert first_sheet is not None
st.session_state[cur_key] = first_sheet.current.slot
# What this run read for the question on screen, handed to the fragment below when this whole run calls it (the
# list belongs to this run's module namespace: the fragment's own later runs find it empty and read anew).
_read_this_run = [first_sheet]


# The write lock stayed taken past the busy timeout (an exam-morning peak on SQLite): nothing was written.
BUSY = "系统繁忙，这次选择未能保存，请再选一次。"


def _message(text: str, kind: str = "error") -> None:
    st.session_state["_exam_msg"] = (kind, text)


def _elapsed() -> float:
    shown = st.session_state.get("_q_shown_at")
    return time.monotonic() - shown if shown else 0.0


def save(slot: int, response: str | None) -> None:
    try:
        exams.save_answer(
            app, actor, attempt_id, slot, response, seconds=_elapsed(), client_id=st.session_state.get("_client_id")
        )
    except exams.AnswerRefused as exc:
        _message(str(exc))
    except ServiceError as exc:
        _message(str(exc))
    except DatabaseBusy:
        _message(BUSY)
        _show_stored(slot)
    st.session_state["_q_shown_at"] = time.monotonic()


def _show_stored(slot: int) -> None:
    """After a save that did not happen: the widgets show what is stored again, so choosing again is a change."""
    try:
        current = exams.exam_sheet(app, actor, attempt_id, slot).current
    except (ServiceError, DatabaseBusy):
        return
    key = f"q_{attempt_id}_{slot}"
    if current.type == "multiple":
        for i in range(len(current.options)):
            st.session_state[f"{key}_{i}"] = i in current.chosen
    else:
        st.session_state[key] = current.chosen[0] if current.chosen else None


def _on_screen(slot: int) -> bool:
    """Whether `slot` is the question the last run drew. A widget change for any other question is not a
    person's click (only the question on screen has widgets): a late or forged message naming an old
    question's option must not overwrite that question's answer."""
    return st.session_state.get("_exam_shown") == (attempt_id, slot)


def on_single(slot: int, key: str, order: tuple, qtype: str) -> None:
    shown = st.session_state.get(key)
    if shown is None or not _on_screen(slot):  # a radio cannot be cleared by a click
        return
    save(slot, qtypes.to_canonical(qtype, order, [shown]))


def on_multi(slot: int, prefix: str, n: int, order: tuple) -> None:
    ticks = [st.session_state.get(f"{prefix}_{i}") for i in range(n)]
    if any(t is None for t in ticks) or not _on_screen(slot):  # not all of this question's boxes are on screen
        return
    save(slot, qtypes.to_canonical("multiple", order, [i for i, t in enumerate(ticks) if t]))


def on_flag(slot: int, key: str) -> None:
    if not _on_screen(slot):
        return
    try:
        exams.set_flag(app, actor, attempt_id, slot, bool(st.session_state.get(key)))
    except ServiceError as exc:
        _message(str(exc))
    except DatabaseBusy:
        _message(BUSY)


def go(slot: int) -> None:
    st.session_state[cur_key] = slot
    st.session_state[sheet_key] = slot
    st.session_state["_q_shown_at"] = time.monotonic()
    st.session_state["_scroll_to_question"] = st.session_state.get("_scroll_to_question", 0) + 1


def on_sheet() -> None:
    picked = st.session_state.get(sheet_key)
    if picked is None:  # a tap on the current number deselects it: stay where we are
        st.session_state[sheet_key] = st.session_state[cur_key]
        return
    go(int(picked))
    st.session_state[sheet_open_key] = False  # the sheet folds after a jump: the question is what is shown now


# --- header: title and countdown (drawn once per page load; the countdown runs in the browser) -----
st.html(
    "<style>.st-key-exam_header{position:sticky;top:2.75rem;z-index:991;background:var(--background-color,#fff);"
    "padding:.2rem 0 0}.st-key-exam_header iframe{margin:0}"
    ".st-key-exam_progress{position:sticky;top:4.6rem;z-index:990;background:var(--background-color,#fff);"
    "padding:0 0 .2rem;border-bottom:1px solid #e5e7eb}"
    ".st-key-question{scroll-margin-top:7rem}"
    ".st-key-question label p,.st-key-question [data-testid=stMarkdownContainer] p{font-size:1rem}"
    "</style>"
)  # our own constant CSS: no user or bank text
st.subheader(esc(head.campaign_title))
deadline_local = fmt_dt(head.deadline_at, with_seconds=True)
st.caption(f"第 {head.number} 次作答　截止 {deadline_local}")
with st.container(key="exam_header"):
    st.iframe(
        f"""<div id="cd" style="font:600 17px sans-serif;color:#b42318"></div>
<script>
const end = Date.now() + {head.seconds_left} * 1000;
function tick() {{
  const s = Math.max(0, Math.round((end - Date.now()) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  document.getElementById('cd').textContent = s > 0
    ? '剩余时间 ' + (h ? h + ':' : '') + String(m).padStart(2, '0') + ':' + String(r).padStart(2, '0')
    : '时间已到，按已保存的答案评分';
}}
tick(); setInterval(tick, 1000);
</script>""",
        height=28,
    )  # numbers only, made here: no user or bank text goes into this frame


@st.fragment(run_every=30)
def deadline_watch(deadline: datetime) -> None:
    if clock.utcnow() >= deadline:
        st.rerun(scope="app")


deadline_watch(head.deadline_at)


@st.fragment
def exam_body() -> None:
    """The question, the moves and the answer sheet: an answer or a move reruns only this fragment (not the title,
    the countdown or the submit area), and the answer sheet is one widget, not 80 buttons."""
    # read anew on every run of the fragment alone: the question on screen and each question's state, nothing more
    # (in a whole run of the page, the read above, made after this run's callbacks)
    fresh = _read_this_run.pop() if _read_this_run else None
    if fresh is None or fresh.current.slot != st.session_state[cur_key]:
        fresh = exams.exam_sheet(app, actor, attempt_id, st.session_state[cur_key])
    if not fresh.in_progress or fresh.seconds_left <= 0:
        st.rerun(scope="app")  # handed in elsewhere, or time is up: the whole page shows the result
    total = fresh.total
    qv = fresh.current
    cur = qv.slot
    with st.container(key="exam_progress"):
        st.markdown(
            f"**已答 {fresh.answered}/{total}**　第 {cur} 题　未答 {len(fresh.unanswered_slots)}　"
            f"标记 {len(fresh.flagged_slots)}"
        )
    msg = st.session_state.pop("_exam_msg", None)
    if msg:
        getattr(st, msg[0])(esc(msg[1]))
    # when this browser session opened the attempt: a reload (a new session) is not "another device"
    opened_at = st.session_state.setdefault(f"_opened_at_{attempt_id}", clock.utcnow())
    if fresh.answered_elsewhere(st.session_state.get("_client_id"), clock.utcnow(), since=opened_at):
        st.warning(
            "本场考试正在其他设备或浏览器窗口上作答（最近的答案来自那里）。两处的答案都会保存，以最后一次选择为准；"
            "请只在一处作答。"
        )

    st.session_state.setdefault("_q_shown_at", time.monotonic())
    st.session_state["_exam_shown"] = (attempt_id, qv.slot)
    with st.container(border=True, key="question"):
        st.markdown(f"**第 {qv.slot} 题**　{qv.type_label}（{qv.points:g} 分）")
        st.markdown(esc(qv.stem))
        spec_order = exams.slot_order(app, attempt_id, qv.slot)
        key = f"q_{attempt_id}_{qv.slot}"
        if qv.type != "multiple":
            labels = [qtypes.option_label(qv.type, i, o) for i, o in enumerate(qv.options)]
            st.radio(
                "请选择一个答案",
                list(range(len(labels))),
                format_func=lambda i: esc(labels[i]),
                index=qv.chosen[0] if qv.chosen else None,
                key=key,
                label_visibility="collapsed",
                on_change=on_single,
                args=(qv.slot, key, spec_order, qv.type),
            )
        else:
            st.caption("多选题：请选择所有正确的答案")
            for i, o in enumerate(qv.options):
                st.checkbox(
                    esc(qtypes.option_label(qv.type, i, o)),
                    value=i in qv.chosen,
                    key=f"{key}_{i}",
                    on_change=on_multi,
                    args=(qv.slot, key, len(qv.options), spec_order),
                )
        st.toggle(
            "★ 标记本题，稍后检查",
            value=qv.flagged,
            key=f"flag_{attempt_id}_{qv.slot}",
            on_change=on_flag,
            args=(qv.slot, f"flag_{attempt_id}_{qv.slot}"),
        )

    c1, c2 = st.columns(2)
    c1.button("← 上一题", disabled=cur <= 1, width="stretch", on_click=go, args=(cur - 1,))
    c2.button("下一题 →", disabled=cur >= total, width="stretch", on_click=go, args=(cur + 1,), type="primary")

    # The answer sheet: one widget (st.pills) whose options carry each question's state in words, drawn only
    # while its expander is open (its 80 options were a fifth of the server's time when drawn on every click).
    # The expander's label stays the same (it is part of the expander's identity: a label that changed with each
    # answer would fold the sheet); the counts are in the progress line above.
    sheet = st.expander("答题卡（点开查看各题作答情况，点题号跳转）", key=sheet_open_key, on_change="rerun")
    with sheet:
        if sheet.open:
            marks = {
                s: ("√" if s in fresh.answered_slots else "") + ("★" if s in fresh.flagged else "")
                for s in range(1, total + 1)
            }
            st.session_state[sheet_key] = cur
            st.caption("题号后 √ = 已答，★ = 已标记待检查，无符号 = 未答；当前题为选中状态。")
            st.pills(
                "答题卡",
                list(range(1, total + 1)),
                format_func=lambda s: f"{s}{marks[s]}",
                selection_mode="single",
                key=sheet_key,
                on_change=on_sheet,
                label_visibility="collapsed",
            )

    if st.session_state.get("_scroll_to_question"):
        # after 下一题 / 上一题 / a jump from the sheet, bring the question (not the old scroll position) into view
        st.iframe(
            f"""<script>/* move {st.session_state["_scroll_to_question"]} */
const el = window.parent.document.querySelector('.st-key-question');
if (el) el.scrollIntoView({{block: 'start'}});
</script>""",
            height=1,
        )


exam_body()


@st.dialog("确认交卷")
def confirm_submit() -> None:
    fresh = exams.exam_sheet(app, actor, attempt_id, st.session_state[cur_key])  # one row, not 80 question views
    if fresh.unanswered_slots:
        st.warning(
            f"还有 {len(fresh.unanswered_slots)} 题未作答：第 " + "、".join(map(str, fresh.unanswered_slots)) + " 题"
        )
    else:
        st.write("全部题目均已作答。")
    if fresh.flagged_slots:
        st.info("已标记待检查：第 " + "、".join(map(str, fresh.flagged_slots)) + " 题")
    st.write("交卷后不能再修改答案。")
    if st.button("确认交卷", type="primary", key="confirm_submit"):
        try:
            result = exams.submit_attempt(app, actor, attempt_id)
        except DatabaseBusy:
            st.error("系统繁忙，交卷未完成（答案均已保存）。请再点一次“确认交卷”。")
            st.stop()
        st.session_state["result_attempt_id"] = attempt_id
        st.session_state.pop("attempt_id", None)
        st.session_state["_last_result"] = (result.percent, result.passed, result.already_finished)
        goto("results")


st.divider()
if st.button("交卷", type="primary", width="stretch", key="submit"):
    confirm_submit()
st.caption(f"开始于 {fmt_dt(head.started_at)}　剩余约 {fmt_duration(head.seconds_left)}")
