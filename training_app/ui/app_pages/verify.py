"""证书查验: anyone can check a 合格证书 by its serial number and verification code (no login)."""

import streamlit as st

from training_app.services import certificates
from training_app.ui.components.common import esc, fmt_dt, get_app

app = get_app()
st.title("证书查验")
st.caption(f"输入证书上的证书编号和验证码，核验证书真伪及是否仍然有效。发证机关：{esc(app.settings.cert_issuer)}。")
params = st.query_params
with st.form("verify"):
    serial = st.text_input("证书编号", value=params.get("serial", ""))
    code = st.text_input("验证码", value=params.get("code", ""))
    ok = st.form_submit_button("查验", type="primary")
if ok or (params.get("serial") and params.get("code")):
    info = certificates.verify(app, serial, code)
    if info is None:
        st.error("未查到与该编号和验证码相符的证书。")
    elif info.valid:
        st.success("证书真实有效。")
    else:
        st.warning("证书真实，但已失效（已撤销，或成绩复核后不再合格）。")
    if info is not None:
        st.markdown(
            f"**姓名**　{esc(info.name)}  \n**单位**　{esc(info.unit)}  \n**培训任务**　{esc(info.campaign)}  \n"
            f"**发证机关**　{esc(info.issuer)}  \n**发证日期**　{fmt_dt(info.issued_at)[:10]}"
        )
