"""完成情况: headline, per-unit table (laggards first) with drill-down, 督办清单, trend, histogram, heat map."""

import altair as alt
import pandas as pd
import streamlit as st

from training_app.services import campaigns, dashboard, reports
from training_app.ui.components.common import get_app, guard
from training_app.ui.components.staff import pct, pick_campaign

actor = guard("coordinator", "admin")
app = get_app()
st.title("完成情况")
campaign = pick_campaign(actor)
if campaign is None:
    st.stop()

with st.spinner("正在统计……"):
    campaigns.sweep(app, actor, campaign_id=campaign.id)  # close attempts past their deadline first
    s = dashboard.summary(app, actor, campaign.id)
    units = dashboard.units_table(app, actor, campaign.id)

c = st.columns(3)
c[0].metric("应参训", s["eligible"])
c[1].metric("已完成", s["completed"])
c[2].metric("完成率", pct(s["completion_rate"]))
c = st.columns(3)
c[0].metric("合格", s["passed"])
c[1].metric("合格率", pct(s["pass_rate"]))
c[2].metric("平均分", "—" if s["average_score"] is None else f"{s['average_score']:.1f}")
st.caption(f"未参考 {s['not_started']} 人；合格线 {s['pass_mark']:.0f} 分。")

st.subheader("各单位情况（落后单位在前）")
table = pd.DataFrame([{"单位": u["unit"], "应参训": u["eligible"], "已完成": u["completed"], "完成率": pct(u["completion_rate"]),
                       "合格率": pct(u["pass_rate"]),
                       "平均分": None if u["average_score"] is None else round(u["average_score"], 1),
                       "学时达标率": pct(u["study_target_rate"])} for u in units])
event = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                     key="unit_table")
picked = event.selection.rows if event and hasattr(event, "selection") else []
unit_options = {u["unit_id"]: u["unit"] for u in units}
default_unit = units[picked[0]]["unit_id"] if picked else None
unit_ids = list(unit_options)
drill = st.selectbox("查看单位人员", [None, *unit_ids], index=(unit_ids.index(default_unit) + 1) if default_unit else 0,
                     format_func=lambda i: "（选择单位）" if i is None else unit_options[i])
if drill is not None:
    people = dashboard.people(app, actor, campaign.id, unit_id=drill)
    st.dataframe(pd.DataFrame([{"姓名": p["name"], "账号": p["account"], "职务": p["title"], "手机": p["phone"],
                                "状态": p["status"], "成绩": p["grade"], "本年学时": p["study_hours"]} for p in people]),
                 hide_index=True, width="stretch")

st.subheader("督办清单")
only = st.radio("范围", ["未参考", "未完成", "未合格"], horizontal=True, key="todo_scope")
key = {"未参考": "not_started", "未完成": "not_completed", "未合格": "not_passed"}[only]
todo = dashboard.people(app, actor, campaign.id, only=key)
st.caption(f"共 {len(todo)} 人")
st.dataframe(pd.DataFrame([{"单位": p["unit"], "姓名": p["name"], "账号": p["account"], "手机": p["phone"],
                            "状态": p["status"]} for p in todo]), hide_index=True, width="stretch")
if st.button("生成督办清单 CSV", key="make_csv"):
    st.session_state["_todo_csv"] = reports.supervision_csv(app, actor, campaign.id)
if st.session_state.get("_todo_csv"):
    st.download_button("下载督办清单（CSV）", st.session_state["_todo_csv"], file_name=f"督办清单_{campaign.id}.csv",
                       mime="text/csv")

st.subheader("每日完成人数")
trend = dashboard.trend(app, actor, campaign.id)
if trend:
    st.bar_chart(pd.DataFrame(trend, columns=["日期", "完成人数"]).set_index("日期"))
st.subheader("成绩分布")
hist = dashboard.histogram(app, actor, campaign.id)
st.bar_chart(pd.DataFrame([(f"{lo}-{lo + 9 if lo < 90 else 100}", n) for lo, n in hist],
                          columns=["分数段", "人数"]).set_index("分数段"))

st.subheader("单位 × 法律 正确率")
heat = dashboard.heatmap(app, actor, campaign.id)
if heat:
    df = pd.DataFrame(heat)
    chart = alt.Chart(df).mark_rect().encode(
        x=alt.X("law_title:N", title="法律法规"), y=alt.Y("unit:N", title="单位"),
        color=alt.Color("accuracy:Q", title="正确率", scale=alt.Scale(scheme="redyellowgreen", domain=[0.3, 1.0])),
        tooltip=[alt.Tooltip("unit:N", title="单位"), alt.Tooltip("law_title:N", title="法律法规"),
                 alt.Tooltip("accuracy:Q", title="正确率", format=".0%"), alt.Tooltip("answered:Q", title="作答题次")])
    st.altair_chart(chart, width="stretch")
    weak = dashboard.weakest_laws(app, actor, campaign.id)
    if weak:
        st.caption("正确率最低的法律法规：" + "，".join(f"《{w['law_title']}》{w['accuracy']:.0%}" for w in weak))
