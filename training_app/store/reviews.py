"""Queries for the wrong-answer book (FSRS cards), practice answers, study time and study marks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from .exams import dialect_insert
from .models import Answer, Attempt, PracticeAnswer, ReviewCard, StudyMark, StudyTime


def get_card(session: Session, person_id: int, question_id: str) -> ReviewCard | None:
    return session.execute(
        select(ReviewCard).where(ReviewCard.person_id == person_id, ReviewCard.question_id == question_id)
    ).scalar_one_or_none()


def cards_for(session: Session, person_id: int, question_ids: list[str]) -> dict[str, ReviewCard]:
    if not question_ids:
        return {}
    rows = session.execute(
        select(ReviewCard).where(ReviewCard.person_id == person_id, ReviewCard.question_id.in_(question_ids))
    ).scalars()
    return {c.question_id: c for c in rows}


def card_question_ids(session: Session, person_id: int, question_ids: list[str]) -> frozenset[str]:
    """Which of these questions already have a card in the person's 错题本."""
    if not question_ids:
        return frozenset()
    rows = session.connection().execute(
        select(ReviewCard.question_id).where(
            ReviewCard.person_id == person_id, ReviewCard.question_id.in_(question_ids)
        )
    )
    return frozenset(r[0] for r in rows)


def add_new_cards(
    session: Session, person_id: int, cards: dict[str, tuple[str, datetime]], now: datetime, *, source: str
) -> None:
    """New cards for wrong answers (question id -> (card JSON, due)), as `record_wrong` creates them, in one
    executemany; the caller has checked that none of them exists."""
    if not cards:
        return
    from sqlalchemy import insert

    rows = [
        {
            "person_id": person_id,
            "question_id": qid,
            "card": state,
            "due_at": due,
            "reviews": 1,
            "lapses": 1,
            "source": source,
            "created_at": now,
            "last_review_at": now,
        }
        for qid, (state, due) in sorted(cards.items())
    ]
    session.connection().execute(insert(ReviewCard), rows)


def record_wrong(
    session: Session,
    person_id: int,
    question_id: str,
    now: datetime,
    *,
    source: str,
    review,
    card: ReviewCard | None = None,
    known_missing: bool = False,
) -> ReviewCard:
    """A wrong answer: the card is created, or reviewed with Again."""
    if card is None and not known_missing:
        card = get_card(session, person_id, question_id)
    state, due = review(card.card if card else None, False, now)
    if card is None:
        card = ReviewCard(
            person_id=person_id,
            question_id=question_id,
            card=state,
            due_at=due,
            reviews=1,
            lapses=1,
            source=source,
            created_at=now,
            last_review_at=now,
        )
    else:
        card.card, card.due_at = state, due
        card.reviews += 1
        card.lapses += 1
        card.last_review_at = now
    session.add(card)
    return card


def record_right(session: Session, person_id: int, question_id: str, now: datetime, *, review) -> ReviewCard | None:
    """A right answer to a question in the book: reviewed with Good (scheduled further out)."""
    card = get_card(session, person_id, question_id)
    if card is None:
        return None
    state, due = review(card.card, True, now)
    card.card, card.due_at = state, due
    card.reviews += 1
    card.last_review_at = now
    session.add(card)
    return card


def _due_today(person_id: int, day_start: datetime, day_end: datetime):
    """Cards due by the end of the day that were not already reviewed in the 错题本 today: the day's count
    falls as the officer works through it (a right answer is rescheduled minutes later, still 'today')."""
    reviewed_today = select(PracticeAnswer.question_id).where(
        PracticeAnswer.person_id == person_id, PracticeAnswer.mode == "review", PracticeAnswer.answered_at >= day_start
    )
    return (
        ReviewCard.person_id == person_id,
        ReviewCard.due_at <= day_end,
        ReviewCard.question_id.not_in(reviewed_today),
    )


def due_cards(
    session: Session, person_id: int, day_start: datetime, day_end: datetime, limit: int = 200
) -> list[ReviewCard]:
    return list(
        session.execute(
            select(ReviewCard)
            .where(*_due_today(person_id, day_start, day_end))
            .order_by(ReviewCard.due_at)
            .limit(limit)
        ).scalars()
    )


def count_due(session: Session, person_id: int, day_start: datetime, day_end: datetime) -> int:
    return session.execute(
        select(func.count()).select_from(ReviewCard).where(*_due_today(person_id, day_start, day_end))
    ).scalar_one()


def all_cards(session: Session, person_id: int) -> list[ReviewCard]:
    return list(
        session.execute(
            select(ReviewCard).where(ReviewCard.person_id == person_id).order_by(ReviewCard.due_at)
        ).scalars()
    )


def add_practice_answer(session: Session, **values) -> None:
    session.add(PracticeAnswer(**values))


def practice_accuracy_by_law(session: Session, person_id: int) -> dict[str, tuple[int, int]]:
    """law -> (answered, correct) over practice and review answers."""
    rows = session.execute(
        select(PracticeAnswer.law_slug, func.count(), func.sum(case((PracticeAnswer.correct, 1), else_=0)))
        .where(PracticeAnswer.person_id == person_id)
        .group_by(PracticeAnswer.law_slug)
    ).all()
    return {law: (int(n), int(c or 0)) for law, n, c in rows}


def exam_answers_of_person(session: Session, person_id: int) -> list[tuple[str, float]]:
    """(question_id, fraction) of every graded exam answer of a person."""
    rows = session.execute(
        select(Answer.question_id, Answer.fraction)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.person_id == person_id, Attempt.state == "finished", Answer.fraction.is_not(None))
    ).all()
    return [(qid, float(f)) for qid, f in rows]


def add_study_seconds(session: Session, person_id: int, day: date, kind: str, seconds: int) -> None:
    ins = dialect_insert(session)(StudyTime).values(person_id=person_id, day=day, kind=kind, seconds=seconds)
    session.execute(
        ins.on_conflict_do_update(
            index_elements=["person_id", "day", "kind"],
            set_={"seconds": StudyTime.__table__.c.seconds + ins.excluded.seconds},
        )
    )


def study_seconds(session: Session, person_id: int, start: date, end: date) -> dict[str, int]:
    rows = session.execute(
        select(StudyTime.kind, func.sum(StudyTime.seconds))
        .where(StudyTime.person_id == person_id, StudyTime.day >= start, StudyTime.day <= end)
        .group_by(StudyTime.kind)
    ).all()
    return {k: int(v or 0) for k, v in rows}


def study_marks(session: Session, person_id: int, law_slug: str | None = None) -> set[tuple[str, str]]:
    q = select(StudyMark.law_slug, StudyMark.locator).where(StudyMark.person_id == person_id)
    if law_slug:
        q = q.where(StudyMark.law_slug == law_slug)
    return {(a, b) for a, b in session.execute(q).all()}


def set_study_mark(session: Session, person_id: int, law_slug: str, locator: str, marked: bool, now: datetime) -> None:
    existing = session.execute(
        select(StudyMark).where(
            StudyMark.person_id == person_id, StudyMark.law_slug == law_slug, StudyMark.locator == locator
        )
    ).scalar_one_or_none()
    if marked and existing is None:
        session.add(StudyMark(person_id=person_id, law_slug=law_slug, locator=locator, marked_at=now))
    elif not marked and existing is not None:
        session.delete(existing)
