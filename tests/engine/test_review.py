"""FSRS scheduling of the 错题本 (engine/review.py)."""

import json
from datetime import UTC, datetime


def test_a_new_card_never_sleeps(monkeypatch):
    """fsrs's Card() without an id sleeps 1 ms (unique millisecond ids); a hand-in makes one card per wrong answer
    inside its write transaction, so new cards get an id of their own and nothing sleeps."""
    import fsrs.card

    from training_app.engine import review as rv

    def no_sleep(_seconds):
        raise AssertionError("fsrs slept while a card was made")

    monkeypatch.setattr(fsrs.card.time, "sleep", no_sleep)
    state, due = rv.review(None, False, datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    assert json.loads(state)["card_id"] > 0 and due.tzinfo is not None
    assert json.loads(rv.new_card_state())["state"] is not None
