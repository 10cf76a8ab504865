"""完成情况: headline and the weakest laws; then three tabs: per-unit table (laggards first) with drill-down,
督办清单, charts (heat map, trend, histogram).

The figures are computed once per change of the campaign (a start, a hand-in, a grading: `dashboard.version`) and
at least once a minute, and kept for every coordinator session of the same scope
(``components.dashboard_figures``); the charts are plain Vega-Lite specs over those tables. Only the open tab is
drawn (and sent); the drill-down and the 督办清单 are fragments: choosing in them reruns only them.
"""

import pandas as pd
import streamlit as st

from training_app.services import dashboard, reports
from training_app.services.figures import ROUNDING_NOTE
from training_app.services.jobs import SWEEP_SECONDS
from training_app.ui.components import dashboard_figures
from training_app.ui.components.common import esc, get_app, guard
from training_app.ui.components.staff import pct, pick_campaign, score

actor = guard("coordinator", "admin")
app = get_app()
st.title("完成情况")
campaign = pick_campaign(actor)
if campaign is None:
    st.stop()


actor_key = (actor.id, actor.role, actor.scope_unit_id)
version = dashboard.version(app, actor, campaign.id)
fig = dashboard_figures.figures(actor_key, campaign.id, version, actor)
s = fig["summary"]
units = fig["units"]

# One wrapping row of the six headline figures (three a line on a phone): one block, not two rows of columns.
row = st.container(horizontal=True, gap="medium")
row.metric("应参训", s["eligible"], help="在册（未停用）的应参训人数", width="content")
row.metric("已完成", s["completed"], help="至少交卷一次的人数（即参考人数）", width="content")
row.metric("完成率", pct(s["completion_rate"]), help="已完成人数 ÷ 应参训人数", width="content")
row.metric("合格", s["passed"], width="content")
row.metric("合格率", pct(s["pass_rate"]), help="合格人数 ÷ 已完成（参考）人数", width="content")
row.metric("平均分", score(s["average_score"]), help="已完成人员的成绩平均分", width="content")
st.caption(
    f"未参考 {s['not_started']} 人；合格人数占应参训人数 {pct(s['pass_rate_of_eligible'])}；"
    f"合格线 {s['pass_mark']:.0f} 分。{ROUNDING_NOTE}"
)
st.caption(  # the page only reads: attempts past their deadline are closed by the sweep, not by drawing this page
    f"超过考试时限仍未交卷的答卷，由系统每 {SWEEP_SECONDS:.0f} 秒自动收卷并按已保存的答案评分后计入上述数字，"
    "因此统计可能滞后约 1 分钟。"
)
weak = fig["weak"]
if weak:  # which law everyone gets wrong, whichever tab is open
    st.caption("正确率最低的法律法规：" + "，".join(f"《{esc(w['law_title'])}》{pct(w['accuracy'])}" for w in weak))

unit_options = {u["unit_id"]: u["unit"] for u in units}
unit_ids = list(unit_options)

# Only the open tab is drawn: opening another is a rerun that draws that one.
units_tab, todo_tab, charts_tab = st.tabs(
    ["各单位情况（落后单位在前）", "督办清单", "图表"], key="dash_tab", on_change="rerun"
)


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


if units_tab.open:
    with units_tab:
        units_section()


@st.fragment
def todo_section() -> None:
    """督办清单: choosing the scope or the unit reruns only this."""
    c1, c2 = st.columns([2, 3])
    only = c1.radio(
        "范围",
        list(reports.SCOPE_ONLY.values()),
        horizontal=True,
        key="todo_scope",
        help="未参考：还没有开始考试；未完成：还没有交卷（含正在作答）；未合格：尚未取得合格成绩（含未参考、未完成）",
    )
    todo_unit = c2.selectbox(
        "单位", [None, *unit_ids], format_func=lambda i: "全部单位" if i is None else unit_options[i], key="todo_unit"
    )
    key = next(k for k, label in reports.SCOPE_ONLY.items() if label == only)
    wanted = (campaign.id, key, todo_unit)
    listing = st.container()  # above the button, filled after it: a click reads the list afresh with the CSV
    if st.button("生成督办清单 CSV", key="make_csv"):
        st.session_state["_todo_csv"] = (wanted, *reports.supervision_csv(app, actor, campaign.id, key, todo_unit))
        dashboard_figures.todo.clear()
    todo = dashboard_figures.todo(actor_key, campaign.id, version, key, todo_unit, actor)
    where = "" if todo_unit is None else f"{unit_options[todo_unit]} "
    listing.caption(f"{esc(where)}{only} 共 {todo.num_rows} 人（下载的 CSV 与下表一致）")
    if todo.num_rows:
        listing.dataframe(todo, hide_index=True, width="stretch")
    else:  # an empty table would show Streamlit's own English "empty"
        listing.caption("（无）")
    made = st.session_state.get("_todo_csv")
    if made and made[0] == wanted:
        st.download_button(f"下载督办清单（{esc(where)}{only}，CSV）", made[2], file_name=made[1], mime="text/csv")


if todo_tab.open:
    with todo_tab:
        todo_section()


if charts_tab.open:
    with charts_tab:
        heat_tab, days_tab, bins_tab = st.tabs(
            ["单位 × 法律 正确率", "每日完成人数", "成绩分布"], key="dash_chart", on_change="rerun"
        )
        if heat_tab.open:
            with heat_tab:
                if fig["grid"] is not None:
                    st.vega_lite_chart(fig["grid"], fig["heat_spec"], width="stretch")
                    st.caption(
                        "颜色由红到绿表示正确率由低到高（30% 及以下同为最红）；灰色格表示该单位尚无人作答该法律的题目。"
                    )
                else:
                    st.caption("还没有作答记录。")
        if days_tab.open:
            with days_tab:
                if fig["days"].num_rows:
                    st.vega_lite_chart(fig["days"], fig["days_spec"], width="stretch")
                else:
                    st.caption("还没有人完成考试。")
        if bins_tab.open:
            with bins_tab:
                st.vega_lite_chart(fig["bins"], fig["bins_spec"], width="stretch")
