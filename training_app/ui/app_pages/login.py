"""登录: 账号 (执法证号 or user name), 密码, 登录. After a login the person lands on their first page."""

import streamlit as st

from training_app.services import auth
from training_app.ui.components import session_cookie
from training_app.ui.components.common import client_info, esc, get_app

st.title("法治培训与考试平台")
st.caption("柳南区行政执法人员和领导干部学法用法平台")
if st.session_state.pop("_expired", False):
    st.info("登录已过期，请重新登录。您的答题记录均已保存。")
if st.session_state.pop("_bye", False):
    st.success("您已退出登录。")
if get_app().settings.demo_mode:
    st.caption("演示环境：账号和密码见启动时打印的清单（data/demo-logins.csv）。")

with st.form("login"):
    account = st.text_input("账号", placeholder="执法证号或用户名")
    password = st.text_input("密码", type="password")
    submitted = st.form_submit_button("登录", type="primary", width="stretch")
st.caption("忘记密码或账号被锁定：请联系本单位培训管理员或区司法局重置密码、解除锁定。")

if submitted:
    try:
        result = auth.login(get_app(), account, password, client=client_info())
    except auth.LoginFailed as exc:
        st.error(esc(str(exc)))
    else:
        for key in ("_logged_out", "_actor_run"):
            st.session_state.pop(key, None)
        st.session_state["token"] = result.token
        st.session_state["must_change_password"] = result.must_change_password or result.password_expired
        st.session_state["_cookie_code"] = session_cookie.handoff(result.token)
        st.session_state["_go_home"] = True
        st.rerun()

st.divider()
if st.button("证书查验（无需登录）", key="go_verify"):
    from training_app.ui.components.nav import goto

    goto("verify")
