"""人员名册: import the roster (preview, then all or nothing), accounts, password resets, unlocks, units."""

import pandas as pd
import streamlit as st

from training_app.services import auth, roster
from training_app.services.common import ServiceError
from training_app.services.exports import workbook_bytes
from training_app.ui.components.common import esc, flash, fmt_dt, get_app, guard, role_label, show_flash
from training_app.vocab import UNIT_KIND_LABELS

actor = guard("coordinator", "admin")
app = get_app()
st.title("人员名册")
show_flash()

tab_import, tab_people, tab_units = st.tabs(["导入名册", "人员与账号", "单位"])

with tab_import:
    st.caption(
        "支持 .xlsx 或 .csv（UTF-8 或 GBK）。列：姓名、执法证号、单位、证件状态（有效/注销/过期）、发证日期、职务、"
        "是否领导干部，可选：手机。任何一行有误则整份文件不导入，并列出每个错误行。"
    )
    st.download_button("下载名册模板（CSV）", roster.template_csv(), file_name="名册模板.csv", mime="text/csv")
    st.caption(
        "上传方法：把文件拖到下方方框中，或点击方框里的“Browse files”（浏览文件）按钮选择文件；"
        "方框中的英文“Drag and drop file here”（拖放文件到此处）、“Limit 5MB per file”（每个文件不超过 5 MB）"
        "是浏览器组件自带的文字，平台无法改为中文。"
    )
    upload = st.file_uploader("选择名册文件（.xlsx 或 .csv，不超过 5 MB）", type=["xlsx", "csv"], key="roster_file")
    create_units = st.checkbox("自动创建名册中尚不存在的单位", value=False)
    mode = st.radio(
        "导入方式",
        list(roster.MODES),
        format_func=lambda m: roster.MODE_LABELS[m],
        key="roster_mode",
        help="默认只新增和更新人员；选“以本名册为准”时，本单位范围内不在名册中的执法人员将被停用。",
    )
    if upload is not None:
        data = upload.getvalue()
        try:
            plan = roster.preview(app, actor, data, upload.name, create_units=create_units, mode=mode)
        except roster.RosterError as exc:
            st.error(f"名册有 {len(exc.problems)} 处问题，未导入任何数据：")
            st.dataframe(pd.DataFrame({"问题": exc.report()}), hide_index=True, width="stretch")
        else:
            summary = (
                f"预览（{plan.encoding}）：新增 {len(plan.add)} 人，变更 {len(plan.change)} 人，"
                f"停用 {len(plan.deactivate)} 人，不变 {plan.unchanged} 人"
                + (f"，新建单位 {len(plan.new_units)} 个" if plan.new_units else "")
            )
            (st.error if plan.deactivate else st.success)(summary)
            if mode == "merge" and plan.missing:
                st.info(f"另有 {plan.missing} 名在册执法人员不在本名册中：按“新增和更新”方式导入，他们保持不变。")
            if plan.add:
                with st.expander(f"新增（{len(plan.add)}）"):
                    st.dataframe(
                        pd.DataFrame(
                            [{"行": r.row, "姓名": r.name, "执法证号": r.cert_no, "单位": r.unit} for r in plan.add]
                        ),
                        hide_index=True,
                    )
            if plan.change:
                with st.expander(f"变更（{len(plan.change)}）"):
                    st.dataframe(
                        pd.DataFrame(
                            [
                                {"行": r.row, "姓名": r.name, "执法证号": r.cert_no, "变更": "；".join(d)}
                                for r, d in plan.change
                            ]
                        ),
                        hide_index=True,
                    )
            unit_kinds = None
            if plan.new_units:
                st.warning(
                    f"将新建以下 {len(plan.new_units)} 个单位。请核对名称和类型（类型可修改）；"
                    "“相近的已有单位”一栏有内容的，多半是同一单位的不同写法，请先在名册中改为已有名称。"
                )
                units_df = pd.DataFrame(
                    [
                        {
                            "新单位名称": n,
                            "类型": UNIT_KIND_LABELS[plan.new_unit_kinds[n]],
                            "相近的已有单位": plan.unit_suggestions.get(n, ""),
                        }
                        for n in plan.new_units
                    ]
                )
                edited = st.data_editor(
                    units_df,
                    hide_index=True,
                    width="stretch",
                    key="roster_new_units",
                    disabled=["新单位名称", "相近的已有单位"],
                    column_config={
                        "类型": st.column_config.SelectboxColumn(
                            "类型", options=list(UNIT_KIND_LABELS.values()), required=True
                        )
                    },
                )
                by_label = {v: k for k, v in UNIT_KIND_LABELS.items()}
                unit_kinds = {
                    row["新单位名称"]: by_label.get(row["类型"], "enforcement") for _, row in edited.iterrows()
                }
            confirm_n = None
            if plan.deactivate:
                st.error(
                    f"将停用以下 {len(plan.deactivate)} 人（不在本名册中）：停用后无法登录，进行中的考试不再计入。"
                )
                st.dataframe(
                    pd.DataFrame(plan.deactivate, columns=["执法证号", "姓名", "单位"]),
                    hide_index=True,
                    width="stretch",
                )
                if plan.needs_typed_confirmation:
                    typed = st.text_input(
                        f"停用人数超过在册执法人员的 {roster.REPLACE_CONFIRM_SHARE:.0%}，请输入将要停用的人数以确认",
                        key="roster_confirm_n",
                    )
                    confirm_n = int(typed) if typed.strip().isdigit() else None
            label = f"确认导入并停用 {len(plan.deactivate)} 人" if plan.deactivate else "确认导入"
            if plan.new_units:
                label += f"（新建 {len(plan.new_units)} 个单位）"
            if st.button(label, type="primary", key="roster_import_go"):
                try:
                    result = roster.import_roster(
                        app,
                        actor,
                        data,
                        upload.name,
                        create_units=create_units,
                        mode=mode,
                        confirm_deactivate=confirm_n,
                        unit_kinds=unit_kinds,
                    )
                except ServiceError as exc:
                    st.error(esc(str(exc)))
                else:
                    st.session_state["_new_credentials"] = result.credentials
                    flash(
                        f"导入完成：新增 {result.added}，变更 {result.changed}，停用 {result.deactivated}，"
                        f"纳入进行中培训任务 {result.assigned} 人。如有误，可在下方“导入记录”中撤销本次导入。"
                    )
                    st.rerun()
    creds = st.session_state.get("_new_credentials")
    if creds:
        st.warning("新账号的初始密码只显示这一次，请立即下载并妥善分发；首次登录须修改密码。")
        st.download_button(
            "下载新账号初始密码（.xlsx）",
            workbook_bytes({"初始密码": pd.DataFrame(creds)}),
            file_name="新账号初始密码.xlsx",
            on_click=lambda: st.session_state.pop("_new_credentials", None),
        )

    st.subheader("导入记录")
    imports = roster.list_imports(app, actor, limit=20)
    if not imports:
        st.caption("还没有导入记录。")
    for rec in imports:
        line = (
            f"#{rec.id}　{fmt_dt(rec.at)}　{rec.filename}（{roster.MODE_LABELS.get(rec.mode, rec.mode)}）："
            f"新增 {rec.added}，变更 {rec.changed}，停用 {rec.deactivated}，操作人 {rec.actor}"
        )
        c1, c2 = st.columns([4, 1])
        c1.text(line + (f"　已于 {fmt_dt(rec.undone_at)} 撤销" if rec.undone_at else ""))
        if rec.can_undo and c2.button("撤销", key=f"undo_{rec.id}"):
            st.session_state["_undo_import"] = rec.id
        elif not rec.can_undo and not rec.undone_at:
            c2.caption(rec.why_not)
    pending = st.session_state.get("_undo_import")
    if pending:
        rec = next((r for r in imports if r.id == pending), None)
        if rec is not None:
            st.warning(
                f"撤销导入 #{rec.id}：本次新增的 {rec.added} 人将被停用，变更和停用的 "
                f"{rec.changed + rec.deactivated} 人恢复到导入前的状态。"
            )
            c1, c2 = st.columns(2)
            if c1.button("确认撤销", type="primary", key="undo_go"):
                try:
                    n = roster.undo_import(app, actor, rec.id)
                except ServiceError as exc:
                    st.error(esc(str(exc)))
                else:
                    st.session_state.pop("_undo_import", None)
                    flash(f"已撤销导入 #{rec.id}，恢复 {n} 人。")
                    st.rerun()
            if c2.button("取消", key="undo_cancel"):
                st.session_state.pop("_undo_import", None)
                st.rerun()

with tab_people:
    search = st.text_input("按姓名或账号查找")
    inactive = st.checkbox("包括已停用人员")
    rows = roster.list_people(app, actor, search=search or None, include_inactive=inactive)
    st.caption(f"共 {len(rows)} 人")
    shown = [
        {
            **{k: v for k, v in r.items() if k != "id"},
            "角色": role_label(r["角色"]),
            "发证日期": r["发证日期"].isoformat() if r["发证日期"] else "",
            "手机": r["手机"] or "",
            "锁定": "已锁定" if r["锁定"] else "",
        }
        for r in rows[:2000]
    ]
    st.dataframe(pd.DataFrame(shown), hide_index=True, width="stretch")
    accounts = {r["账号"]: r for r in rows}
    st.markdown("**账号操作**")
    acct = st.text_input("账号", key="op_account")
    c1, c2, c3 = st.columns(3)
    target = accounts.get(acct.strip()) if acct else None
    if acct and target is None:
        st.caption("没有找到这个账号（可先在上方查找）。")
    if target and c1.button("重置密码"):
        try:
            pw = auth.set_password(app, actor, target["id"])
        except ServiceError as exc:
            st.error(esc(str(exc)))
        else:
            st.success(f"{esc(target['姓名'])} 的新初始密码：{esc(pw)}（只显示一次；首次登录须修改）")
    if target and c2.button("解除锁定"):
        auth.unlock(app, actor, target["id"])
        st.success("已解除锁定。")
    if target and c3.button("停用账号"):
        try:
            roster.deactivate_person(app, actor, target["id"])
        except ServiceError as exc:
            st.error(esc(str(exc)))
        else:
            st.success("已停用（历史记录保留）。")

with tab_units:
    units = roster.list_units(app, actor)
    st.dataframe(
        pd.DataFrame(
            [
                {"单位": u.name, "类型": UNIT_KIND_LABELS.get(u.kind, u.kind), "演示数据": "是" if u.is_demo else ""}
                for u in units
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if actor.scope_unit_id is None:
        with st.form("add_unit", clear_on_submit=True):
            name = st.text_input("单位名称")
            kind = st.selectbox("类型", list(UNIT_KIND_LABELS), format_func=lambda k: UNIT_KIND_LABELS[k])
            if st.form_submit_button("添加单位"):
                try:
                    roster.add_unit(app, actor, name, kind)
                except ServiceError as exc:
                    st.error(esc(str(exc)))
                else:
                    flash(f"已添加单位：{name}")
                    st.rerun()
