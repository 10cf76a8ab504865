"""The floor of the load test: a bare Streamlit page with the exam page's widgets and one SQLite upsert per answer.

It draws what ui/app_pages/exam.py draws, in the same shape (a title, the countdown frame, a 30-second deadline
fragment; one fragment holding the progress line, the question with a radio, the flag toggle, ← 上一题 / 下一题 →
and the answer sheet as one st.pills in an expander drawn only while open; 交卷 with its confirmation dialog) from
80 questions held in memory, and writes each answer with one upsert into its own SQLite file (WAL, busy_timeout), as
the app does. No login, no bank, no services: whatever the app costs above this page is ours.

    FLOOR_DB=/tmp/floor.db streamlit run benchmarks/floor_page.py --server.port 8632

`training-app loadtest --floor` starts it on a free port and drives it with the same sessions.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time

import streamlit as st

DB = os.environ.get("FLOOR_DB", "floor.db")
N = 80
LETTERS = "ABCDEF"


@st.cache_resource
def _schema() -> bool:
    con = sqlite3.connect(DB, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript("""
        CREATE TABLE IF NOT EXISTS floor_attempt (id INTEGER PRIMARY KEY, started_at REAL, state TEXT);
        CREATE TABLE IF NOT EXISTS floor_answer (attempt_id INTEGER, slot INTEGER, response TEXT, saved_at REAL,
                                                 UNIQUE (attempt_id, slot));
    """)
    con.close()
    return True


@st.cache_resource
def _questions() -> list[tuple[str, list[str]]]:
    rng = random.Random(7)
    words = "行政机关应当依法作出处罚决定当事人有权陈述申辩听证复议诉讼期限送达证据程序执法"
    return [
        (
            f"第{i}条规定的情形下，" + "".join(rng.choice(words) for _ in range(40)) + "（ ）。",
            ["".join(rng.choice(words) for _ in range(14)) for _ in range(4)],
        )
        for i in range(1, N + 1)
    ]


def _db() -> sqlite3.Connection:
    con = sqlite3.connect(DB, timeout=30, isolation_level=None)
    con.execute("PRAGMA busy_timeout=30000")
    return con


_schema()
questions = _questions()
ss = st.session_state
if "attempt" not in ss:
    con = _db()
    try:
        ss["attempt"] = con.execute(
            "INSERT INTO floor_attempt (started_at, state) VALUES (?, 'in_progress')", (time.time(),)
        ).lastrowid
    finally:
        con.close()
    ss["answers"], ss["flags"], ss["cur"], ss["ends"] = {}, set(), 1, time.time() + 3600
attempt = ss["attempt"]


def save(slot: int, key: str) -> None:
    shown = ss.get(key)
    response = None if shown is None else LETTERS[shown]
    con = _db()
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "INSERT INTO floor_answer (attempt_id, slot, response, saved_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (attempt_id, slot) DO UPDATE SET response = excluded.response, "
            "saved_at = excluded.saved_at",
            (attempt, slot, response, time.time()),
        )
        con.execute("COMMIT")
    finally:
        con.close()
    if response is None:
        ss["answers"].pop(slot, None)
    else:
        ss["answers"][slot] = response


def flag(slot: int, key: str) -> None:
    (ss["flags"].add if ss.get(key) else ss["flags"].discard)(slot)


def go(slot: int) -> None:
    ss["cur"] = slot


if ss.get("finished"):
    st.subheader("已交卷")
    st.success(f"已交卷，已答 {len(ss['answers'])} 题。")
    st.stop()

left = int(ss["ends"] - time.time())
st.html(
    "<style>.st-key-exam_header{position:sticky;top:2.75rem;z-index:991}"
    ".st-key-exam_progress{position:sticky;top:4.6rem;z-index:990}</style>"
)
st.subheader("基准页面：与考试页相同的控件")
st.caption("第 1 次作答　截止 —")
with st.container(key="exam_header"):
    st.iframe(
        f"<div id='cd'></div><script>const end = Date.now() + {left} * 1000;"
        "setInterval(() => document.getElementById('cd').textContent = Math.round((end - Date.now()) / 1000),"
        " 1000);</script>",
        height=28,
    )


@st.fragment(run_every=30)
def deadline_watch(ends: float) -> None:
    if time.time() > ends:
        st.rerun(scope="app")


deadline_watch(ss["ends"])


def on_sheet() -> None:
    picked = ss.get(f"sheet_{attempt}")
    if picked is not None:
        go(int(picked))
        ss[f"sheet_open_{attempt}"] = False


@st.fragment
def exam_body() -> None:
    """As the exam page: the question, the moves and the answer sheet (one st.pills) rerun as one fragment."""
    cur = ss["cur"]
    stem, options = questions[cur - 1]
    with st.container(key="exam_progress"):
        st.markdown(
            f"**已答 {len(ss['answers'])}/{N}**　第 {cur} 题　未答 {N - len(ss['answers'])}　标记 {len(ss['flags'])}"
        )
    with st.container(border=True, key="question"):
        st.markdown(f"**第 {cur} 题**　单选题（1 分）")
        st.markdown(stem)
        key = f"q_{attempt}_{cur}"
        chosen = ss["answers"].get(cur)
        st.radio(
            "请选择一个答案",
            list(range(4)),
            format_func=lambda i: f"{LETTERS[i]}. {options[i]}",
            index=LETTERS.index(chosen) if chosen else None,
            key=key,
            label_visibility="collapsed",
            on_change=save,
            args=(cur, key),
        )
        st.toggle(
            "★ 标记本题，稍后检查",
            value=cur in ss["flags"],
            key=f"flag_{attempt}_{cur}",
            on_change=flag,
            args=(cur, f"flag_{attempt}_{cur}"),
        )

    c1, c2 = st.columns(2)
    c1.button("← 上一题", disabled=cur <= 1, width="stretch", on_click=go, args=(cur - 1,))
    c2.button("下一题 →", disabled=cur >= N, width="stretch", on_click=go, args=(cur + 1,), type="primary")

    sheet = st.expander("答题卡（点开查看各题作答情况，点题号跳转）", key=f"sheet_open_{attempt}", on_change="rerun")
    with sheet:
        if sheet.open:
            marks = {
                s: ("√" if s in ss["answers"] else "") + ("★" if s in ss["flags"] else "") for s in range(1, N + 1)
            }
            ss[f"sheet_{attempt}"] = cur
            st.caption("题号后 √ = 已答，★ = 已标记待检查，无符号 = 未答；当前题为选中状态。")
            st.pills(
                "答题卡",
                list(range(1, N + 1)),
                format_func=lambda s: f"{s}{marks[s]}",
                selection_mode="single",
                key=f"sheet_{attempt}",
                on_change=on_sheet,
                label_visibility="collapsed",
            )


exam_body()


@st.dialog("确认交卷")
def confirm_submit() -> None:
    st.write(f"还有 {N - len(ss['answers'])} 题未作答。交卷后不能再修改答案。")
    if st.button("确认交卷", type="primary", key="confirm_submit"):
        con = _db()
        try:
            con.execute(
                "UPDATE floor_attempt SET state = 'finished' WHERE id = ? AND state = 'in_progress'", (attempt,)
            )
        finally:
            con.close()
        ss["finished"] = True
        st.rerun()


st.divider()
if st.button("交卷", type="primary", width="stretch", key="submit"):
    confirm_submit()
st.caption(f"剩余约 {max(left, 0) // 60:02d}:{max(left, 0) % 60:02d}")
