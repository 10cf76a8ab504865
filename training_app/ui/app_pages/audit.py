"""审计日志 (admins): who did what, when, to what, and how it ended; the hash chain verified."""

import pandas as pd
import streamlit as st

from training_app.services import admin
from training_app.ui.components.common import fmt_dt, get_app, guard

actor = guard("admin")
app = get_app()
st.title("审计日志")
ok, n, problem = admin.verify_audit(app, actor)
(st.success if ok else st.error)(f"哈希链校验：{'完整' if ok else '发现改动'}（{n} 条）{problem}")
event = st.text_input("按事件类型筛选（如 login、roster_import、export）")
rows = admin.audit_records(app, actor, event=event.strip() or None)
st.dataframe(pd.DataFrame([{"时间": fmt_dt(r["at"], True), "事件": r["event"], "操作人": r["actor"], "对象": r["object"],
                            "结果": r["outcome"], "详情": r["detail"]} for r in rows]), hide_index=True,
             width="stretch")

st.subheader("清理过期记录")
days = app.settings.audit_retention_days
st.caption(f"审计记录至少保存 {days} 天（《网络安全法》第二十一条要求网络日志留存不少于六个月）；只能清理更早的记录，清理本身也记入审计日志。")
if st.button(f"清理 {days} 天以前的审计记录"):
    n = admin.purge_audit(app, actor)
    st.success(f"已清理 {n} 条记录。")
