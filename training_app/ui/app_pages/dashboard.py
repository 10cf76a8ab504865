"""完成情况: headline, per-unit table (laggards first) with drill-down, 督办清单, trend, histogram, heat map.

The figures are computed once per change of the campaign (a start, a hand-in, a grading: `dashboard.version`) and
at least once a minute, and kept for every coordinator session of the same scope; the charts are plain Vega-Lite
specs over those tables. The drill-down and the 督办清单 are fragments: choosing in them reruns only them.
"""

import pandas as pd
import streamlit as st

from training_app.services import dashboard, reports
from training_app.services.common import Actor
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


def _day(d) -> str:
    return f"{d.month}月{d.day}日"


def _bar(x: str, y: str, order: list[str]) -> dict:
    return {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": x, "type": "nominal", "sort": order, "title": x, "axis": {"labelAngle": 0}},
            "y": {"field": y, "type": "quantitative", "title": y},
            "tooltip": [{"field": x, "type": "nominal", "title": x}, {"field": y, "type": "quantitative", "title": y}],
        },
    }


def _heat_spec(n_units: int) -> dict:
    axis_x = {"labelAngle": -90, "labelLimit": 220, "labelOverlap": False, "labelFontSize": 11}
    base = {
        "x": {"field": "law_title", "type": "nominal", "title": "法律法规", "axis": axis_x},
        "y": {
            "field": "unit",
            "type": "nominal",
            "title": "单位",
            "axis": {"labelLimit": 260, "labelOverlap": False, "labelFontSize": 12},
        },
        "tooltip": [
            {"field": "unit", "type": "nominal", "title": "单位"},
            {"field": "law_title", "type": "nominal", "title": "法律法规"},
            {"field": "正确率", "type": "nominal", "title": "正确率"},
            {"field": "answered", "type": "quantitative", "title": "作答题次"},
        ],
    }
    empty = {
        "field": "说明",
        "type": "nominal",
        "title": "空白格",
        "scale": {"domain": ["尚无作答"], "range": ["#e6e6e6"]},
    }
    scored = {
        "field": "accuracy",
        "type": "quantitative",
        "title": "正确率",
        "scale": {"scheme": "redyellowgreen", "domain": [0.3, 1.0], "clamp": True},
        "legend": {"format": ".0%", "labelExpr": "datum.value <= 0.3 ? '≤30%' : datum.label"},
    }
    return {
        "height": max(200, 24 * n_units),
        "layer": [
            {
                "mark": {"type": "rect"},
                "transform": [{"filter": "datum.accuracy == null"}],
                "encoding": {**base, "color": empty},
            },
            {
                "mark": {"type": "rect"},
                "transform": [{"filter": "datum.accuracy != null"}],
                "encoding": {**base, "color": scored},
            },
        ],
        "resolve": {"scale": {"color": "independent"}},
    }


@st.cache_resource(ttl=60, max_entries=64, show_spinner="正在统计……")
def figures(actor_key: tuple, campaign_id: int, version: tuple, _actor: Actor) -> dict:
    """Every figure of the page for one campaign, one scope and one version (shared read-only by the sessions)."""
    s = dashboard.summary(app, _actor, campaign_id)
    units = dashboard.units_table(app, _actor, campaign_id)
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
    trend = dashboard.trend(app, _actor, campaign_id)
    days = pd.DataFrame([(_day(d), n) for d, n in trend], columns=["日期", "完成人数"])
    hist = dashboard.histogram(app, _actor, campaign_id)
    bins = pd.DataFrame([(f"{lo}–{lo + 9 if lo < 90 else 100}分", n) for lo, n in hist], columns=["分数段", "人数"])
    heat = dashboard.heatmap(app, _actor, campaign_id)
    grid, n_units = None, 0
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
        n_units = int(grid["unit"].nunique())
    return {
        "summary": s,
        "units": units,
        "table": table,
        "days": days,
        "days_spec": _bar("日期", "完成人数", list(days["日期"])),
        "bins": bins,
        "bins_spec": _bar("分数段", "人数", list(bins["分数段"])),
        "grid": grid,
        "heat_spec": _heat_spec(n_units),
        "weak": dashboard.weakest_laws(app, _actor, campaign_id) if heat else [],
    }


fig = figures(
    (actor.id, actor.role, actor.scope_unit_id), campaign.id, dashboard.version(app, actor, campaign.id), actor
)
s = fig["summary"]
units = fig["units"]

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

unit_options = {u["unit_id"]: u["unit"] for u in units}
unit_ids = list(unit_options)

st.subheader("各单位情况（落后单位在前）")


@st.fragment
def units_section() -> None:
    """The unit table and one unit's people: picking a row or a unit reruns only this."""
    event = st.dataframe(
        fig["table"], hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="unit_table"
    )
    picked = event.selection.rows if event and hasattr(event, "selection") else []
    default_unit = units[picked[0]]["unit_id"] if picked else None
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


units_section()


@st.fragment
def todo_section() -> None:
    """督办清单: choosing the scope or the unit reruns only this."""
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
    if len(todo):
        st.dataframe(todo, hide_index=True, width="stretch")
    else:  # an empty table would show Streamlit's own English "empty"
        st.caption("（无）")
    wanted = (campaign.id, key, todo_unit)
    if st.button("生成督办清单 CSV", key="make_csv"):
        st.session_state["_todo_csv"] = (wanted, *reports.supervision_csv(app, actor, campaign.id, key, todo_unit))
    made = st.session_state.get("_todo_csv")
    if made and made[0] == wanted:
        st.download_button(f"下载督办清单（{esc(where)}{only}，CSV）", made[2], file_name=made[1], mime="text/csv")


st.subheader("督办清单")
todo_section()


st.subheader("每日完成人数")
if len(fig["days"]):
    st.vega_lite_chart(fig["days"], fig["days_spec"], width="stretch")
else:
    st.caption("还没有人完成考试。")
st.subheader("成绩分布")
st.vega_lite_chart(fig["bins"], fig["bins_spec"], width="stretch")

st.subheader("单位 × 法律 正确率")
if fig["grid"] is not None:
    st.vega_lite_chart(fig["grid"], fig["heat_spec"], width="stretch")
    st.caption("颜色由红到绿表示正确率由低到高（30% 及以下同为最红）；灰色格表示该单位尚无人作答该法律的题目。")
    weak = fig["weak"]
    if weak:
        st.caption("正确率最低的法律法规：" + "，".join(f"《{esc(w['law_title'])}》{pct(w['accuracy'])}" for w in weak))
