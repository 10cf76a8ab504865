"""考试诚信: integrity signals with their evidence; a coordinator dismisses a flag with a reason (audited)."""

import pandas as pd
import streamlit as st

from training_app.services import integrity
from training_app.services.common import ServiceError
from training_app.ui.components.common import esc, flash, fmt_dt, get_app, guard, show_flash
from training_app.ui.components.staff import pick_campaign

actor = guard("coordinator", "admin")
app = get_app()
st.title("考试诚信")
st.caption(
    "以下只是需要人工核实的提示，不是处理结论：答题过快且得分高、两份答卷答案高度雷同（含相同的错误答案）、"
    "同一答卷在两个浏览器中同时作答。阈值可由部署配置调整（见 README）。"
)
show_flash()


def _when(iso) -> str:
    """A stored UTC timestamp in local time (Chinese date order); nothing when there is none."""
    if not iso:
        return ""
    return fmt_dt(pd.Timestamp(iso).to_pydatetime(), True)


def _answer(value) -> str:
    if value is None:
        return "未作答"
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return {"T": "正确", "F": "错误"}.get(str(value), str(value))


campaign = pick_campaign(actor)
if campaign is None:
    st.stop()
if st.button("扫描本次考试", type="primary"):
    with st.spinner("正在分析答题记录……"):
        n = integrity.scan(app, actor, campaign.id)
    flash(f"扫描完成，新增 {n} 条提示。")
    st.rerun()
show_all = st.checkbox("包括已排除的提示")
rows = integrity.flags(app, actor, campaign.id, include_dismissed=show_all)
st.metric("待核实的提示", sum(1 for r in rows if not r.dismissed))
for f in rows:
    title = f"{f.label}：{f.person}（{f.account}，{f.unit}）" + (f" 与 {f.other}" if f.other else "")
    with st.expander(("［已排除］" if f.dismissed else "") + esc(title)):
        ev = f.evidence
        if f.kind == "fast":
            st.write(
                f"作答 {ev['answered']} 题，服务器记录的相邻作答间隔中位数 {ev['median_seconds']} 秒，"
                f"用时 {ev['total_minutes']} 分钟，得分 {ev['percent']:.1f}。"
            )
        elif f.kind == "copy":
            st.write(
                f"共同题目 {ev['common']} 道，答案相同 {ev['identical']} 道，其中相同的错误答案 {ev['identical_wrong']} 道；"
                f"开考时间 {fmt_dt(pd.Timestamp(ev['started'][0]).to_pydatetime(), True)} / "
                f"{fmt_dt(pd.Timestamp(ev['started'][1]).to_pydatetime(), True)}。"
            )
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "题号": r.get("question", ""),
                            "答卷一": _answer(r.get("a")),
                            "答卷二": _answer(r.get("b")),
                            "是否正确": "正确" if r.get("correct") else "错误",
                            "答卷一时间": _when(r.get("a_at")),
                            "答卷二时间": _when(r.get("b_at")),
                        }
                        for r in ev["answers"]
                    ]
                ),
                hide_index=True,
            )
        else:
            st.write(f"{ev['clients']} 个浏览器会话交替保存答案 {ev['switches']} 次。")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "保存时间": _when(e.get("at")),
                            "题号（序号）": e.get("slot", ""),
                            "浏览器会话": e.get("client", ""),
                        }
                        for e in ev["timeline"]
                    ],
                    columns=["保存时间", "题号（序号）", "浏览器会话"],
                ),
                hide_index=True,
            )
        if f.dismissed:
            st.caption(f"排除理由：{esc(f.dismiss_reason)}")
        else:
            with st.form(f"dismiss_{f.id}"):
                reason = st.text_input("排除理由（将记入审计日志）")
                if st.form_submit_button("排除此提示"):
                    try:
                        integrity.dismiss(app, actor, f.id, reason)
                    except ServiceError as exc:
                        st.error(esc(str(exc)))
                    else:
                        flash("已排除。")
                        st.rerun()
