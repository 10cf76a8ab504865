"""导出与年报: the campaign workbook (.xlsx), the 督办清单 CSV, and the paragraph for the annual report."""

import streamlit as st

from training_app.services import reports
from training_app.ui.components.common import esc, get_app, guard
from training_app.ui.components.staff import pick_campaign

actor = guard("coordinator", "admin")
app = get_app()
st.title("导出与年报")
campaign = pick_campaign(actor)
if campaign is None:
    st.stop()
with st.spinner("正在统计……"):
    rep = reports.campaign_report(app, actor, campaign.id)
st.subheader("年度法治政府建设报告用语")
st.text_area("本培训任务（可直接复制）", rep["paragraph"], height=140)
year = campaign.year
with st.spinner("正在统计全年情况……"):
    year_rep = reports.year_report(app, actor, year)
st.text_area(f"{year}年全年（全部培训任务与学时，可直接复制）", year_rep["paragraph"], height=160)
st.caption(
    "参考率 = 参考人数 ÷ 应参训人数；合格率 = 合格人数 ÷ 参考人数；只统计在册（未停用）人员。"
    + reports.ROUNDING_RULE
    + "。"
)
st.subheader("导出")
st.caption(
    "工作簿含：汇总、按单位、人员明细、督办清单、试题分析、诚信提示；比率以数字保存（百分比格式）。"
    "手机号已脱敏（管理员除外）。"
)
if st.button("生成 Excel 工作簿", type="primary"):
    st.session_state["_workbook"] = (campaign.id, reports.campaign_workbook(app, actor, campaign.id))
wb = st.session_state.get("_workbook")
if wb and wb[0] == campaign.id:
    st.download_button(
        "下载工作簿（.xlsx）",
        wb[1],
        file_name=f"培训任务{campaign.id}_统计.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

st.subheader("合格证书")
from training_app.services import certificates, roster  # noqa: E402

units = roster.list_units(app, actor)
unit = st.selectbox(
    "范围",
    [None, *[u.id for u in units]],
    format_func=lambda i: "全部合格人员" if i is None else next(u.name for u in units if u.id == i),
)
if st.button("生成合格证书 ZIP"):
    with st.spinner("正在生成证书……"):
        n, data = certificates.certificates_zip(app, actor, campaign.id, unit_id=unit)
    st.session_state["_cert_zip"] = (campaign.id, unit, n, data)
z = st.session_state.get("_cert_zip")
if z and z[0] == campaign.id and z[1] == unit:
    st.download_button(
        f"下载 {z[2]} 份合格证书（ZIP）", z[3], file_name=f"合格证书_{campaign.id}.zip", mime="application/zip"
    )
with st.form("revoke"):
    st.markdown("**撤销证书**")
    serial = st.text_input("证书编号")
    reason = st.text_input("撤销原因")
    if st.form_submit_button("撤销"):
        try:
            certificates.revoke(app, actor, serial.strip(), reason)
        except Exception as exc:  # noqa: BLE001 - a ServiceError or NotFound: shown to the coordinator
            st.error(esc(str(exc)))
        else:
            st.success("证书已撤销。")
