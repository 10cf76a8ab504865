"""完成情况: headline, per-unit table (laggards first) with drill-down, 督办清单, trend, histogram, heat map."""

import altair as alt
import pandas as pd
import streamlit as st

from training_app.services import dashboard, reports
from training_app.services.figures import ROUNDING_NOTE
from training_app.services.jobs import SWEEP_SECONDS
from training_app.ui.components.common import esc, get_app, guard
from training_app.ui.components.staff import pct, pick_campaign, score

actor = guard("coordinator", "admin")
app = get_app()
st.title("完成情况")
campaign = pick_campaign(actor)
if campaign is None:
    st.stop()

with st.spinner("正在统计……"):
    s = dashboard.summary(app, actor, campaign.id)
    units = dashboard.units_table(app, actor, campaign.id)

c = st.columns(3)
c[0].metric("应参训", s["eligible"], help="在册（未停用）的应参训人数")
c[1].metric("已完成", s["completed"], help="至少交卷一次的人数（即参考人数）")
c[2].metric("完成率", pct(s["completion_rate"]), help="已完成人数 ÷ 应参训人数")
c = st.columns(3)
c[0].metric("合格", s["passed"])
c[1].metric("合格率", pct(s["pass_rate"]), help="合格人数 ÷ 已完成（参考）人数")
c[2].metric("平均分", score(s["average_score"]), help="已完成人员的成绩平均分")
st.caption(
    f"未参考 {s['not_started']} 人；合格人数占应参训人数 {pct(s['pass_rate_of_eligible'])}；"
    f"合格线 {s['pass_mark']:.0f} 分。{ROUNDING_NOTE}"
)
st.caption(  # the page only reads: attempts past their deadline are closed by the sweep, not by drawing this page
    f"超过考试时限仍未交卷的答卷，由系统每 {SWEEP_SECONDS:.0f} 秒自动收卷并按已保存的答案评分后计入上述数字，"
    "因此统计可能滞后约 1 分钟。"
)

st.subheader("各单位情况（落后单位在前）")
table = pd.DataFrame(
    [
        {
            "单位": u["unit"],
            "应参训": u["eligible"],
            "已完成": u["completed"],
            "完成率": pct(u["completion_rate"]),
            "合格": u["passed"],
            "合格率": pct(u["pass_rate"]),
            "平均分": score(u["average_score"]),
            "学时达标率": pct(u["study_target_rate"]),
        }
        for u in units
    ],
    columns=["单位", "应参训", "已完成", "完成率", "合格", "合格率", "平均分", "学时达标率"],
)
event = st.dataframe(
    table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="unit_table"
)
picked = event.selection.rows if event and hasattr(event, "selection") else []
unit_options = {u["unit_id"]: u["unit"] for u in units}
default_unit = units[picked[0]]["unit_id"] if picked else None
unit_ids = list(unit_options)
drill = st.selectbox(
    "查看单位人员",
    [None, *unit_ids],
    index=(unit_ids.index(default_unit) + 1) if default_unit else 0,
    format_func=lambda i: "（选择单位）" if i is None else unit_options[i],
)
if drill is not None:
    people = dashboard.people(app, actor, campaign.id, unit_id=drill)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "姓名": p["name"],
                    "账号": p["account"],
                    "职务": p["title"] or "",
                    "手机": p["phone"] or "",
                    "状态": p["status"],
                    "成绩": score(p["grade"]),
                    "本年学时": score(p["study_hours"]),
                }
                for p in people
            ],
            columns=["姓名", "账号", "职务", "手机", "状态", "成绩", "本年学时"],
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("督办清单")
c1, c2 = st.columns([2, 3])
only = c1.radio(
    "范围",
    ["未参考", "未完成", "未合格"],
    horizontal=True,
    key="todo_scope",
    help="未参考：还没有开始考试；未完成：还没有交卷（含正在作答）；未合格：尚未取得合格成绩（含未参考、未完成）",
)
todo_unit = c2.selectbox(
    "单位", [None, *unit_ids], format_func=lambda i: "全部单位" if i is None else unit_options[i], key="todo_unit"
)
key = {"未参考": "not_started", "未完成": "not_completed", "未合格": "not_passed"}[only]
todo = reports.supervision_frame(app, actor, campaign.id, key, todo_unit)
where = "" if todo_unit is None else f"{unit_options[todo_unit]} "
st.caption(f"{esc(where)}{only} 共 {len(todo)} 人（下载的 CSV 与下表一致）")
st.dataframe(todo, hide_index=True, width="stretch")
wanted = (campaign.id, key, todo_unit)
if st.button("生成督办清单 CSV", key="make_csv"):
    st.session_state["_todo_csv"] = (wanted, *reports.supervision_csv(app, actor, campaign.id, key, todo_unit))
made = st.session_state.get("_todo_csv")
if made and made[0] == wanted:
    st.download_button(f"下载督办清单（{esc(where)}{only}，CSV）", made[2], file_name=made[1], mime="text/csv")


def _day(d) -> str:
    return f"{d.month}月{d.day}日"


st.subheader("每日完成人数")
trend = dashboard.trend(app, actor, campaign.id)
if trend:
    days = pd.DataFrame([(_day(d), n) for d, n in trend], columns=["日期", "完成人数"])
    st.altair_chart(
        alt.Chart(days)
        .mark_bar()
        .encode(
            x=alt.X("日期:N", sort=list(days["日期"]), title="日期", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("完成人数:Q", title="完成人数"),
            tooltip=[alt.Tooltip("日期:N", title="日期"), alt.Tooltip("完成人数:Q", title="完成人数")],
        ),
        width="stretch",
    )
else:
    st.caption("还没有人完成考试。")
st.subheader("成绩分布")
hist = dashboard.histogram(app, actor, campaign.id)
bins = pd.DataFrame([(f"{lo}–{lo + 9 if lo < 90 else 100}分", n) for lo, n in hist], columns=["分数段", "人数"])
st.altair_chart(
    alt.Chart(bins)
    .mark_bar()
    .encode(
        x=alt.X("分数段:N", sort=list(bins["分数段"]), title="分数段", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("人数:Q", title="人数"),
        tooltip=[alt.Tooltip("分数段:N", title="分数段"), alt.Tooltip("人数:Q", title="人数")],
    ),
    width="stretch",
)

st.subheader("单位 × 法律 正确率")
heat = dashboard.heatmap(app, actor, campaign.id)
if heat:
    df = pd.DataFrame(heat)
    grid = (
        pd.MultiIndex.from_product(
            [sorted(df["unit"].unique()), sorted(df["law_title"].unique())], names=["unit", "law_title"]
        )
        .to_frame(index=False)
        .merge(df[["unit", "law_title", "accuracy", "answered"]], how="left", on=["unit", "law_title"])
    )
    grid["answered"] = grid["answered"].fillna(0).astype(int)
    grid["正确率"] = grid["accuracy"].map(lambda a: "—" if pd.isna(a) else pct(a))
    grid["说明"] = "尚无作答"
    n_units = grid["unit"].nunique()
    base = alt.Chart(grid).encode(
        x=alt.X(
            "law_title:N",
            title="法律法规",
            axis=alt.Axis(labelAngle=-90, labelLimit=220, labelOverlap=False, labelFontSize=11),
        ),
        y=alt.Y("unit:N", title="单位", axis=alt.Axis(labelLimit=260, labelOverlap=False, labelFontSize=12)),
        tooltip=[
            alt.Tooltip("unit:N", title="单位"),
            alt.Tooltip("law_title:N", title="法律法规"),
            alt.Tooltip("正确率:N", title="正确率"),
            alt.Tooltip("answered:Q", title="作答题次"),
        ],
    )
    scored = (
        base.transform_filter("datum.accuracy != null")
        .mark_rect()
        .encode(
            color=alt.Color(
                "accuracy:Q",
                title="正确率",
                scale=alt.Scale(scheme="redyellowgreen", domain=[0.3, 1.0], clamp=True),
                legend=alt.Legend(format=".0%", labelExpr="datum.value <= 0.3 ? '≤30%' : datum.label"),
            )
        )
    )
    empty = (
        base.transform_filter("datum.accuracy == null")
        .mark_rect()
        .encode(color=alt.Color("说明:N", title="空白格", scale=alt.Scale(domain=["尚无作答"], range=["#e6e6e6"])))
    )
    st.altair_chart(
        alt.layer(empty, scored).resolve_scale(color="independent").properties(height=max(200, 24 * n_units)),
        width="stretch",
    )
    st.caption("颜色由红到绿表示正确率由低到高（30% 及以下同为最红）；灰色格表示该单位尚无人作答该法律的题目。")
    weak = dashboard.weakest_laws(app, actor, campaign.id)
    if weak:
        st.caption("正确率最低的法律法规：" + "，".join(f"《{esc(w['law_title'])}》{pct(w['accuracy'])}" for w in weak))
