"""Exam integrity signals (pure rules): implausibly fast answers, copied answer patterns, two browsers at once.

They are signals for a coordinator to look at, never an automatic judgement.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class AnswerEvent:
    slot: int
    question_id: str
    response: str | None
    correct: bool
    first_saved_at: datetime
    saved_at: datetime
    client_id: str | None


@dataclass
class AttemptRecord:
    attempt_id: int
    person_id: int
    started_at: datetime
    finished_at: datetime
    percent: float
    answers: list[AnswerEvent] = field(default_factory=list)


def answer_gaps(rec: AttemptRecord) -> list[float]:
    """Seconds between consecutive first answers, measured on the server (from the start for the first)."""
    times = sorted(a.first_saved_at for a in rec.answers if a.response)
    out: list[float] = []
    prev = rec.started_at
    for t in times:
        out.append(max(0.0, (t - prev).total_seconds()))
        prev = t
    return out


def fast_signal(
    rec: AttemptRecord, *, max_median_seconds: float, min_score: float, min_answers: int = 10
) -> dict[str, object] | None:
    gaps = answer_gaps(rec)
    if len(gaps) < min_answers or rec.percent / 100 < min_score:
        return None
    median = statistics.median(gaps)
    if median >= max_median_seconds:
        return None
    return {
        "median_seconds": round(median, 2),
        "percent": rec.percent,
        "answered": len(gaps),
        "total_minutes": round((rec.finished_at - rec.started_at).total_seconds() / 60, 1),
    }


def copy_signals(
    records: list[AttemptRecord], *, min_common: int, min_share: float, min_wrong: int, window: timedelta
) -> list[tuple[int, int, dict[str, object]]]:
    """Pairs of attempts taken at the same time that share improbably many identical answers, identical wrong
    answers among them. Candidate pairs come from an index of shared wrong answers, not from all pairs."""
    wrong_index: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_id = {r.attempt_id: r for r in records}
    for r in records:
        for a in r.answers:
            if a.response and not a.correct:
                wrong_index[(a.question_id, a.response)].append(r.attempt_id)
    shared_wrong: dict[tuple[int, int], int] = defaultdict(int)
    for ids in wrong_index.values():
        if len(ids) > 50:
            continue  # a very common wrong answer says nothing about a pair
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                shared_wrong[(min(ids[i], ids[j]), max(ids[i], ids[j]))] += 1
    out: list[tuple[int, int, dict[str, object]]] = []
    for (a_id, b_id), n_wrong in shared_wrong.items():
        if n_wrong < min_wrong:
            continue
        rec_a, rec_b = by_id[a_id], by_id[b_id]
        if rec_a.person_id == rec_b.person_id or abs(rec_a.started_at - rec_b.started_at) > window:
            continue
        ra = {x.question_id: x for x in rec_a.answers if x.response}
        rb = {x.question_id: x for x in rec_b.answers if x.response}
        common = sorted(set(ra) & set(rb))
        if len(common) < min_common:
            continue
        same = [qid for qid in common if ra[qid].response == rb[qid].response]
        if len(same) / len(common) < min_share:
            continue
        evidence: dict[str, object] = {
            "common": len(common),
            "identical": len(same),
            "identical_wrong": n_wrong,
            "started": [rec_a.started_at.isoformat(), rec_b.started_at.isoformat()],
            "answers": [
                {
                    "question": qid,
                    "a": ra[qid].response,
                    "b": rb[qid].response,
                    "correct": ra[qid].correct,
                    "a_at": ra[qid].saved_at.isoformat(),
                    "b_at": rb[qid].saved_at.isoformat(),
                }
                for qid in common
            ],
        }
        out.append((a_id, b_id, evidence))
    return out


def multi_browser_signal(rec: AttemptRecord) -> dict[str, object] | None:
    """The same attempt answered from two browser sessions at once: the saves alternate A, B, A."""
    events = sorted(((a, a.client_id) for a in rec.answers if a.client_id), key=lambda pair: pair[0].saved_at)
    seen_order: list[str] = []
    for _e, cid in events:
        if not seen_order or seen_order[-1] != cid:
            seen_order.append(cid)
    if len(set(seen_order)) < 2 or len(seen_order) == len(set(seen_order)):
        return None  # one browser, or one after the other (a refresh, a new device): not at once
    return {
        "clients": len(set(seen_order)),
        "switches": len(seen_order) - 1,
        "timeline": [{"at": e.saved_at.isoformat(), "slot": e.slot, "client": cid[:8]} for e, cid in events][:200],
    }
