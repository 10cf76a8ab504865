"""Scores of attempts and campaigns. The per-question rules (canonical responses, option mapping, fraction,
pass check) live in training_app.qtypes; the names below stay for their callers."""

from __future__ import annotations

from ..qtypes import fraction as fraction
from ..qtypes import grade as grade
from ..qtypes import normalize_response as normalize_response
from ..qtypes import passes, to_canonical, to_display
from ..qtypes import to_percent as to_percent
from ..vocab import GradingMethod


def display_to_canonical(order: tuple[int, ...], shown_indices: list[int]) -> str:
    """Shown option positions (0-based) of a choice question -> canonical letters of the bank's options."""
    return to_canonical("single", order, shown_indices) or ""


def canonical_to_display(order: tuple[int, ...], response: str | None) -> list[int]:
    """Canonical letters of a choice question -> shown positions (0-based) for an option order."""
    return to_display("single", order, response)


def combine_scores(scores: list[float], method: str = GradingMethod.HIGHEST) -> float | None:
    """The campaign grade from finished attempts' scores, in attempt order."""
    if not scores:
        return None
    if method == GradingMethod.HIGHEST:
        return max(scores)
    if method == GradingMethod.FIRST:
        return scores[0]
    if method == GradingMethod.LAST:
        return scores[-1]
    if method == GradingMethod.AVERAGE:
        return round(sum(scores) / len(scores), 2)
    raise ValueError(f"unknown grading method {method!r}")


def passed(score: float | None, max_score: float, pass_mark: float) -> bool:
    """Pass mark is on a 100-point scale."""
    if score is None or max_score <= 0:
        return False
    return passes(to_percent(score, max_score), pass_mark)


def grade_passes(grade: float | None, pass_mark: float) -> bool:
    """A campaign grade (a percent, combined over attempts) at or above the pass mark."""
    return passes(grade, pass_mark)
