"""账号与密码: change the password (forced at first login when the account had an initial one)."""

import streamlit as st

from training_app.services import auth
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, flash, get_app, guard, role_label, show_flash
from training_app.vocab import ROLES

actor = guard(*ROLES)
forced = bool(st.session_state.get("must_change_password"))
show_flash()
st.title("修改密码" if forced else "账号与密码")
if forced:
    st.warning("首次登录或密码已到期，请先修改密码。")
else:
    st.markdown(f"**{esc(actor.name)}**　账号：{esc(actor.account)}　角色：{role_label(actor.role)}")

st.caption("密码至少 8 位，包含大写字母、小写字母、数字和符号中的至少三类，不能包含账号，不能是常见密码。")
with st.form("change_password", clear_on_submit=False):
    old = st.text_input("原密码", type="password")
    new = st.text_input("新密码", type="password")
    again = st.text_input("再次输入新密码", type="password")
    ok = st.form_submit_button("修改密码", type="primary")
if ok:
    if new != again:
        st.error("两次输入的新密码不一致")
    else:
        try:
            auth.change_password(get_app(), actor, old, new, keep_token=st.session_state.get("token"))
        except ServiceError as exc:
            st.error(esc(str(exc)))
        else:
            st.session_state["must_change_password"] = False
            flash("密码已修改。其他设备上的登录已全部退出。")
            if forced:
                st.session_state["_go_home"] = True
            st.rerun()
