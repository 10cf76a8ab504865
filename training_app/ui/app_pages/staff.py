"""管理员账号 (admins): create coordinators (optionally limited to one unit) and admins."""

import streamlit as st

from training_app.services import auth, roster
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, flash, get_app, guard, show_flash

actor = guard("admin")
app = get_app()
st.title("管理员账号")
show_flash()
units = roster.list_units(app, actor)
with st.form("new_staff", clear_on_submit=True):
    account = st.text_input("账号")
    name = st.text_input("姓名")
    role = st.selectbox(
        "角色", ["coordinator", "admin"], format_func=lambda r: {"coordinator": "培训管理员", "admin": "系统管理员"}[r]
    )
    scope = st.selectbox(
        "管理范围",
        [None, *[u.id for u in units]],
        format_func=lambda i: "全区" if i is None else next(u.name for u in units if u.id == i),
    )
    password = st.text_input("初始密码", type="password")
    if st.form_submit_button("创建账号", type="primary"):
        try:
            auth.create_staff(
                app, actor, account.strip(), name.strip(), role, password, scope_unit_id=scope, must_change=True
            )
        except ServiceError as exc:
            st.error(esc(str(exc)))
        else:
            flash(f"已创建账号 {account}，首次登录须修改密码。")
            st.rerun()

st.subheader("个人信息导出")
st.caption(
    "导出平台保存的某一人员的全部信息（个人信息、考试与答题、练习、错题本、学时、登录与审计记录）；导出行为记入审计日志。"
)
account = st.text_input("账号（执法证号或用户名）", key="export_account")
if account.strip():
    matches = [
        p
        for p in roster.list_people(app, actor, search=account.strip(), include_inactive=True)
        if p["账号"] == account.strip()
    ]
    if not matches:
        st.caption("没有找到这个账号。")
    elif st.button("生成导出文件", key="make_person_export"):
        from training_app.services import admin as admin_service

        st.session_state["_person_export"] = (
            account.strip(),
            admin_service.person_export(app, actor, matches[0]["id"]),
        )
exported = st.session_state.get("_person_export")
if exported:
    st.download_button(f"下载 {exported[0]} 的个人信息（.xlsx）", exported[1], file_name=f"个人信息_{exported[0]}.xlsx")
