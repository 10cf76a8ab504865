"""AppTest: each coordinator and admin page renders for its role, and every one is refused to an officer."""

import pytest

from tests.ui.conftest import run_page
from tests.ui.test_officer_pages import texts
from training_app.services import exams

# Each page and the exact title it shows (a page that rendered another page's title would fail).
STAFF_TITLES = {
    "dashboard": "完成情况",
    "campaigns": "培训任务",
    "roster": "人员名册",
    "items": "试题分析",
    "integrity": "考试诚信",
    "reports": "导出与年报",
}
ADMIN_TITLES = {"audit": "审计日志", "staff": "管理员账号"}
STAFF_PAGES = list(STAFF_TITLES)
ADMIN_PAGES = list(ADMIN_TITLES)


def _with_results(env):
    app = env["app"]
    for o in env["officers"][:2]:
        aid = exams.start_attempt(app, o, env["campaign"]).attempt_id
        exams.save_answer(app, o, aid, 1, "A")
        exams.submit_attempt(app, o, aid)


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_coordinator_pages_render(ui_env, page):
    _with_results(ui_env)
    at = run_page(ui_env, ui_env["coordinator"], page)
    assert not at.exception, at.exception
    assert at.title[0].value == STAFF_TITLES[page]


def test_dashboard_numbers(ui_env):
    _with_results(ui_env)
    at = run_page(ui_env, ui_env["coordinator"], "dashboard")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["应参训"] == "4" and metrics["已完成"] == "2" and metrics["完成率"] == "50.0%"


@pytest.mark.parametrize("page", STAFF_PAGES + ADMIN_PAGES)
def test_officer_is_refused_every_staff_page(ui_env, page):
    """The page is not registered in an officer's navigation, so it cannot be reached at all
    (the browser test tries the URL too); test_page_guard_refuses_by_itself covers the page's own check."""
    at = run_page(ui_env, ui_env["officers"][0])
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(f"app_pages/{page}.py")
    body = texts(at)
    assert "完成情况" not in body and "人员名册" not in body and "审计日志" not in body


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages(ui_env, page):
    at = run_page(ui_env, ui_env["admin"], page)
    assert not at.exception
    assert at.title[0].value == ADMIN_TITLES[page]
    coordinator = run_page(ui_env, ui_env["coordinator"])
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        coordinator.switch_page(f"app_pages/{page}.py")


def test_page_guard_refuses_by_itself(ui_env):
    """Even if a page were reached, its own guard refuses the wrong role."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO
    from tests.ui.conftest import login_token

    for page in STAFF_PAGES:
        at = AppTest.from_file(str(REPO / "training_app" / "ui" / "app_pages" / f"{page}.py"), default_timeout=60)
        at.session_state["token"] = login_token(ui_env, ui_env["officers"][0])
        at.run()
        assert not at.exception
        assert at.error and "无权访问" in at.error[0].value
        assert not at.title  # nothing of the page was drawn


def test_verify_page_needs_no_login(ui_env):
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP_FILE
    from training_app.services import certificates

    app = ui_env["app"]
    o = ui_env["officers"][0]
    aid = exams.start_attempt(app, o, ui_env["campaign"], seed=3).attempt_id
    for qv in exams.attempt_view(app, o, aid).questions:
        exams.save_answer(app, o, aid, qv.slot, app.bank.questions[qv.qid].answer)
    exams.submit_attempt(app, o, aid)
    info = certificates.issue(app, o, ui_env["campaign"])
    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.run()
    at.switch_page("app_pages/verify.py").run()
    assert at.title[0].value == "证书查验"
    at.text_input[0].input(info.serial)
    at.text_input[1].input("WRONG-CODE1")
    at.button[0].click().run()
    assert "未查到" in at.error[0].value and o.name not in texts(at)
    at.text_input[1].input(info.code)
    at.button[0].click().run()
    assert "真实有效" in at.success[0].value and o.name in texts(at)


def test_audit_page_reads_in_chinese_with_filters_and_export(ui_env):
    from training_app.services import admin, auth
    from training_app.services.admin import AuditFilter

    app = ui_env["app"]
    officer = ui_env["officers"][0]
    for _ in range(2):
        try:
            auth.login(app, officer.account, "Wrong@Pass1", client=auth.ClientInfo("10.1.2.3", "UA-test"))
        except auth.LoginFailed:
            pass
    at = run_page(ui_env, ui_env["admin"], "audit")
    assert not at.exception
    frame = at.dataframe[0].value
    assert {"登录", "失败"} <= set(frame["事件"]) | set(frame["结果"])
    failed = frame[frame["结果"] == "失败"]
    assert failed["详情"].str.startswith("原因：密码错误；剩余尝试次数：").all() and len(failed) == 2
    assert failed["详情"].str.contains("地址：10.1.2.3；浏览器：UA-test").all()
    assert "login" not in set(frame["事件"]) and "fail" not in set(frame["结果"])
    rows = admin.audit_records(app, ui_env["admin"], filters=AuditFilter(person=officer.name, outcome="fail"))
    assert len(rows) == 2 and all(r["actor"] == officer.account for r in rows)
    csv_text = admin.audit_export(app, ui_env["admin"], AuditFilter(event="login", outcome="fail")).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "时间,事件,操作人,对象,结果,详情" and csv_text.count("密码错误") == 2


def test_dashboard_draws_without_sweeping(ui_env):
    """The dashboard only reads: an attempt past its deadline counts once the sweep has closed it, not because the
    page was drawn (the page says the figures may lag the sweep)."""
    from datetime import timedelta

    from training_app.clock import utcnow
    from training_app.services import jobs
    from training_app.store.db import read_session
    from training_app.store.models import Attempt

    app = ui_env["app"]
    aid = exams.start_attempt(app, ui_env["officers"][0], ui_env["campaign"], now=utcnow() - timedelta(hours=2))
    at = run_page(ui_env, ui_env["coordinator"], "dashboard")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["已完成"] == "0"
    assert "统计可能滞后约 1 分钟" in texts(at)
    with read_session(app.engine) as s:
        assert s.get(Attempt, aid.attempt_id).state == "in_progress"
    assert jobs.sweep(app).closed == 1
    at = run_page(ui_env, ui_env["coordinator"], "dashboard")
    assert {m.label: m.value for m in at.metric}["已完成"] == "1"
