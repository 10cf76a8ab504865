"""The lost-answer check: every answer a client saw acknowledged must be in the database, as the last value.

A client records, per question, the options it saw chosen after a run that finished without an error (shown
positions). The app stores canonical letters of the bank's options: the frozen paper of the attempt (its
``order`` per slot) maps shown positions back (a judge question's first option is 正确 = "T"). The floor page
stores the shown letters in its own table.
"""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from .scenario import ExamLog

LETTERS = "ABCDEF"


def _canonical(spec: dict, kind: str, shown: tuple[int, ...]) -> str | None:
    if not shown:
        return None
    if spec["type"] == "judge":
        return "T" if shown[0] == 0 else "F"
    order = spec.get("order") or list(range(len(LETTERS)))
    return "".join(sorted(LETTERS[order[i]] for i in shown))


def check_app(database_url: str, logs: list[ExamLog]) -> dict:
    """Compare each officer's acknowledged answers with the answer table of their attempt."""
    engine = create_engine(database_url, poolclass=NullPool)
    lost, checked, samples = 0, 0, []
    wrong_attempt = 0
    try:
        with engine.connect() as c:
            for log in logs:
                if not log.answers:
                    continue
                rows = list(
                    c.execute(
                        text(
                            "SELECT t.id, t.paper, t.state FROM attempt t JOIN person p ON p.id = t.person_id "
                            "WHERE p.account = :a ORDER BY t.id DESC"
                        ),
                        {"a": log.user},
                    ).mappings()
                )
                by_id = {r["id"]: r for r in rows}
                if log.attempt_ids:
                    if len(log.attempt_ids) > 1:
                        wrong_attempt += 1
                    attempt = by_id.get(max(log.attempt_ids))
                else:
                    attempt = rows[0] if rows else None
                if attempt is None:
                    lost += len(log.answers)
                    checked += len(log.answers)
                    samples.append(f"{log.user}: no attempt in the database")
                    continue
                paper = {s["slot"]: s for s in json.loads(attempt["paper"])}
                stored = {
                    r["slot"]: r["response"]
                    for r in c.execute(
                        text("SELECT slot, response FROM answer WHERE attempt_id = :t"), {"t": attempt["id"]}
                    ).mappings()
                }
                for slot, (kind, shown) in sorted(log.answers.items()):
                    checked += 1
                    want = _canonical(paper[slot], kind, shown)
                    if stored.get(slot) != want:
                        lost += 1
                        if len(samples) < 10:
                            samples.append(
                                f"{log.user} attempt {attempt['id']} question {slot}: acknowledged "
                                f"{want!r}, stored {stored.get(slot)!r}"
                            )
                if log.submitted and attempt["state"] != "finished":
                    samples.append(f"{log.user}: submitted but attempt {attempt['id']} is {attempt['state']}")
                    lost += 1
    finally:
        engine.dispose()
    return {"checked": checked, "lost": lost, "samples": samples, "users_in_two_attempts": wrong_attempt}


def check_floor(database_url: str, logs: list[ExamLog]) -> dict:
    """The floor page stores the shown letters per (attempt, slot)."""
    engine = create_engine(database_url, poolclass=NullPool)
    lost, checked, samples = 0, 0, []
    try:
        with engine.connect() as c:
            for log in logs:
                if not log.answers or not log.attempt_ids:
                    if log.answers:
                        lost += len(log.answers)
                        checked += len(log.answers)
                        samples.append(f"{log.user}: no attempt id seen")
                    continue
                aid = max(log.attempt_ids)
                stored = {
                    r["slot"]: r["response"]
                    for r in c.execute(
                        text("SELECT slot, response FROM floor_answer WHERE attempt_id = :t"), {"t": aid}
                    ).mappings()
                }
                for slot, (_kind, shown) in log.answers.items():
                    checked += 1
                    want = "".join(LETTERS[i] for i in sorted(shown)) or None
                    if stored.get(slot) != want:
                        lost += 1
                        if len(samples) < 10:
                            samples.append(
                                f"{log.user} floor attempt {aid} question {slot}: acknowledged {want!r}, "
                                f"stored {stored.get(slot)!r}"
                            )
    finally:
        engine.dispose()
    return {"checked": checked, "lost": lost, "samples": samples}
