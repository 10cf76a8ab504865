"""AppTest: each officer page renders for an officer, in Chinese, from the database."""

from tests.ui.conftest import APP_FILE, run_page
from training_app.services import exams


def texts(at) -> str:
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "metric",
    ):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + str(getattr(el, "label", "")))
    return "\n".join(parts)


def test_login_form_and_wrong_password(ui_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.run()
    assert [t.label for t in at.text_input] == ["账号", "密码"]
    assert at.button[0].label == "登录"
    at.text_input[0].input(ui_env["officers"][0].account)
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    assert "账号或密码错误" in at.error[0].value
    at.text_input[1].input(ui_env["password"])
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "我的学习"


def test_home_lists_the_exam(ui_env):
    at = run_page(ui_env, ui_env["officers"][0])
    assert not at.exception
    body = texts(at)
    assert "我的学习" in body and "测试考试" in body and "未开始" in body
    assert any(b.label == "开始考试" for b in at.button)


def test_start_answer_refresh_and_submit(ui_env):
    o = ui_env["officers"][0]
    at = run_page(ui_env, o)
    next(b for b in at.button if b.label == "开始考试").click().run()
    assert not at.exception
    at.switch_page("app_pages/exam.py").run()
    # the start screen first: nothing is used until the officer confirms
    assert "计时开始后不暂停，答案随选随存" in texts(at) and "attempt_id" not in at.session_state
    next(b for b in at.button if b.label == "确认开始").click().run()
    assert "第 1 题" in texts(at)
    at.radio[0].set_value(1).run()  # choose the second option shown
    assert not at.exception
    aid = at.session_state["attempt_id"]
    saved = exams.attempt_view(ui_env["app"], o, aid).questions[0].chosen
    assert saved == [1]
    # a refresh is a new session: log in again and land in the same attempt with the answer chosen
    at2 = run_page(ui_env, o, "exam")
    assert not at2.exception
    assert "第 2 题" in texts(at2)  # it resumes at the first unanswered question
    next(b for b in at2.button if b.label == "← 上一题").click().run()
    assert "第 1 题" in texts(at2)
    assert at2.radio[0].value == 1  # the saved answer is chosen


def test_exam_page_without_attempt(ui_env):
    at = run_page(ui_env, ui_env["officers"][1], "exam")
    assert not at.exception
    assert "没有进行中的考试" in texts(at)


def test_results_page_shows_review(ui_env):
    o = ui_env["officers"][2]
    app = ui_env["app"]
    aid = exams.start_attempt(app, o, ui_env["campaign"]).attempt_id
    exams.submit_attempt(app, o, aid)
    at = run_page(ui_env, o, "results")
    assert not at.exception
    body = texts(at)
    assert "成绩与解析" in body and "法律依据" in body and "不合格" in body


def test_results_page_shows_ten_questions_a_page(ui_env):
    """The hand-in lands on 成绩与解析: it draws a page of ten questions with their explanations and articles, not
    every question of the paper at once; 上一页/下一页 turn the pages, and the toggle shows the right ones too."""
    o = ui_env["officers"][3]
    app = ui_env["app"]
    aid = exams.start_attempt(app, o, ui_env["campaign"]).attempt_id
    total = len(exams.attempt_view(app, o, aid).questions)  # none answered: every question is wrong
    exams.submit_attempt(app, o, aid)
    at = run_page(ui_env, o, "results")
    assert not at.exception

    def slots_shown():
        import re

        return [int(m.group(1)) for t in texts(at).split("\n") for m in [re.search(r"答错 \*\*第 (\d+) 题", t)] if m]

    assert total > 10 and slots_shown() == list(range(1, 11))
    assert f"第 1/{(total + 9) // 10} 页（共 {total} 题）" in texts(at)
    next(b for b in at.button if b.label == "下一页").click().run()
    assert slots_shown() == list(range(11, min(total, 20) + 1))
    next(b for b in at.button if b.label == "上一页").click().run()
    assert slots_shown() == list(range(1, 11))
    assert "未作答" in texts(at)


def test_practice_page_immediate_feedback(ui_env):
    at = run_page(ui_env, ui_env["officers"][0], "practice")
    assert not at.exception
    next(b for b in at.button if b.label == "开始练习").click().run()
    assert not at.exception
    if at.radio:
        at.radio[-1].set_value(0).run()
    else:
        at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "提交答案").click().run()
    body = texts(at)
    assert ("回答正确" in body or "回答错误" in body) and "法律依据" in body


def test_review_page(ui_env):
    from training_app.services import learning

    o = ui_env["officers"][0]
    qid = sorted(ui_env["app"].bank.questions)[0]
    q = ui_env["app"].bank.questions[qid]
    wrong = "B" if q.answer != "B" else "C"
    learning.answer_practice(ui_env["app"], o, qid, wrong if q.type != "judge" else ("F" if q.answer == "T" else "T"))
    at = run_page(ui_env, o, "review")
    assert not at.exception
    assert "今日待复习 1 题" in texts(at)


def test_study_page_marks_articles(ui_env):
    at = run_page(ui_env, ui_env["officers"][0], "study")
    assert not at.exception
    assert "已学 0 /" in texts(at) or any("已学" in str(p.text) for p in at.get("progress"))
    at.checkbox[0].check().run()
    assert not at.exception
    assert at.checkbox[0].value is True


def test_account_page_changes_password(ui_env):
    o = ui_env["officers"][3]
    at = run_page(ui_env, o, "account")
    assert not at.exception
    at.text_input[0].input(ui_env["password"])
    at.text_input[1].input("weak")
    at.text_input[2].input("weak")
    next(b for b in at.button if b.label == "修改密码").click().run()
    assert "至少 8 位" in at.error[0].value


def test_leader_sees_learner_pages(ui_env):
    at = run_page(ui_env, ui_env["leader"])
    assert not at.exception
    assert at.title[0].value == "我的学习"


def test_practice_shows_the_validity_note_as_a_caption(ui_env, tmp_path, monkeypatch):
    """A question on a document not in force: practice offers it, with the note under the stem."""
    import shutil

    import streamlit as st

    from training_app import config

    bank = tmp_path / "bank_unverified"
    shutil.copytree(ui_env["app"].settings.question_bank_dir, bank)
    mk = bank / "must_know.yaml"
    mk.write_text(
        mk.read_text(encoding="utf-8").replace(
            "id_prefix: ja,\n   validity: in_force,", "id_prefix: ja,\n   validity: unverified, validity_note: 未核实,"
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("QUESTION_BANK_DIR", str(bank))
    config.get_settings.cache_clear()
    st.cache_resource.clear()
    at = run_page(ui_env, ui_env["officers"][0], "practice")  # 按法律法规, the first law: 甲法
    assert not at.exception
    next(b for b in at.button if b.label == "开始练习").click().run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert r"本题依据的《甲法》现行效力未经核实，仅供学习参考" in captions, captions


def test_home_shows_an_overdue_attempt_closed_without_writing(ui_env):
    """An attempt past its deadline that the sweep has not closed yet: 我的学习 shows it finished and graded,
    offers no 继续作答, and drawing the page leaves the attempt as it was (only the sweep closes it)."""
    from datetime import timedelta

    from training_app.clock import utcnow
    from training_app.store.db import read_session
    from training_app.store.models import Attempt

    app, o = ui_env["app"], ui_env["officers"][0]
    aid = exams.start_attempt(app, o, ui_env["campaign"], now=utcnow() - timedelta(hours=2)).attempt_id  # 30 min
    at = run_page(ui_env, o)
    assert not at.exception
    body = texts(at)
    assert "未合格，还可考 1 次（截止" in body and "正在进行的考试" not in body
    assert not any(b.label == "继续作答" for b in at.button)
    with read_session(app.engine) as s:
        assert s.get(Attempt, aid).state == "in_progress"
