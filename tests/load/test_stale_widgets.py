"""A stale widget value for a question no longer on screen must not change that question's stored answer.

Found by the load generator (issue 12): the protocol client kept a fragment's old elements after a fragment run, so
after 下一题 from a multiple-choice question it sent the states of that question's checkboxes (those the new
question's elements had not replaced) with every later rerun; Streamlit keeps the callbacks of removed widgets,
called on_multi for the old question, and the page saved None over an acknowledged answer. The client now drops stale elements (protocol.Session._prune), and the page ignores a change
for any question other than the one its last run drew (exam.py `_on_screen`). Here a real server gets what the old
client sent, forged on purpose: the old question's checkbox (and radio) states put back into the outgoing widget
values of a fragment rerun. Fails on the exam page of 4ecf699.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from training_app.loadtest.lost import _canonical
from training_app.loadtest.protocol import Session
from training_app.loadtest.scenario import (
    CONFIRM_START,
    START_LABELS,
    SheetPick,
    answer_radio,
    attempt_key,
    checks_shown,
    current_slot,
    on_exam,
    option_checks,
    sheet_buttons,
    sheet_expander,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _ok(result, s: Session, step: str) -> None:
    problems = list(result.errors) + s.errors_on_page()
    assert not problems, f"{step}: {problems}"


def _copy(state: WidgetState) -> WidgetState:
    c = WidgetState()
    c.CopyFrom(state)
    return c


async def _jump(s: Session, slot: int) -> None:
    if not sheet_buttons(s):  # the sheet is folded: tap 答题卡 first, as a person does
        folded = sheet_expander(s)
        assert folded is not None, "no 答题卡 on the exam page"
        _ok(await s.expand(folded), s, "答题卡")
    pick = sheet_buttons(s).get(slot)
    assert isinstance(pick, SheetPick), f"no answer-sheet option for question {slot}"
    _ok(await s.pick(pick.node, pick.content), s, f"答题卡 {slot}")
    assert current_slot(s) == slot


async def _next(s: Session) -> None:
    slot = current_slot(s)
    nxt = s.button("下一题 →")
    assert nxt is not None, f"no 下一题 → on question {slot}"
    _ok(await s.click(nxt), s, f"下一题 → from {slot}")
    assert current_slot(s) == slot + 1


async def _scenario(url: str, account: str, password: str, db) -> dict:
    s, first = await Session.open(url, auto_rerun=False, timeout=60)
    try:
        _ok(first, s, "open")
        _ok(await s.submit_form(s.button("登录"), {"账号": account, "密码": password}), s, "login")
        start = s.button(*START_LABELS)
        assert start is not None, f"no start button after the login: {s.texts()[:5]}"
        _ok(await s.click(start), s, "start")
        if not on_exam(s):
            confirm = s.button(*CONFIRM_START)
            assert confirm is not None, f"neither the exam nor 确认开始: {s.texts()[:5]}"
            _ok(await s.click(confirm), s, "确认开始")
        assert on_exam(s), "the exam did not open"
        attempt_id = attempt_key(s)
        paper_json = db.scalar("SELECT paper FROM attempt WHERE id = :a", a=attempt_id)
        paper = {q["slot"]: q for q in json.loads(paper_json)}
        total = max(paper)

        def stored(slot: int):
            return db.scalar("SELECT response FROM answer WHERE attempt_id = :a AND slot = :s", a=attempt_id, s=slot)

        def first_of(*types: str) -> int:
            return next(n for n in sorted(paper) if paper[n]["type"] in types and n + 2 <= total)

        out: dict = {}

        # --- a multiple-choice question: tick its first option, move on, then send its other boxes again ------
        # The old client replaced the old question's first elements by the new question's (same delta paths) and
        # kept the rest, so when the new question had fewer elements it went on sending the states of the old
        # question's later boxes: the first box (ticked) missing, the others (unticked) present. On 4ecf699 each such rerun called on_multi for the
        # old question, which read the missing box as unticked and saved None over the acknowledged answer.
        multi = first_of("multiple")
        await _jump(s, multi)
        checks = option_checks(s)
        assert len(checks) >= 2, f"question {multi}: {len(checks)} options"
        _ok(await s.check(checks[0], True), s, f"tick option 1 of {multi}")
        want_multi = _canonical(paper[multi], "checks", checks_shown(s, option_checks(s)))
        assert want_multi and stored(multi) == want_multi, "the tick was not saved"
        old_boxes = [_copy(s.values[n.widget_id]) for n in option_checks(s)]
        await _next(s)  # to multi + 1: the client drops the old checkboxes, as the browser does
        assert not {b.id for b in old_boxes} & set(s.values), "the client kept the old question's checkbox values"
        forged_runs = {
            "the old client's leftovers (all boxes but the first)": old_boxes[1:],
            "every box, all unticked": [WidgetState(id=b.id, bool_value=False) for b in old_boxes],
        }
        out["multi"] = (multi, want_multi, {})
        for what, boxes in forged_runs.items():
            s.values.update({b.id: b for b in boxes})
            await _next(s)  # a rerun of the fragment, as every later click was
            out["multi"][2][what] = stored(multi)

        # --- a single-choice (or judge) question: choose, move on, then send another choice for it ------------
        single = first_of("single") if any(q["type"] == "single" for q in paper.values()) else first_of("judge")
        await _jump(s, single)
        radio = answer_radio(s)
        assert radio is not None and len(radio.proto.options) >= 2
        _ok(await s.choose(radio, 0), s, f"choose on {single}")
        want_single = _canonical(paper[single], "radio", (0,))
        assert stored(single) == want_single, "the choice was not saved"
        forged = WidgetState(id=radio.widget_id, string_value=radio.proto.options[1])
        await _next(s)
        assert radio.widget_id not in s.values
        s.values[radio.widget_id] = forged
        await _next(s)
        out["single"] = (single, want_single, stored(single))
        return out
    finally:
        await s.close()


def test_stale_option_states_of_a_question_left_behind_do_not_change_its_answer(sqlite_site):
    site = sqlite_site
    server = site.server().start()
    (account,) = site.take_officers(1)
    result = asyncio.run(_scenario(server.url, account, site.password(account), site.db))

    slot, want, got = result["multi"]
    single, want_single, got_single = result["single"]
    problems = [
        f"multiple-choice question {slot}: ticked {want!r}, stored {stored!r} after a rerun with {what}"
        for what, stored in got.items()
        if stored != want
    ]
    if got_single != want_single:
        problems.append(
            f"single-choice question {single}: chose {want_single!r}, stored {got_single!r} after a rerun with "
            "another option of it"
        )
    assert not problems, problems
