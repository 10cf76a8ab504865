"""The officer's day on a phone (issue 13): the start screen says what starts the clock, a failed exam says how
to retake, the 错题本 holds mistakes (not blanks) and its day count falls, practice feedback in words, the
answer sheet in words, another device noticed, an expired certificate explained, the login page helps."""

from sqlalchemy import select

from tests.ui.conftest import run_page
from tests.ui.test_officer_pages import texts
from training_app.services import exams, learning
from training_app.store.db import read_session, write_session
from training_app.store.models import Attempt, Person, ReviewCard


def _fail_once(app, officer, cid, *, answer_first=3):
    aid = exams.start_attempt(app, officer, cid, seed=5).attempt_id
    view = exams.attempt_view(app, officer, aid)
    for qv in view.questions[:answer_first]:  # a few wrong answers, the rest left blank
        key = app.bank.questions[qv.qid].answer
        wrong = {"T": "F", "F": "T"}.get(key) or ("B" if key[0] != "B" else "C")
        exams.save_answer(app, officer, aid, qv.slot, wrong)
    exams.submit_attempt(app, officer, aid)
    return aid, view


def test_start_screen_tells_everything_before_the_clock(ui_env):
    o = ui_env["officers"][0]
    at = run_page(ui_env, o, "exam", start_campaign_id=ui_env["campaign"])
    assert not at.exception
    body = texts(at)
    for words in (
        "共 18 道",
        "单选题 8 道",
        "多选题 4 道",
        "判断题 6 道",
        "30 分钟",
        "2 次（已用 0 次）",
        "合格线",
        "计时开始后不暂停，答案随选随存",
    ):
        assert words in body, words
    with read_session(ui_env["app"].engine) as s:
        assert s.execute(select(Attempt)).first() is None  # nothing started, no attempt used
    next(b for b in at.button if b.label == "确认开始").click().run()
    assert "第 1 题" in texts(at)


def test_failed_exam_says_how_to_retake_and_a_pass_shows_no_red_retake(ui_env):
    app, o, cid = ui_env["app"], ui_env["officers"][1], ui_env["campaign"]
    _fail_once(app, o, cid)
    home = run_page(ui_env, o)
    body = texts(home)
    assert "未合格，还可考 1 次（截止" in body and "已完成" not in body
    retake = [b for b in home.button if b.label == "再考一次"]
    assert len(retake) == 1 and retake[0].proto.type == "primary"
    results = run_page(ui_env, o, "results")
    assert "未合格，还可考 1 次" in texts(results) and any(b.label == "再考一次" for b in results.button)
    # one 继续作答 button while an attempt is open, not two
    exams.start_attempt(app, o, cid)
    home = run_page(ui_env, o)
    assert [b.label for b in home.button].count("继续作答") == 1
    # a pass: no red 再考一次
    p = ui_env["officers"][2]
    aid = exams.start_attempt(app, p, cid, seed=11).attempt_id
    for qv in exams.attempt_view(app, p, aid).questions:
        exams.save_answer(app, p, aid, qv.slot, app.bank.questions[qv.qid].answer)
    assert exams.submit_attempt(app, p, aid).passed
    home = run_page(ui_env, p)
    assert "已合格" in texts(home)
    assert not [b for b in home.button if "再考一次" in b.label and b.proto.type == "primary"]


def test_blanks_are_not_mistakes_and_the_day_count_falls(ui_env):
    app, o, cid = ui_env["app"], ui_env["officers"][0], ui_env["campaign"]
    _fail_once(app, o, cid, answer_first=3)
    exams.sync_exam_cards(app, o)
    with read_session(app.engine) as s:
        cards = s.execute(select(ReviewCard).where(ReviewCard.person_id == o.id)).scalars().all()
    assert len(cards) == 3  # 3 wrong answers; 15 blanks are not mistakes
    due = learning.due_reviews(app, o)
    assert learning.count_due_reviews(app, o) == len(due) == 3
    q = app.bank.questions[due[0]]
    learning.answer_practice(app, o, due[0], q.answer, mode="review")  # right: rescheduled minutes later
    assert learning.count_due_reviews(app, o) == 2  # the day's count falls
    at = run_page(ui_env, o, "review")
    assert "今日待复习 2 题" in texts(at) and "未作答的题目不算错题" in texts(at)
    assert len(at.expander) == 3  # each entry opens its explanation and article
    assert "法律依据" in texts(at)


def test_practice_feedback_marks_options_in_words(ui_env):
    o = ui_env["officers"][0]
    at = run_page(ui_env, o, "practice")
    next(b for b in at.button if b.label == "开始练习").click().run()
    if at.radio:
        at.radio[-1].set_value(0).run()
    else:
        at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "提交答案").click().run()
    body = texts(at)
    assert "√ 正确答案" in body
    assert "回答正确" in body or "× 您的选择（错误）" in body or "（您漏选）" in body


def test_answer_sheet_states_in_words_and_another_device_is_noticed(ui_env):
    app, o, cid = ui_env["app"], ui_env["officers"][3], ui_env["campaign"]
    aid = exams.start_attempt(app, o, cid).attempt_id
    exams.set_flag(app, o, aid, 1, True)
    exams.set_flag(app, o, aid, 2, True)
    at = run_page(ui_env, o, "exam", attempt_id=aid, _client_id="phone-B")
    assert not at.exception
    assert "其他设备" not in texts(at)
    exams.save_answer(app, o, aid, 1, "A", client_id="phone-A")  # while phone B has the exam open
    assert not at.button_group  # folded: the sheet's options are not drawn (nor sent) on every click
    at.session_state[f"sheet_open_{aid}"] = True  # what a tap on 答题卡 sends
    at.run()
    (sheet,) = at.button_group  # the answer sheet is one widget (st.pills), not 80 buttons
    assert sheet.options[:3] == ["1√★", "2★", "3"] and len(sheet.options) == 18
    assert len(at.button) < 10
    assert "本场考试正在其他设备或浏览器窗口上作答" in texts(at)
    same = run_page(ui_env, o, "exam", attempt_id=aid, _client_id="phone-A")
    assert "其他设备" not in texts(same)


def test_a_reload_is_not_taken_for_another_device(ui_env):
    """A reload is a new browser session with a new client id: the answers its page saved before are not "another
    device" (the officer saw that notice after every refresh until the next answer)."""
    app, o, cid = ui_env["app"], ui_env["officers"][2], ui_env["campaign"]
    aid = exams.start_attempt(app, o, cid).attempt_id
    exams.save_answer(app, o, aid, 1, "A", client_id="before-the-reload")
    after = run_page(ui_env, o, "exam", attempt_id=aid, _client_id="after-the-reload")
    assert not after.exception and "已答 1/" in texts(after)
    assert "其他设备" not in texts(after)


def test_expired_certificate_is_explained(ui_env):
    from tests.support.factory import make_person

    app = ui_env["app"]
    expired = make_person(app, "LN09999", unit_id=ui_env["units"][0], name="过期证件", cert_status="过期")
    at = run_page(ui_env, expired)
    assert "您的执法证状态为 过期，不在本次考试范围内，请联系培训管理员" in texts(at)


def test_login_page_helps_and_counts_tries(ui_env):
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP_FILE

    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.run()
    assert "忘记密码" in texts(at) and "培训管理员" in texts(at)
    at.text_input[0].input(ui_env["officers"][0].account)
    at.text_input[1].input("Wrong@Pass1")
    at.button[0].click().run()
    assert "再输错 4 次" in at.error[0].value


def test_change_password_keeps_what_was_typed_and_goes_on(ui_env):
    o = ui_env["officers"][3]
    with write_session(ui_env["app"].engine) as s:
        s.get(Person, o.id).must_change_password = True
    at = run_page(ui_env, o, must_change_password=True)
    at.text_input[0].input(ui_env["password"])
    at.text_input[1].input("New@Pass2026x")
    at.text_input[2].input("New@Pass2026y")
    next(b for b in at.button if b.label == "修改密码").click().run()
    assert "不一致" in at.error[0].value and at.text_input[0].value == ui_env["password"]
    at.text_input[2].input("New@Pass2026x")
    next(b for b in at.button if b.label == "修改密码").click().run()
    assert not at.exception
    assert at.title[0].value == "我的学习" and "密码已修改" in texts(at)


def test_reading_time_counts_only_on_the_study_page(ui_env, monkeypatch):
    from training_app.ui.components import common

    o = ui_env["officers"][0]
    clock = [1000.0]
    monkeypatch.setattr(common.time, "monotonic", lambda: clock[0])
    at = run_page(ui_env, o, "study")
    assert "本次阅读已计入学时 0 分" in texts(at)
    clock[0] += 40
    at.run()  # a rerun on the same page 40 s later (what the 30 s heartbeat does)
    assert "本次阅读已计入学时 0 分 40 秒" in texts(at)
    clock[0] += 600  # ten minutes elsewhere (another page, a locked phone): at most one capped tick
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/study.py").run()
    from training_app.store.models import StudyTime

    with read_session(ui_env["app"].engine) as s:
        seconds = (
            s.execute(select(StudyTime.seconds).where(StudyTime.person_id == o.id, StudyTime.kind == "reading"))
            .scalars()
            .all()
        )
    assert sum(seconds) == 40  # the ten minutes away counted nothing


def test_a_jump_from_the_answer_sheet_moves_to_the_question(ui_env):
    app, o, cid = ui_env["app"], ui_env["officers"][3], ui_env["campaign"]
    aid = exams.start_attempt(app, o, cid).attempt_id
    at = run_page(ui_env, o, "exam", attempt_id=aid, **{f"sheet_open_{aid}": True})
    assert "第 1 题" in texts(at) and at.button_group[0].value == 1
    at.button_group[0].set_value(12).run()
    assert not at.exception
    assert "第 12 题" in texts(at)
    assert not at.button_group and at.session_state[f"sheet_open_{aid}"] is False  # the sheet folds after a jump
    next(b for b in at.button if b.label == "下一题 →").click().run()
    assert "第 13 题" in texts(at)
    at.session_state[f"sheet_open_{aid}"] = True
    at.run()
    assert at.button_group[0].value == 13  # opened again, the sheet marks the question on screen


def test_loading_the_exam_page_and_the_hand_in_dialog_build_only_the_question_on_screen(ui_env, monkeypatch):
    """A page load (a login, a reload, the 交卷 dialog's full run) reads the header and the question on screen:
    not the 80 question views of attempt_view (a quarter-second each on exam morning, for nothing shown)."""
    from training_app.services import views

    app, o, cid = ui_env["app"], ui_env["officers"][1], ui_env["campaign"]
    aid = exams.start_attempt(app, o, cid).attempt_id
    built = []
    real = views._question_view
    monkeypatch.setattr(views, "_question_view", lambda *a, **k: built.append(1) or real(*a, **k))
    at = run_page(ui_env, o, "exam", attempt_id=aid)
    assert not at.exception and "第 1 题" in texts(at)
    assert len(built) <= 2, f"{len(built)} question views built for one page load"
    built.clear()
    next(b for b in at.button if b.label == "交卷").click().run()
    assert "还有 18 题未作答" in texts(at)
    assert len(built) <= 2, f"{len(built)} question views built to open the hand-in dialog"  # sheet + dialog


def test_ticking_three_options_of_a_multiple_choice_question_stores_all_three(ui_env):
    app, o, cid = ui_env["app"], ui_env["officers"][2], ui_env["campaign"]
    aid = exams.start_attempt(app, o, cid).attempt_id
    view = exams.attempt_view(app, o, aid)
    multi = next(q for q in view.questions if q.type == "multiple")
    at = run_page(ui_env, o, "exam", attempt_id=aid, **{f"sheet_open_{aid}": True})
    at.button_group[0].set_value(multi.slot).run()
    assert f"第 {multi.slot} 题" in texts(at)
    for i in (0, 2, 3):
        boxes = list(at.checkbox)  # the options (the flag is a toggle)
        boxes[i].check().run()
        assert not at.exception
    chosen = exams.attempt_view(app, o, aid).questions[multi.slot - 1].chosen
    assert chosen == [0, 2, 3]


def test_a_save_that_met_a_busy_database_says_so_and_shows_what_is_stored(ui_env, monkeypatch):
    """SQLite's write lock taken past the busy timeout (an exam-morning peak): no exception page; the officer is
    told the choice was not saved, the radio shows what is stored, and choosing again saves it."""
    from training_app.services.common import DatabaseBusy

    app, o, cid = ui_env["app"], ui_env["officers"][3], ui_env["campaign"]
    aid = exams.start_attempt(app, o, cid).attempt_id
    at = run_page(ui_env, o, "exam", attempt_id=aid)
    slot = exams.exam_sheet(app, o, aid, 1).current.slot
    real = exams.save_answer

    def busy(*a, **k):
        raise DatabaseBusy("database is locked")

    monkeypatch.setattr(exams, "save_answer", busy)
    at.radio[0].set_value(1).run()
    assert not at.exception
    assert any("系统繁忙，这次选择未能保存，请再选一次" in e.value for e in at.error)
    assert at.radio[0].value is None  # shows what is stored: nothing
    monkeypatch.setattr(exams, "save_answer", real)
    at.radio[0].set_value(1).run()
    assert not at.exception and not at.error
    assert exams.exam_sheet(app, o, aid, slot).current.chosen == [1]
