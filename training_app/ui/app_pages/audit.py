"""审计日志 (admins): who did what, when, to what, and how it ended, in Chinese; filters, export; the hash chain
verified; locks and address blocks in force, each lifted with one click."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from training_app.services import admin, auth
from training_app.services.admin import AuditFilter
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, flash, fmt_dt, get_app, guard, show_flash
from training_app.vocab import AUDIT_EVENTS, AUDIT_OUTCOMES

actor = guard("admin")
app = get_app()
st.title("审计日志")
show_flash()
ok, n, problem = admin.verify_audit(app, actor)
(st.success if ok else st.error)(f"哈希链校验：{'完整' if ok else '发现改动'}（{n} 条）{esc(problem)}")

st.subheader("登录锁定与限流")
blocks = auth.login_blocks(app, actor)
if not blocks:
    st.caption("目前没有被锁定的账号或被限流的地址。")
KIND = {"account": "账号（所有地址）", "pair": "账号（单个地址）", "ip": "地址"}
for b in blocks:
    c1, c2 = st.columns([4, 1])
    who = b.account or b.address
    c1.text(
        f"{KIND[b.kind]}：{who}"
        + (f"（地址 {b.address}）" if b.kind == "pair" and b.address else "")
        + f"　至 {fmt_dt(b.blocked_until)}　第 {b.block_count} 次"
    )
    if c2.button("解除", key=f"lift_{b.key}"):
        try:
            auth.lift_block(app, actor, b.key)
        except ServiceError as exc:
            st.error(esc(str(exc)))
        else:
            flash(f"已解除：{who}")
            st.rerun()

st.subheader("记录")
c1, c2, c3 = st.columns(3)
person = c1.text_input("人员（账号或姓名）")
event = c2.selectbox("事件", ["", *AUDIT_EVENTS], format_func=lambda e: "全部事件" if not e else AUDIT_EVENTS[e])
outcome = c3.selectbox("结果", ["", *AUDIT_OUTCOMES], format_func=lambda o: "全部结果" if not o else AUDIT_OUTCOMES[o])
c1, c2 = st.columns(2)
today = pd.Timestamp.now(tz=app.settings.timezone).date()
since = c1.date_input("起始日期", value=today - timedelta(days=30), format="YYYY-MM-DD")
until = c2.date_input("截止日期", value=today, format="YYYY-MM-DD")
filters = AuditFilter(person=person, event=event, outcome=outcome, since=since, until=until)
rows = admin.audit_records(app, actor, limit=1000, filters=filters)
st.caption(f"共 {len(rows)} 条（最多显示 1000 条；导出包含全部符合条件的记录）")
st.dataframe(
    pd.DataFrame(admin.audit_frame_rows(app, rows), columns=["时间", "事件", "操作人", "对象", "结果", "详情"]),
    hide_index=True,
    width="stretch",
)
if st.button("生成导出文件（CSV）"):
    st.session_state["_audit_csv"] = admin.audit_export(app, actor, filters)
if st.session_state.get("_audit_csv"):
    st.download_button(
        "下载审计记录（CSV）",
        st.session_state["_audit_csv"],
        file_name=f"审计日志_{today:%Y%m%d}.csv",
        mime="text/csv",
        on_click=lambda: st.session_state.pop("_audit_csv", None),
    )

st.subheader("清理过期记录")
days = app.settings.audit_retention_days
st.caption(
    f"审计记录至少保存 {days} 天（《网络安全法》第二十一条要求网络日志留存不少于六个月）；只能清理更早的记录，清理本身也记入审计日志。"
)
if st.button(f"清理 {days} 天以前的审计记录"):
    n = admin.purge_audit(app, actor)
    st.success(f"已清理 {n} 条记录。")
