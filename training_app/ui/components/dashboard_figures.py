"""完成情况's figures, computed once per campaign version and scope and kept for every coordinator session.

Defined here, not in the page script: a cached function defined in a script is defined again on every run, and
Streamlit then reads its source to key it (a tenth of the page's run). The tables are kept as Arrow tables, so a
run sends them as they are instead of converting a pandas frame each time (most of the rest).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import streamlit as st

from ...services import dashboard, reports
from ...services.common import Actor
from .common import get_app
from .staff import pct, score


def arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as the Arrow table Streamlit would have made of it on each run (without the index)."""
    return pa.Table.from_pandas(frame, preserve_index=False)


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
    """Every figure of the page for one campaign, one scope and one version (shared read-only by the sessions).
    The tables and the charts' data are kept as Arrow tables: a page run sends them without converting again."""
    app = get_app()
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
        "table": arrow(table),
        "days": arrow(days),
        "days_spec": _bar("日期", "完成人数", list(days["日期"])),
        "bins": arrow(bins),
        "bins_spec": _bar("分数段", "人数", list(bins["分数段"])),
        "grid": None if grid is None else arrow(grid),
        "heat_spec": _heat_spec(n_units),
        "weak": dashboard.weakest_laws(app, _actor, campaign_id) if heat else [],
    }


@st.cache_resource(ttl=60, max_entries=256, show_spinner=False)
def todo(actor_key: tuple, campaign_id: int, version: tuple, only: str, unit_id: int | None, _actor: Actor) -> pa.Table:
    """The 督办清单 as ``reports.supervision_frame`` gives it, for one campaign version, scope, list and unit: a
    start or a hand-in changes the version, so it is never behind the exam; a roster change shows within a minute
    (as the page says), and generating the CSV clears it (``todo.clear``), so the table then is the CSV."""
    return arrow(reports.supervision_frame(get_app(), _actor, campaign_id, only, unit_id))
