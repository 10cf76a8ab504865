"""A run of questions with immediate feedback (practice and the wrong-answer book share it)."""

from __future__ import annotations

import time

import streamlit as st

from ... import qtypes
from ...services import learning
from ...services.common import ServiceError
from ...vocab import LEARNER_ROLES
from .common import esc, get_app, guard

QUIZ_CSS = (
    "<style>.st-key-quiz_q label p,.st-key-quiz_q [data-testid=stMarkdownContainer] p{font-size:1rem}"
    "</style>"
)  # constant, ours: option text at 16 px


def show_sources(sources: list[tuple[str, str]]) -> None:
    for label, quote in sources:
        st.markdown(f"**法律依据**　{esc(label)}")
        with st.container(border=True):  # the article in body text (full contrast), not a grey caption
            st.markdown(esc(quote))


def show_option_feedback(qtype: str, options: list[str], keys: list[str], correct: str, chosen: str) -> None:
    """After an answer: every option with the right one(s) and the officer's wrong one(s) marked in colour and
    in words (colour alone is not enough)."""
    if not qtypes.is_choice(qtype):
        keys, options = list(qtypes.option_keys(qtype, 0)), list(qtypes.JUDGE_OPTIONS)
    right, mine = set(correct), set(chosen)
    for i, (k, o) in enumerate(zip(keys, options)):
        label = esc(qtypes.option_label(qtype, i, o))
        if k in right and k in mine:
            st.markdown(f":green[**{label}　√ 正确答案（您的选择）**]")
        elif k in right:
            missed = "（您漏选）" if mine and qtype == "multiple" else ""
            st.markdown(f":green[**{label}　√ 正确答案{missed}**]")
        elif k in mine:
            st.markdown(f":red[**{label}　× 您的选择（错误）**]")
        else:
            st.markdown(label)


def run_quiz(prefix: str, mode: str) -> None:
    """Render the current question of st.session_state[prefix]['ids'] with answer -> feedback -> next."""
    actor = guard(*LEARNER_ROLES)
    app = get_app()
    state = st.session_state[prefix]
    ids: list[str] = state["ids"]
    i: int = state["i"]
    if i >= len(ids):
        st.success(f"本组完成：答对 {state['right']} / {len(ids)} 题。答错的题目已加入错题本。")
        if st.button("再来一组", type="primary", key=f"{prefix}_again"):
            del st.session_state[prefix]
            st.rerun()
        return
    q = app.bank.questions[ids[i]]
    law = app.bank.laws[q.law]
    st.progress((i) / len(ids), text=f"第 {i + 1} / {len(ids)} 题　{law.display}")
    st.html(QUIZ_CSS)
    with st.container(border=True, key="quiz_q"):
        st.markdown(f"**{'单选题' if q.type == 'single' else '多选题' if q.type == 'multiple' else '判断题'}**")
        st.markdown(esc(q.stem))
        for note in learning.practice_notes(app, q.id):  # the cited document is not in force: for study only
            st.caption(esc(note))
        key = f"{prefix}_{q.id}_{state['round']}"
        feedback = state.get("feedback")
        keys = q.option_keys()
        if q.type == "multiple":
            chosen = [
                k
                for j, k in enumerate(keys)
                if st.checkbox(f"{k}. {esc(q.options[j])}", key=f"{key}_{j}", disabled=feedback is not None)
            ]
            response = "".join(chosen)
        else:
            labels = [qtypes.option_label(q.type, j, o) for j, o in enumerate(q.display_options)]
            pick = st.radio(
                "答案",
                list(range(len(labels))),
                format_func=lambda j: esc(labels[j]),
                index=None,
                key=key,
                label_visibility="collapsed",
                disabled=feedback is not None,
            )
            response = keys[pick] if pick is not None else ""
        if feedback is None:
            if st.button("提交答案", type="primary", key=f"{key}_submit", disabled=not response):
                try:
                    fb = learning.answer_practice(
                        app,
                        actor,
                        q.id,
                        response,
                        mode=mode,
                        seconds=time.monotonic() - state.get("shown_at", time.monotonic()),
                    )
                except ServiceError as exc:
                    st.error(esc(str(exc)))
                else:
                    state["feedback"] = fb
                    state["response"] = response
                    state["right"] += int(fb.correct)
                    st.rerun()
        else:
            right = feedback.correct_answer
            shown = right if qtypes.is_choice(q.type) else qtypes.JUDGE_OPTIONS[qtypes.option_indexes(q.type, right)[0]]
            if feedback.correct:
                st.success(f"回答正确。答案：{esc(shown)}")
            else:
                st.error(f"回答错误。正确答案：{esc(shown)}")
            show_option_feedback(q.type, list(q.options), list(keys), right, state.get("response", ""))
            st.markdown("**解析**　" + esc(feedback.explanation))
            show_sources(feedback.sources)
            if st.button("下一题", type="primary", key=f"{key}_next"):
                state["i"] += 1
                state["feedback"] = None
                state["shown_at"] = time.monotonic()
                st.rerun()


def start_quiz(prefix: str, ids: list[str]) -> None:
    st.session_state[prefix] = {
        "ids": ids,
        "i": 0,
        "right": 0,
        "feedback": None,
        "round": int(time.time()),
        "shown_at": time.monotonic(),
    }
