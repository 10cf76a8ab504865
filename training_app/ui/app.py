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
actor = current_actor()
if actor is None:
    # Every other page's address shows the login form too, so a reload or a reconnect after a server restart
    # (which keep the address, e.g. /exam) lands on the login form instead of "Page not found".
    elsewhere = [st.Page(str(PAGES_DIR / "login.py"), title="登录", url_path=name) for name in ADDRESSES]
    nav = st.navigation(
        [
            page("login", "登录", ":material/login:", default=True),
            page("verify", "证书查验", ":material/verified:"),
            *elsewhere,
        ],
        position="hidden",
    )
elif st.session_state.get("must_change_password"):
    nav_default = page("account", "修改密码", ":material/key:", default=True)
    nav = st.navigation([nav_default], position="hidden")
else:
    account = [
        page("account", "账号与密码", ":material/key:"),
        page("verify", "证书查验", ":material/verified:"),
        page("logout", "退出登录", ":material/logout:"),
    ]
    if actor.role in LEARNER_ROLES:
        nav_default = page("home", "我的学习", ":material/home:", default=True)
        pages = {
            "学习与考试": [
                nav_default,
                page("exam", "考试", ":material/edit_note:"),
                page("results", "成绩与解析", ":material/grading:"),
                page("practice", "练习", ":material/quiz:"),
                page("review", "错题本", ":material/replay:"),
                page("study", "学法", ":material/menu_book:"),
            ],
            "账号": account,
        }
    else:
        nav_default = page("dashboard", "完成情况", ":material/monitoring:", default=True)
        pages = {
            "培训管理": [
                nav_default,
                page("campaigns", "培训任务", ":material/assignment:"),
                page("roster", "人员名册", ":material/groups:"),
                page("items", "试题分析", ":material/analytics:"),
                page("integrity", "考试诚信", ":material/gpp_maybe:"),
                page("reports", "导出与年报", ":material/download:"),
            ],
            "账号": account,
        }
        if actor.role == "admin":
            pages["系统管理"] = [
                page("audit", "审计日志", ":material/policy:"),
                page("staff", "管理员账号", ":material/admin_panel_settings:"),
            ]
    nav = st.navigation(pages)
    with st.sidebar:
        st.caption(f"{esc(actor.name)}（{role_label(actor.role)}）")

if actor is not None and st.session_state.pop("_go_home", False):
    # After a login, land on the role's first page whatever address the login form was at (e.g. /logout).
    st.switch_page(nav_default)
cookie_sync()
# which page ran before this one (study time counts only while the officer stays on a page)
st.session_state["_prev_page"], st.session_state["_page"] = st.session_state.get("_page"), nav.url_path
nav.run()
