"""Wrong-answer book scheduling with FSRS: wrong -> Again, right -> Good; card state as JSON, UTC times."""

from __future__ import annotations

import json
import time
from datetime import datetime
from functools import lru_cache

from fsrs import Card, Rating, Scheduler

from .deadlines import as_utc


@lru_cache(maxsize=1)
def scheduler() -> Scheduler:
    # No fuzzing: the same history always gives the same schedule (reproducible and testable).
    return Scheduler(enable_fuzzing=False)


def _new_card() -> Card:
    """A new FSRS card. fsrs's `Card()` without an id sleeps 1 ms to make its millisecond id unique; that sleep ran
    once per wrong answer inside the hand-in's write transaction (21 ms of held lock for 21 wrong answers). Our
    cards are keyed by (person, question) in the database; the id only has to be a number, so microseconds."""
    return Card(card_id=time.time_ns() // 1000)


def new_card_state() -> str:
    return json.dumps(_new_card().to_dict(), ensure_ascii=False)


def review(card_json: str | None, correct: bool, when: datetime) -> tuple[str, datetime]:
    """Apply one review; returns (new card JSON, next due time in UTC)."""
    card = Card.from_dict(json.loads(card_json)) if card_json else _new_card()
    rating = Rating.Good if correct else Rating.Again
    card, _log = scheduler().review_card(card, rating, as_utc(when))
    return json.dumps(card.to_dict(), ensure_ascii=False), as_utc(card.due)
