"""Exports for the annual report: the campaign workbook, CSV, the JSON summary and a generated paragraph."""

from __future__ import annotations

import pandas as pd

from ..store import audit
from ..store.db import write_session
from . import dashboard
from .common import Actor, App
from .exports import csv_bytes, workbook_bytes

STATUS_ORDER = {"未参考": 0, "进行中": 1, "未合格": 2, "已合格": 3}


def system_actor() -> Actor:
    """The CLI acts as an admin (it runs with the server's own rights)."""
    return Actor(id=0, account="cli", name="命令行", role="admin")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def campaign_report(app: App, actor: Actor, campaign_id: int, *, lag_threshold: float = 0.8) -> dict:
    s = dashboard.summary(app, actor, campaign_id)
    units = dashboard.units_table(app, actor, campaign_id)
    weak = dashboard.weakest_laws(app, actor, campaign_id, n=3)
    by_unit = [{"unit": u["unit"], "eligible": u["eligible"], "completed": u["completed"], "passed": u["passed"],
                "completion_rate": u["completion_rate"], "pass_rate": u["pass_rate"],
                "average_score": u["average_score"], "study_target_rate": u["study_target_rate"]} for u in units]
    lagging = [u["unit"] for u in units if (u["completion_rate"] or 0) < lag_threshold]
    report = {
        "campaign_id": campaign_id, "title": s["title"], "eligible": s["eligible"], "completed": s["completed"],
        "passed": s["passed"], "not_started": s["not_started"], "completion_rate": s["completion_rate"],
        "pass_rate": s["pass_rate"], "average_score": s["average_score"], "by_unit": by_unit,
        "lagging_units": lagging, "weakest_laws": [{"law": w["law_title"], "accuracy": round(w["accuracy"], 4)} for w in weak],
    }
    report["paragraph"] = paragraph(report, lag_threshold)
    return report


def paragraph(r: dict, lag_threshold: float = 0.8) -> str:
    """The sentence the annual rule-of-law report needs, with the numbers from the data."""
    avg = "—" if r["average_score"] is None else f"{r['average_score']:.1f}"
    text = (f"组织全区{r['eligible']}名应参训人员参加“{r['title']}”，实际参考{r['completed']}人，"
            f"参考率{_pct(r['completion_rate'])}，合格{r['passed']}人，合格率{_pct(r['pass_rate'])}，平均分{avg}分")
    if r["lagging_units"]:
        shown = "、".join(r["lagging_units"][:5]) + ("等" if len(r["lagging_units"]) > 5 else "")
        text += f"；{shown}{len(r['lagging_units'])}个单位参考率低于{lag_threshold * 100:.0f}%，需督促落实"
    if r["weakest_laws"]:
        text += "；" + "、".join(f"《{w['law']}》" for w in r["weakest_laws"]) + "的答题正确率相对较低，将作为下一阶段培训重点"
    return text + "。"


def _frames(app: App, actor: Actor, campaign_id: int) -> dict[str, pd.DataFrame]:
    rep = campaign_report(app, actor, campaign_id)
    summary = pd.DataFrame([
        ("培训任务", rep["title"]), ("应参训人数", rep["eligible"]), ("已完成人数", rep["completed"]),
        ("未参考人数", rep["not_started"]), ("参考率", _pct(rep["completion_rate"])), ("合格人数", rep["passed"]),
        ("合格率", _pct(rep["pass_rate"])), ("平均分", rep["average_score"]), ("年度报告用语", rep["paragraph"]),
    ], columns=["项目", "数值"])
    units = pd.DataFrame([{"单位": u["unit"], "应参训": u["eligible"], "已完成": u["completed"],
                           "完成率": _pct(u["completion_rate"]), "合格": u["passed"], "合格率": _pct(u["pass_rate"]),
                           "平均分": u["average_score"], "学时达标率": _pct(u["study_target_rate"])}
                          for u in rep["by_unit"]])
    people = dashboard.people(app, actor, campaign_id)
    detail = pd.DataFrame([{"单位": p["unit"], "姓名": p["name"], "执法证号/账号": p["account"], "职务": p["title"],
                            "手机": p["phone"], "状态": p["status"], "作答次数": p["attempts"], "成绩": p["grade"],
                            "本年学时": p["study_hours"], "学时达标": "是" if p["study_target_met"] else "否"}
                           for p in people])
    todo = [p for p in people if not p["passed"]]
    todo.sort(key=lambda p: (p["unit"] or "", STATUS_ORDER[p["status"]]))
    supervise = pd.DataFrame([{"单位": p["unit"], "姓名": p["name"], "执法证号/账号": p["account"], "手机": p["phone"],
                               "状态": p["status"], "成绩": p["grade"]} for p in todo])
    items = pd.DataFrame([{"题号": i.question_id, "法律法规": i.law, "题型": i.type, "题干": i.stem, "作答人数": i.attempts,
                           "难度系数(正确率)": None if i.facility is None else round(i.facility, 3),
                           "区分度": None if i.discrimination is None else round(i.discrimination, 3),
                           "选项分布": "；".join(f"{label} {n}" for label, n, _key in i.options) + f"；未答 {i.blank}",
                           "提示": "、".join(i.flags)} for i in dashboard.item_analysis(app, actor, campaign_id)])
    from . import integrity

    flags = pd.DataFrame([{"类型": f.label, "姓名": f.person, "账号": f.account, "单位": f.unit, "关联人员": f.other,
                           "状态": "已排除：" + f.dismiss_reason if f.dismissed else "待核实",
                           "依据": _evidence_text(f)} for f in integrity.flags(app, actor, campaign_id, include_dismissed=True)])
    return {"汇总": summary, "按单位": units, "人员明细": detail, "督办清单": supervise, "试题分析": items, "诚信提示": flags}


def _evidence_text(f) -> str:
    ev = f.evidence
    if f.kind == "fast":
        return f"作答间隔中位数 {ev['median_seconds']} 秒，得分 {ev['percent']}"
    if f.kind == "copy":
        return f"共同题目 {ev['common']}，相同答案 {ev['identical']}，相同错误答案 {ev['identical_wrong']}"
    return f"{ev['clients']} 个浏览器交替作答 {ev['switches']} 次"


def campaign_workbook(app: App, actor: Actor, campaign_id: int) -> bytes:
    data = workbook_bytes(_frames(app, actor, campaign_id))
    _audit_export(app, actor, campaign_id, "xlsx")
    return data


def supervision_csv(app: App, actor: Actor, campaign_id: int) -> bytes:
    data = csv_bytes(_frames(app, actor, campaign_id)["督办清单"])
    _audit_export(app, actor, campaign_id, "csv")
    return data


def _audit_export(app: App, actor: Actor, campaign_id: int, kind: str) -> None:
    with write_session(app.engine) as s:
        audit.append(s, "export", actor_id=actor.id or None, actor=actor.account, obj=f"campaign:{campaign_id}",
                     detail={"format": kind})
