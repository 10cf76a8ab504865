"""登录: 账号 (执法证号 or user name), 密码, 登录."""

import streamlit as st

from training_app.services import auth
from training_app.ui.components.common import get_app

st.title("法治培训与考试平台")
st.caption("柳南区行政执法人员和领导干部学法用法平台")
if st.session_state.pop("_expired", False):
    st.info("登录已过期，请重新登录。您的答题记录均已保存。")
if get_app().settings.demo_mode:
    st.caption("演示环境：账号和密码见启动时打印的清单（data/demo-logins.csv）。")

with st.form("login"):
    account = st.text_input("账号", placeholder="执法证号或用户名")
    password = st.text_input("密码", type="password")
    submitted = st.form_submit_button("登录", type="primary", width="stretch")

if submitted:
    try:
        result = auth.login(get_app(), account, password)
    except auth.LoginFailed as exc:
        st.error(str(exc))
    else:
        st.session_state["token"] = result.token
        st.session_state["must_change_password"] = result.must_change_password or result.password_expired
        st.session_state.pop("_actor_run", None)
        st.rerun()

st.divider()
if st.button("证书查验（无需登录）", key="go_verify"):
    from training_app.ui.components.nav import goto

    goto("verify")
