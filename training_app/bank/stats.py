"""`training-app bank stats`: questions per law, topic, type and difficulty, the article coverage of the core
enforcement texts, and how much two papers have in common, against the bank's targets (issue #14).

The paper-overlap figures come from a simulation over the real draw (engine.paper.paper_overlap); bank/ does not
import the engine, so the caller (cli.py, the tests) runs the simulation and passes the figures in.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .schema import TYPE_LABELS, VALIDITY_LABELS, ArticleKey, Bank

TOTAL_TARGET = 2000
TYPE_SHARE_TARGETS = {"single": 0.40, "multiple": 0.20, "judge": 0.20}
CASE_TARGET = 400
TOPIC_TARGET = 10

# The core enforcement texts: every article that states a testable rule should have a question.
CORE_TEXTS = (
    "administrative_penalty_law",
    "administrative_licensing_law",
    "administrative_compulsion_law",
    "administrative_reconsideration_law",
    "administrative_litigation_law",
    "state_compensation_law",
    "administrative_reconsideration_law_implementing_regulations",
    "admin_enforcement_supervision_regulations",
)
COVERAGE_TARGET = 0.90

# Questions per law (counted by the law a question cites first).
LAW_TARGET = 30
LAW_TARGETS = {
    # the five basic enforcement laws keep their earlier minimum (their coverage target asks for far more)
    "administrative_penalty_law": 40,
    "administrative_licensing_law": 40,
    "administrative_compulsion_law": 40,
    "administrative_reconsideration_law": 40,
    "administrative_litigation_law": 40,
    "civil_code": 40,
    "ecological_environment_code": 40,
}

# Expected share of questions two officers' papers have in common, per blueprint (at most).
OVERLAP_TARGETS = {"annual_officer_exam": 0.15}


def law_target(slug: str) -> int:
    return LAW_TARGETS.get(slug, LAW_TARGET)


def cited_articles(bank: Bank) -> dict[str, set[ArticleKey]]:
    """Per law: the articles at least one question cites (any file, any source of the question)."""
    out: dict[str, set[ArticleKey]] = {}
    for q in bank.questions.values():
        for s in q.sources:
            if s.article is not None:
                out.setdefault(s.law_slug, set()).add(s.article)
    return out


def article_coverage(bank: Bank, slugs: tuple[str, ...] = CORE_TEXTS) -> list[dict[str, Any]]:
    """Per core text: articles, left out, testable, covered (testable articles cited by >= 1 question),
    coverage, and the uncovered testable articles."""
    cited = cited_articles(bank)
    rows = []
    for slug in slugs:
        law = bank.laws.get(slug)
        if law is None:
            continue
        left_out = bank.left_out.get(slug, {})
        row: dict[str, Any] = {
            "slug": slug,
            "title": law.short_title,
            "articles": law.articles,
            "left_out": len(left_out),
            "left_out_articles": {str(k): v for k, v in left_out.items()},
            "target": COVERAGE_TARGET,
        }
        if not law.articles:
            row.update(testable=None, covered=None, coverage=None, uncovered=[], met=False)
            rows.append(row)
            continue
        testable = [a for a in range(1, law.articles + 1) if a not in left_out]
        here = cited.get(slug, set())
        covered = [a for a in testable if a in here]
        uncovered = [a for a in testable if a not in here]
        coverage = len(covered) / len(testable) if testable else 1.0
        row.update(
            testable=len(testable),
            covered=len(covered),
            coverage=round(coverage, 4),
            uncovered=uncovered,
            left_out_but_cited=sorted(str(a) for a in left_out if a in here),
            met=coverage >= COVERAGE_TARGET,
        )
        rows.append(row)
    return rows


def bank_stats(bank: Bank, overlaps: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every figure and every shortfall. `overlaps`: {blueprint id: {"pairs", "mean", "worst"}} from
    engine.paper.paper_overlap; without it the overlap targets are reported as not computed (a shortfall)."""
    qs = list(bank.questions.values())
    total = len(qs)
    by_law = Counter(q.law for q in qs)
    by_topic = Counter(t for q in qs for t in q.topics)
    by_type = Counter(q.type for q in qs)
    by_diff = Counter(q.difficulty for q in qs)
    cases = sum(1 for q in qs if q.is_case)
    review = sorted(q.id for q in qs if q.needs_review)
    shortfalls = []
    if total < TOTAL_TARGET:
        shortfalls.append(f"题目总数 {total} < {TOTAL_TARGET}")
    laws = []
    for slug, law in bank.laws.items():
        target = law_target(slug)
        n = by_law.get(slug, 0)
        laws.append(
            {
                "slug": slug,
                "title": law.short_title,
                "questions": n,
                "target": target,
                "met": n >= target,
                "needs_review": sum(1 for q in qs if q.law == slug and q.needs_review),
                "validity": law.validity,
            }
        )
        if n < target:
            shortfalls.append(f"《{law.short_title}》{n} 题 < {target}")
    topics = []
    for name in bank.topics:
        n = by_topic.get(name, 0)
        topics.append({"topic": name, "questions": n, "target": TOPIC_TARGET, "met": n >= TOPIC_TARGET})
        if n < TOPIC_TARGET:
            shortfalls.append(f"专题“{name}”{n} 题 < {TOPIC_TARGET}")
    types = []
    for t, share in TYPE_SHARE_TARGETS.items():
        n = by_type.get(t, 0)
        actual = n / total if total else 0.0
        types.append(
            {
                "type": t,
                "label": TYPE_LABELS[t],
                "questions": n,
                "share": round(actual, 3),
                "target_share": share,
                "met": actual >= share,
            }
        )
        if actual < share:
            shortfalls.append(f"{TYPE_LABELS[t]}占比 {actual:.0%} < {share:.0%}")
    if cases < CASE_TARGET:
        shortfalls.append(f"案例分析题 {cases} < {CASE_TARGET}")
    for d in (1, 2, 3):
        if by_diff.get(d, 0) == 0:
            shortfalls.append(f"没有难度 {d} 的题目")
    coverage = article_coverage(bank)
    for row in coverage:
        if row["coverage"] is None:
            shortfalls.append(f"《{row['title']}》未在 must_know.yaml 中记录条文数 articles，无法计算条文覆盖率")
        elif not row["met"]:
            shortfalls.append(
                f"《{row['title']}》条文覆盖率 {row['coverage']:.1%} < {COVERAGE_TARGET:.0%}"
                f"（{len(row['uncovered'])} 条可出题条文无题）"
            )
    overlap = []
    for bid, bp in bank.blueprints.items():
        otarget = OVERLAP_TARGETS.get(bid)
        figure = (overlaps or {}).get(bid)
        orow: dict[str, Any] = {
            "blueprint": bid,
            "title": bp.title,
            "practice": bp.practice,
            "questions": bp.question_count,
            "target": otarget,
            "pairs": None,
            "mean": None,
            "worst": None,
            "met": None,
        }
        if figure is not None:
            orow.update(pairs=figure["pairs"], mean=round(figure["mean"], 4), worst=round(figure["worst"], 4))
            orow["met"] = None if otarget is None else orow["mean"] <= otarget
        if otarget is not None:
            if figure is None:
                shortfalls.append(f"组卷方案 {bid} 的试卷重合率未计算（目标 ≤ {otarget:.0%}）")
            elif not orow["met"]:
                shortfalls.append(f"组卷方案 {bid} 两份试卷的平均重合率 {orow['mean']:.1%} > {otarget:.0%}")
        overlap.append(orow)
    not_in_force = [
        {
            "slug": law.slug,
            "title": law.short_title,
            "validity": law.validity,
            "label": VALIDITY_LABELS[law.validity],
            "checked": law.validity_checked,
            "note": law.validity_note,
            "questions": by_law.get(law.slug, 0),
        }
        for law in bank.laws.values()
        if not law.in_force
    ]
    return {
        "total": total,
        "total_target": TOTAL_TARGET,
        "cases": cases,
        "case_target": CASE_TARGET,
        "difficulty": {str(d): by_diff.get(d, 0) for d in (1, 2, 3)},
        "laws": laws,
        "topics": topics,
        "types": types,
        "coverage": coverage,
        "coverage_target": COVERAGE_TARGET,
        "overlap": overlap,
        "not_in_force": not_in_force,
        "needs_review": review,
        "shortfalls": shortfalls,
        "all_targets_met": not shortfalls,
    }


def _article_list(articles: list[int], limit: int = 60) -> str:
    shown = "、".join(str(a) for a in articles[:limit])
    return shown + (f" 等 {len(articles)} 条" if len(articles) > limit else "")


def format_stats(stats: dict[str, Any]) -> str:
    lines = [
        f"题目总数 {stats['total']}（目标 ≥ {stats['total_target']}）；案例分析题 {stats['cases']}（目标 ≥ {stats['case_target']}）",
        "难度分布：" + "，".join(f"{d} 级 {n} 题" for d, n in stats["difficulty"].items()),
        "题型："
        + "，".join(
            f"{t['label']} {t['questions']} 题（{t['share']:.0%}，目标 ≥ {t['target_share']:.0%}）"
            for t in stats["types"]
        ),
        "",
        "按法律法规：",
    ]
    for row in sorted(stats["laws"], key=lambda r: (r["met"], r["questions"])):
        mark = "✓" if row["met"] else "✗"
        extra = f"，待复核 {row['needs_review']}" if row["needs_review"] else ""
        lines.append(f"  {mark} {row['title']:<24} {row['questions']:>4} / {row['target']}{extra}")
    lines += [
        "",
        f"核心执法法律法规条文覆盖率（目标 ≥ {stats['coverage_target']:.0%}；覆盖 = 至少一道题引用该条）：",
        "    法律法规                     条文  不出题  可出题  已覆盖  覆盖率",
    ]
    for row in stats["coverage"]:
        mark = "✓" if row["met"] else "✗"
        if row["coverage"] is None:
            lines.append(f"  {mark} {row['title']:<24} 未记录条文数 articles")
            continue
        lines.append(
            f"  {mark} {row['title']:<24} {row['articles']:>5} {row['left_out']:>6} {row['testable']:>6}"
            f" {row['covered']:>6} {row['coverage']:>7.1%}"
        )
        if row["uncovered"]:
            lines.append(f"      无题的可出题条文：{_article_list(row['uncovered'])}")
        if row.get("left_out_but_cited"):
            lines.append(f"      列入 left_out 却有题引用：{'、'.join(row['left_out_but_cited'])}")
    lines += ["", "试卷重合率（两名人员试卷中相同题目的平均占比，按实际组卷随机模拟）："]
    for row in stats["overlap"]:
        target = f"目标 ≤ {row['target']:.0%}" if row["target"] is not None else "无目标"
        kind = "练习" if row["practice"] else "考试"
        if row["mean"] is None:
            lines.append(f"  · {row['blueprint']:<36} {kind} 未计算（{target}）")
            continue
        mark = "·" if row["met"] is None else "✓" if row["met"] else "✗"
        lines.append(
            f"  {mark} {row['blueprint']:<36} {kind} {row['questions']:>3} 题  平均 {row['mean']:6.1%}"
            f"  最高 {row['worst']:6.1%}  （{row['pairs']} 对，{target}）"
        )
    if stats["not_in_force"]:
        lines += ["", "非现行有效的文件（考试不抽取，除非组卷方案的 laws: 点名；练习照常并提示仅供学习参考）："]
        for row in stats["not_in_force"]:
            lines.append(
                f"  {row['title']}：{row['label']}（{row['checked']} 核实；{row['questions']} 题）{row['note']}"
            )
    lines += ["", "按执法实务专题："]
    for row in stats["topics"]:
        mark = "✓" if row["met"] else "✗"
        lines.append(f"  {mark} {row['topic']:<22} {row['questions']:>4} / {row['target']}")
    if stats["needs_review"]:
        lines += [
            "",
            f"因法律修订待复核、暂不组卷的题目（{len(stats['needs_review'])}）："
            + "，".join(stats["needs_review"][:50]),
        ]
    lines += [
        "",
        "全部目标已达到" if stats["all_targets_met"] else "未达到的目标：\n  " + "\n  ".join(stats["shortfalls"]),
    ]
    return "\n".join(lines)
