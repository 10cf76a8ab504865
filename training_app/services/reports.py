"""Exports for the annual report: the campaign workbook, CSV, the JSON summary and a generated paragraph."""

from __future__ import annotations

import json

import pandas as pd

from ..store import audit
from ..store import dashboard as dq
from ..store.db import write_session
from ..textsafe import safe_filename
from . import dashboard
from .common import Actor, App
from .exports import csv_bytes, workbook_bytes
from .figures import one_decimal, pct_text, rate, rate_of, score_text

STATUS_ORDER = {"未参考": 0, "进行中": 1, "未合格": 2, "已合格": 3}


def system_actor() -> Actor:
    """The CLI acts as an admin (it runs with the server's own rights)."""
    return Actor(id=0, account="cli", name="命令行", role="admin")


SCOPE_ONLY = dict(zip(dq.PEOPLE_LISTS, ("未参考", "未完成", "未合格"), strict=True))  # each 督办清单 list's name


def _unit_names(app: App, actor: Actor) -> dict[int, str]:
    from . import roster

    return {u.id: u.name for u in roster.list_units(app, actor)}


def _scope_text(app: App, actor: Actor, audience: str | None, audience_units: list[int]) -> str:
    """Who the campaign is for, as the sentence says it: 全区, or the named units (a scoped coordinator: their unit)."""
    names = _unit_names(app, actor)
    if actor.scope_unit_id is not None:
        return names.get(actor.scope_unit_id, "本单位")
    if audience == "units" and audience_units:
        shown = [names[i] for i in audience_units if i in names]
        if shown:
            return "、".join(shown[:5]) + ("等" if len(shown) > 5 else "")
    return "全区"


def _people_word(audience: str | None, year: int | None) -> str:
    if audience == "leaders":
        return "领导干部"
    if audience == "new_certified":
        return f"{year}年新取得执法证的应参训人员"
    return "应参训人员"


def books(titles: list[str]) -> str:
    """《甲法》《乙法》: GB/T 15834 puts no 顿号 between consecutive 书名号."""
    return "".join(f"《{t}》" for t in titles)


def quoted(titles: list[str]) -> str:
    """“甲”“乙”: nor between consecutive 引号."""
    return "".join(f"“{t}”" for t in titles)


def campaign_report(app: App, actor: Actor, campaign_id: int, *, lag_threshold: float = 0.8) -> dict:
    s = dashboard.summary(app, actor, campaign_id)
    units = dashboard.units_table(app, actor, campaign_id)
    weak = dashboard.weakest_laws(app, actor, campaign_id, n=3)
    from . import campaigns

    c = campaigns.get_campaign(app, actor, campaign_id)
    audience_units = json.loads(c.audience_units or "[]")
    by_unit = [
        {
            "unit": u["unit"],
            "eligible": u["eligible"],
            "completed": u["completed"],
            "passed": u["passed"],
            "completion_rate": u["completion_rate"],
            "pass_rate": u["pass_rate"],
            "pass_rate_of_eligible": u["pass_rate_of_eligible"],
            "average_score": u["average_score"],
            "study_target_rate": u["study_target_rate"],
        }
        for u in units
    ]
    lagging = [u["unit"] for u in units if (u["completion_rate"] or 0) < lag_threshold] if len(units) > 1 else []
    report = {
        "campaign_id": campaign_id,
        "title": s["title"],
        "year": c.year,
        "audience": c.audience,
        "scope": _scope_text(app, actor, c.audience, audience_units),
        "eligible": s["eligible"],
        "completed": s["completed"],
        "passed": s["passed"],
        "not_started": s["not_started"],
        "completion_rate": s["completion_rate"],
        "pass_rate": s["pass_rate"],
        "pass_rate_of_eligible": s["pass_rate_of_eligible"],
        "average_score": s["average_score"],
        "rounding": ROUNDING_RULE,
        "by_unit": by_unit,
        "lagging_units": lagging,
        "weakest_laws": [{"law": w["law_title"], "accuracy": rate_of(w["accuracy"])} for w in weak],
    }
    report["paragraph"] = paragraph(report, lag_threshold)
    return report


ROUNDING_RULE = "比率保留三位小数（百分数保留一位小数），分数保留一位小数，均四舍五入"


def _results(
    eligible: int,
    completed: int,
    passed: int,
    completion_rate,
    pass_rate,
    pass_rate_of_eligible,
    average_score,
    unit: str = "人",
) -> list[str]:
    """The clauses after the head count; a clause with no figure is left out."""
    if not eligible:
        return []
    if not completed:
        return ["目前尚无人完成考试"]
    out = [
        f"实际参考{completed}{unit}，参考率{pct_text(completion_rate)}（参考{unit}数占应参训{unit}数的比例）",
        f"合格{passed}{unit}，合格率{pct_text(pass_rate)}（合格{unit}数占参考{unit}数的比例），"
        f"占应参训{unit}数的{pct_text(pass_rate_of_eligible)}",
    ]
    if average_score is not None:
        out[-1] += f"，参考人员平均分{score_text(average_score)}分"
    return out


def paragraph(r: dict, lag_threshold: float = 0.8) -> str:
    """The sentences the annual rule-of-law report needs for one campaign, with the numbers from the data."""
    scope = r.get("scope", "全区")
    head = f"组织{scope}{r['eligible']}名{_people_word(r.get('audience'), r.get('year'))}参加“{r['title']}”"
    if not r["eligible"]:
        head = f"“{r['title']}”尚无应参训人员"
    clauses = _results(
        r["eligible"],
        r["completed"],
        r["passed"],
        r["completion_rate"],
        r["pass_rate"],
        r.get("pass_rate_of_eligible"),
        r["average_score"],
    )
    text = head + ("，" + clauses[0] if clauses else "") + "".join("；" + c for c in clauses[1:])
    if r["lagging_units"]:
        shown = "、".join(r["lagging_units"][:5]) + ("等" if len(r["lagging_units"]) > 5 else "")
        text += f"；{shown}{len(r['lagging_units'])}个单位参考率低于{lag_threshold * 100:.0f}%，需督促落实"
    if r["weakest_laws"]:
        text += "；" + books([w["law"] for w in r["weakest_laws"]]) + "的答题正确率相对较低，将作为下一阶段培训重点"
    return text + "。"


def year_report(app: App, actor: Actor, year: int) -> dict:
    """All published campaigns of the year, and the year's 学时 against STUDY_HOURS_TARGET."""
    from . import campaigns

    items = [c for c in campaigns.list_campaigns(app, actor) if c.year == year and c.status != "draft"]
    items.sort(key=lambda c: (c.opens_at, c.id))
    rows = []
    for c in items:
        s = dashboard.summary(app, actor, c.id)
        rows.append(
            {
                "campaign_id": c.id,
                "title": c.title,
                "eligible": s["eligible"],
                "completed": s["completed"],
                "passed": s["passed"],
                "completion_rate": s["completion_rate"],
                "pass_rate": s["pass_rate"],
                "pass_rate_of_eligible": s["pass_rate_of_eligible"],
                "average_score": s["average_score"],
            }
        )
    e, c_, p = (sum(r[k] for r in rows) for k in ("eligible", "completed", "passed"))
    study = dashboard.study_year(app, actor, year)
    report = {
        "year": year,
        "scope": _scope_text(app, actor, None, []),
        "campaigns": rows,
        "eligible": e,
        "completed": c_,
        "passed": p,
        "completion_rate": rate(c_, e),
        "pass_rate": rate(p, c_),
        "pass_rate_of_eligible": rate(p, e),
        "study": study,
        "rounding": ROUNDING_RULE,
    }
    report["paragraph"] = year_paragraph(report)
    return report


def year_paragraph(r: dict) -> str:
    scope = r["scope"]
    if r["campaigns"]:
        text = (
            f"{r['year']}年，{scope}共组织{len(r['campaigns'])}项法律知识培训考试"
            f"（{quoted([c['title'] for c in r['campaigns']])}），应参训{r['eligible']}人次"
        )
        clauses = _results(
            r["eligible"],
            r["completed"],
            r["passed"],
            r["completion_rate"],
            r["pass_rate"],
            r["pass_rate_of_eligible"],
            None,
            unit="人次",
        )
        text += ("，" + clauses[0] if clauses else "") + "".join("；" + c for c in clauses[1:]) + "。"
    else:
        text = f"{r['year']}年，{scope}尚未组织法律知识培训考试。"
    st = r["study"]
    if st["learners"]:
        text += (
            f"{scope}{st['learners']}名在册执法人员和领导干部全年学法共{score_text(st['hours'])}学时，"
            f"人均{score_text(st['average_hours'])}学时；年度学时要求为{st['target']:g}学时，"
            f"达到要求{st['reached']}人，占{pct_text(st['reached_rate'])}。"
        )
    return text


def supervision_frame(app: App, actor: Actor, campaign_id: int, only: str, unit_id: int | None = None) -> pd.DataFrame:
    """The 督办清单 as the screen shows it and the CSV holds it: the same rows, the same columns."""
    if only not in SCOPE_ONLY:
        raise ValueError(only)
    people = dashboard.people(app, actor, campaign_id, only=only, unit_id=unit_id)
    return pd.DataFrame(
        [
            {
                "单位": p["unit"] or "",
                "姓名": p["name"],
                "账号": p["account"],
                "手机": p["phone"] or "",
                "状态": p["status"],
            }
            for p in people
        ],
        columns=SUPERVISION_COLUMNS,
    )


SUPERVISION_COLUMNS = ["单位", "姓名", "账号", "手机", "状态"]


def _frames(app: App, actor: Actor, campaign_id: int) -> dict[str, pd.DataFrame]:
    rep = campaign_report(app, actor, campaign_id)
    summary = pd.DataFrame(
        [
            ("培训任务", rep["title"]),
            ("参训范围", rep["scope"]),
            ("应参训人数", rep["eligible"]),
            ("已参考人数", rep["completed"]),
            ("未参考人数", rep["not_started"]),
            ("参考率（参考÷应参训）", rep["completion_rate"]),
            ("合格人数", rep["passed"]),
            ("合格率（合格÷参考）", rep["pass_rate"]),
            ("合格人数占应参训人数", rep["pass_rate_of_eligible"]),
            ("平均分（参考人员）", rep["average_score"]),
            ("数字取舍", rep["rounding"]),
            ("年度报告用语", rep["paragraph"]),
        ],
        columns=["项目", "数值"],
    )
    units = pd.DataFrame(
        [
            {
                "单位": u["unit"],
                "应参训": u["eligible"],
                "已参考": u["completed"],
                "参考率": u["completion_rate"],
                "合格": u["passed"],
                "合格率": u["pass_rate"],
                "合格占应参训": u["pass_rate_of_eligible"],
                "平均分": u["average_score"],
                "学时达标率": u["study_target_rate"],
            }
            for u in rep["by_unit"]
        ],
        columns=["单位", "应参训", "已参考", "参考率", "合格", "合格率", "合格占应参训", "平均分", "学时达标率"],
    )
    people = dashboard.people(app, actor, campaign_id)
    detail = pd.DataFrame(
        [
            {
                "单位": p["unit"],
                "姓名": p["name"],
                "执法证号/账号": p["account"],
                "职务": p["title"] or "",
                "手机": p["phone"] or "",
                "状态": p["status"],
                "作答次数": p["attempts"],
                "成绩": one_decimal(p["grade"]),
                "本年学时": p["study_hours"],
                "学时达标": "是" if p["study_target_met"] else "否",
            }
            for p in people
        ],
        columns=["单位", "姓名", "执法证号/账号", "职务", "手机", "状态", "作答次数", "成绩", "本年学时", "学时达标"],
    )
    todo = [p for p in people if not p["passed"]]
    todo.sort(key=lambda p: (p["unit"] or "", STATUS_ORDER[p["status"]]))
    supervise = pd.DataFrame(
        [
            {
                "单位": p["unit"],
                "姓名": p["name"],
                "执法证号/账号": p["account"],
                "手机": p["phone"] or "",
                "状态": p["status"],
                "成绩": one_decimal(p["grade"]),
            }
            for p in todo
        ],
        columns=["单位", "姓名", "执法证号/账号", "手机", "状态", "成绩"],
    )
    items = pd.DataFrame(
        [
            {
                "题号": i.question_id,
                "法律法规": i.law,
                "题型": i.type,
                "题干": i.stem,
                "作答人数": i.attempts,
                "难度系数(正确率)": rate_of(i.facility),
                "区分度": rate_of(i.discrimination),
                "选项分布": "；".join(f"{label} {n}" for label, n, _key in i.options) + f"；未答 {i.blank}",
                "提示": "、".join(i.flags),
            }
            for i in dashboard.item_analysis(app, actor, campaign_id)
        ],
        columns=["题号", "法律法规", "题型", "题干", "作答人数", "难度系数(正确率)", "区分度", "选项分布", "提示"],
    )
    from . import integrity

    flags = pd.DataFrame(
        [
            {
                "类型": f.label,
                "姓名": f.person,
                "账号": f.account,
                "单位": f.unit,
                "关联人员": f.other,
                "状态": "已排除：" + f.dismiss_reason if f.dismissed else "待核实",
                "依据": _evidence_text(f),
            }
            for f in integrity.flags(app, actor, campaign_id, include_dismissed=True)
        ],
        columns=["类型", "姓名", "账号", "单位", "关联人员", "状态", "依据"],
    )
    return {
        "汇总": summary,
        "按单位": units,
        "人员明细": detail,
        "督办清单": supervise,
        "试题分析": items,
        "诚信提示": flags,
    }


WORKBOOK_FORMATS = {
    "汇总": {("数值", 5): "0.0%", ("数值", 7): "0.0%", ("数值", 8): "0.0%", ("数值", 9): "0.0"},
    "按单位": {"参考率": "0.0%", "合格率": "0.0%", "合格占应参训": "0.0%", "学时达标率": "0.0%", "平均分": "0.0"},
    "人员明细": {"成绩": "0.0", "本年学时": "0.0"},
    "督办清单": {"成绩": "0.0"},
    "试题分析": {"难度系数(正确率)": "0.000", "区分度": "0.000"},
}


def _evidence_text(f) -> str:
    ev = f.evidence
    if f.kind == "fast":
        return f"作答间隔中位数 {ev['median_seconds']} 秒，得分 {ev['percent']}"
    if f.kind == "copy":
        return f"共同题目 {ev['common']}，相同答案 {ev['identical']}，相同错误答案 {ev['identical_wrong']}"
    return f"{ev['clients']} 个浏览器交替作答 {ev['switches']} 次"


def campaign_workbook(app: App, actor: Actor, campaign_id: int) -> bytes:
    data = workbook_bytes(_frames(app, actor, campaign_id), formats=WORKBOOK_FORMATS)
    _audit_export(app, actor, campaign_id, "xlsx")
    return data


def supervision_csv(
    app: App, actor: Actor, campaign_id: int, only: str = "not_started", unit_id: int | None = None
) -> tuple[str, bytes]:
    """(file name, CSV) of exactly the list on the screen; the name says the scope (and the unit when filtered)."""
    frame = supervision_frame(app, actor, campaign_id, only, unit_id)
    data = csv_bytes(frame)
    parts = ["督办清单", str(campaign_id), SCOPE_ONLY[only]]
    if unit_id is not None:
        parts.append(_unit_names(app, actor).get(unit_id, str(unit_id)))
    parts.append(f"{len(frame)}人")
    _audit_export(app, actor, campaign_id, "csv", scope=SCOPE_ONLY[only], unit_id=unit_id, count=len(frame))
    return safe_filename("_".join(parts)) + ".csv", data


def _audit_export(app: App, actor: Actor, campaign_id: int, kind: str, **extra) -> None:
    detail = {"format": kind}
    detail.update({k: v for k, v in extra.items() if v is not None})
    with write_session(app.engine) as s:
        audit.append(
            s, "export", actor_id=actor.id or None, actor=actor.account, obj=f"campaign:{campaign_id}", detail=detail
        )
