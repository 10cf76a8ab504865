"""Entry point and router: login, then the pages this user's role may see (st.navigation).

An unlisted page is unreachable by URL, and every page re-checks the role itself.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

if __package__ in (None, ""):  # `streamlit run training_app/ui/app.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from training_app.services.common import BankError, DatabaseUnavailable
from training_app.ui.components.common import cookie_sync, current_actor, esc, get_app, role_label
from training_app.ui.components.nav import PAGES_DIR, page
from training_app.vocab import LEARNER_ROLES

st.set_page_config(page_title="法治培训与考试平台", page_icon="⚖️", layout="centered", initial_sidebar_state="auto")
st.session_state["_run_id"] = uuid.uuid4().hex
st.session_state.setdefault("_client_id", uuid.uuid4().hex[:16])  # this browser session (integrity signals)

try:
    app = get_app()
except BankError as exc:
    st.error("题库校验未通过，平台暂停服务。请管理员运行 `training-app bank check` 查看并修正以下问题：")
    st.code(exc.report()[:5000], language=None)
    st.stop()
except DatabaseUnavailable as exc:
    st.error(esc(str(exc)))
    st.stop()

ADDRESSES = (
    "home",
    "exam",
    "results",
    "practice",
    "review",
    "study",
    "account",
    "logout",
    "dashboard",
    "campaigns",
    "roster",
    "items",
    "integrity",
    "reports",
    "audit",
    "staff",
)


def build_pages(shape: tuple[str, ...]) -> tuple[list | dict, st.Page | None, str]:
    """The pages of one navigation shape ("out", "must_change" or "in" with a role): (pages, default, position)."""
    if shape[0] == "out":
        # Every other page's address shows the login form too, so a reload or a reconnect after a server restart
        # (which keep the address, e.g. /exam) lands on the login form instead of "Page not found".
        elsewhere = [st.Page(str(PAGES_DIR / "login.py"), title="登录", url_path=name) for name in ADDRESSES]
        login = page("login", "登录", ":material/login:", default=True)
        return [login, page("verify", "证书查验", ":material/verified:"), *elsewhere], None, "hidden"
    if shape[0] == "must_change":
        only = page("account", "修改密码", ":material/key:", default=True)
        return [only], only, "hidden"
    account = [
        page("account", "账号与密码", ":material/key:"),
        page("verify", "证书查验", ":material/verified:"),
        page("logout", "退出登录", ":material/logout:"),
    ]
    role = shape[1]
    if role in LEARNER_ROLES:
        first = page("home", "我的学习", ":material/home:", default=True)
        return (
            {
                "学习与考试": [
                    first,
                    page("exam", "考试", ":material/edit_note:"),
                    page("results", "成绩与解析", ":material/grading:"),
                    page("practice", "练习", ":material/quiz:"),
                    page("review", "错题本", ":material/replay:"),
                    page("study", "学法", ":material/menu_book:"),
                ],
                "账号": account,
            },
            first,
            "sidebar",
        )
    first = page("dashboard", "完成情况", ":material/monitoring:", default=True)
    pages = {
        "培训管理": [
            first,
            page("campaigns", "培训任务", ":material/assignment:"),
            page("roster", "人员名册", ":material/groups:"),
            page("items", "试题分析", ":material/analytics:"),
            page("integrity", "考试诚信", ":material/gpp_maybe:"),
            page("reports", "导出与年报", ":material/download:"),
        ],
        "账号": account,
    }
    if role == "admin":
        pages["系统管理"] = [
            page("audit", "审计日志", ":material/policy:"),
            page("staff", "管理员账号", ":material/admin_panel_settings:"),
        ]
    return pages, first, "sidebar"


def session_pages(shape: tuple[str, ...]) -> tuple[list | dict, st.Page | None, str]:
    """`build_pages`, kept for this browser session while its shape holds: an st.Page resolves its file on the disk
    when made, which was an eighth of the server's time during the exam-morning logins. Never shared between
    sessions (st.navigation marks its pages runnable for the run in progress)."""
    kept = st.session_state.get("_nav_pages")
    if kept is not None and kept[0] == shape:
        return kept[1]
    built = build_pages(shape)
    st.session_state["_nav_pages"] = (shape, built)
    return built


actor = current_actor()
if actor is None:
    shape: tuple[str, ...] = ("out",)
elif st.session_state.get("must_change_password"):
    shape = ("must_change",)
else:
    shape = ("in", actor.role)
pages, nav_default, position = session_pages(shape)
nav = st.navigation(pages, position="hidden" if position == "hidden" else "sidebar")
if shape[0] == "in":
    with st.sidebar:
        st.caption(f"{esc(actor.name)}（{role_label(actor.role)}）")

if actor is not None and st.session_state.pop("_go_home", False):
    # After a login, land on the role's first page whatever address the login form was at (e.g. /logout).
    st.switch_page(nav_default)
cookie_sync()
# which page ran before this one (study time counts only while the officer stays on a page)
st.session_state["_prev_page"], st.session_state["_page"] = st.session_state.get("_page"), nav.url_path
nav.run()
