"""试题分析: facility, discrimination and option distribution per question; flagged questions first."""

import pandas as pd
import streamlit as st

from training_app.services import dashboard
from training_app.ui.components.common import esc, get_app, guard
from training_app.ui.components.staff import pick_campaign

actor = guard("coordinator", "admin")
app = get_app()
st.title("试题分析")
st.caption(
    f"难度系数 = 正确率；区分度 = 本题得分与其余题目得分的相关系数。作答满 {dashboard.MIN_ATTEMPTS_FOR_FLAGS} 人的题目，"
    "区分度为负或低于 0.2、正确率高于 95% 或低于 20% 时提示复核，以免错题误导学员。"
)
campaign = pick_campaign(actor)
if campaign is None:
    st.stop()
with st.spinner("正在统计……"):
    rows = dashboard.item_analysis(app, actor, campaign.id)
flagged = [r for r in rows if r.flags]
st.metric("需复核的题目", len(flagged))


def _two(x: float | None) -> str:
    """Two decimals, half up (the one rounding rule); no value (too few answers, or no spread) → —."""
    from decimal import ROUND_HALF_UP, Decimal

    return "—" if x is None else str(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


table = pd.DataFrame(
    [
        {
            "题号": r.question_id,
            "法律法规": r.law,
            "题型": r.type,
            "作答人数": r.attempts,
            "难度系数": _two(r.facility),
            "区分度": _two(r.discrimination),
            "提示": "、".join(r.flags),
        }
        for r in rows
    ],
    columns=["题号", "法律法规", "题型", "作答人数", "难度系数", "区分度", "提示"],
)
st.caption("“—”：作答人数太少或得分没有差异，无法计算。")
st.dataframe(table, hide_index=True, width="stretch")
pick = st.selectbox(
    "查看选项分布",
    [r.question_id for r in rows] or [None],
    format_func=lambda q: "（还没有作答数据）" if q is None else q,
)
row = next((r for r in rows if r.question_id == pick), None)
if row:
    st.markdown(esc(row.stem))
    st.dataframe(
        pd.DataFrame(
            [{"选项": label, "人数": n, "正确答案": "✔" if key else ""} for label, n, key in row.options]
            + [{"选项": "未作答", "人数": row.blank, "正确答案": ""}]
        ),
        hide_index=True,
    )
