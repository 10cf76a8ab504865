"""The floor of the load test: a bare Streamlit page with the exam page's widgets and one SQLite upsert per answer.

It draws what ui/app_pages/exam.py draws (a title and progress line, the countdown frame, a 30-second deadline
fragment, the question with a radio, the flag toggle, ← 上一题 / 下一题 →, an answer sheet of one button per
question in an expander, 交卷 with its confirmation dialog) from 80 questions held in memory, and writes each
answer with one upsert into its own SQLite file (WAL, busy_timeout), as the app does. No login, no bank, no
services: whatever the app costs above this page is ours.

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

cur = ss["cur"]
stem, options = questions[cur - 1]
left = int(ss["ends"] - time.time())
st.subheader("基准页面：与考试页相同的控件")
st.caption(f"第 1 次作答　截止 —　已答 {len(ss['answers'])}/{N}")
st.iframe(
    f"<div id='cd'></div><script>const end = Date.now() + {left} * 1000;"
    "setInterval(() => document.getElementById('cd').textContent = Math.round((end - Date.now()) / 1000),"
    " 1000);</script>",
    height=34,
)


@st.fragment(run_every=30)
def deadline_watch(ends: float) -> None:
    if time.time() > ends:
        st.rerun(scope="app")


deadline_watch(ss["ends"])

with st.container(border=True):
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
        "🚩 标记本题，稍后检查",
        value=cur in ss["flags"],
        key=f"flag_{attempt}_{cur}",
        on_change=flag,
        args=(cur, f"flag_{attempt}_{cur}"),
    )

c1, c2 = st.columns(2)
c1.button("← 上一题", disabled=cur <= 1, width="stretch", on_click=go, args=(cur - 1,))
c2.button("下一题 →", disabled=cur >= N, width="stretch", on_click=go, args=(cur + 1,), type="primary")

with st.expander(f"答题卡（已答 {len(ss['answers'])}，未答 {N - len(ss['answers'])}，标记 {len(ss['flags'])}）"):
    st.caption("✅ 已答　⬜ 未答　🚩 已标记；点题号跳转")
    with st.container(horizontal=True):
        for slot in range(1, N + 1):
            mark = "🚩" if slot in ss["flags"] else ("✅" if slot in ss["answers"] else "⬜")
            st.button(
                f"{slot}{mark}",
                key=f"sheet_{attempt}_{slot}",
                on_click=go,
                args=(slot,),
                type="primary" if slot == cur else "secondary",
            )


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
st.caption(f"剩余约 {left // 60:02d}:{left % 60:02d}")
