"""`training-app bank stats`: questions per law, topic, type and difficulty, against the bank's targets."""

from __future__ import annotations

from collections import Counter

from .schema import TYPE_LABELS, Bank

TOTAL_TARGET = 700
CORE_LAW_TARGET = 40
CORE_LAWS = ("administrative_penalty_law", "administrative_licensing_law", "administrative_compulsion_law",
             "administrative_reconsideration_law", "administrative_litigation_law")
SECOND_LAW_TARGET = 30
SECOND_LAWS = ("constitution", "state_compensation_law")
OTHER_LAW_TARGET = 15
TOPIC_TARGET = 10
CASE_TARGET = 60
TYPE_SHARE_TARGETS = {"single": 0.40, "multiple": 0.20, "judge": 0.20}


def law_target(slug: str) -> int:
    if slug in CORE_LAWS:
        return CORE_LAW_TARGET
    if slug in SECOND_LAWS:
        return SECOND_LAW_TARGET
    return OTHER_LAW_TARGET


def bank_stats(bank: Bank) -> dict:
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
        laws.append({"slug": slug, "title": law.short_title, "questions": n, "target": target, "met": n >= target,
                     "needs_review": sum(1 for q in qs if q.law == slug and q.needs_review)})
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
        types.append({"type": t, "label": TYPE_LABELS[t], "questions": n, "share": round(actual, 3),
                      "target_share": share, "met": actual >= share})
        if actual < share:
            shortfalls.append(f"{TYPE_LABELS[t]}占比 {actual:.0%} < {share:.0%}")
    if cases < CASE_TARGET:
        shortfalls.append(f"案例分析题 {cases} < {CASE_TARGET}")
    for d in (1, 2, 3):
        if by_diff.get(d, 0) == 0:
            shortfalls.append(f"没有难度 {d} 的题目")
    return {
        "total": total, "total_target": TOTAL_TARGET, "cases": cases, "case_target": CASE_TARGET,
        "difficulty": {str(d): by_diff.get(d, 0) for d in (1, 2, 3)}, "laws": laws, "topics": topics, "types": types,
        "needs_review": review, "shortfalls": shortfalls, "all_targets_met": not shortfalls,
    }


def format_stats(stats: dict) -> str:
    lines = [f"题目总数 {stats['total']}（目标 ≥ {stats['total_target']}）；案例分析题 {stats['cases']}（目标 ≥ {stats['case_target']}）",
             "难度分布：" + "，".join(f"{d} 级 {n} 题" for d, n in stats["difficulty"].items()),
             "题型：" + "，".join(f"{t['label']} {t['questions']} 题（{t['share']:.0%}，目标 ≥ {t['target_share']:.0%}）"
                                for t in stats["types"]), "", "按法律法规："]
    for row in sorted(stats["laws"], key=lambda r: (r["met"], r["questions"])):
        mark = "✓" if row["met"] else "✗"
        extra = f"，待复核 {row['needs_review']}" if row["needs_review"] else ""
        lines.append(f"  {mark} {row['title']:<24} {row['questions']:>4} / {row['target']}{extra}")
    lines += ["", "按执法实务专题："]
    for row in stats["topics"]:
        mark = "✓" if row["met"] else "✗"
        lines.append(f"  {mark} {row['topic']:<22} {row['questions']:>4} / {row['target']}")
    if stats["needs_review"]:
        lines += ["", f"因法律修订待复核、暂不组卷的题目（{len(stats['needs_review'])}）：" + "，".join(stats["needs_review"][:50])]
    lines += ["", "全部目标已达到" if stats["all_targets_met"] else "未达到的目标：\n  " + "\n  ".join(stats["shortfalls"])]
    return "\n".join(lines)
