"""Question types: what a response is and how it is graded (apart from how it is collected)."""

from __future__ import annotations

from ..bank.schema import JUDGE_FALSE, JUDGE_TRUE, LETTERS

GRADING_METHODS = ("highest", "first", "last", "average")
GRADING_LABELS = {"highest": "取最高分", "first": "取首次", "last": "取末次", "average": "取平均分"}


def normalize_response(qtype: str, response: str | None, n_options: int) -> str | None:
    """A response in canonical form ("B", "AC", "T"), or None for no answer; invalid input raises ValueError."""
    if response is None:
        return None
    text = "".join(str(response).split()).upper()
    if text == "":
        return None
    if qtype == "judge":
        if text not in (JUDGE_TRUE, JUDGE_FALSE):
            raise ValueError(f"invalid judge response {response!r}")
        return text
    letters = LETTERS[:n_options]
    keys = sorted(set(text))
    if any(k not in letters for k in keys) or len(keys) != len(text):
        raise ValueError(f"invalid response {response!r}")
    if qtype == "single" and len(keys) != 1:
        raise ValueError("a single-choice response has exactly one letter")
    return "".join(keys)


def fraction(qtype: str, correct: str, response: str | None, *, partial: bool = False) -> float:
    """Share of the points earned: single and judge all or nothing; multiple all or nothing,
    or, with partial credit, the share of correct options chosen when no wrong option is chosen."""
    if not response:
        return 0.0
    if response == correct:
        return 1.0
    if qtype == "multiple" and partial:
        chosen, right = set(response), set(correct)
        if chosen <= right:
            return len(chosen) / len(right)
    return 0.0


def grade(qtype: str, correct: str, response: str | None, points: float, *, partial: bool = False) -> float:
    return round(points * fraction(qtype, correct, response, partial=partial), 4)


def display_to_canonical(order: tuple[int, ...], shown_indices: list[int]) -> str:
    """Shown option positions (0-based) -> canonical letters of the bank's options."""
    return "".join(sorted(LETTERS[order[i]] for i in shown_indices))


def canonical_to_display(order: tuple[int, ...], response: str | None) -> list[int]:
    """Canonical letters -> shown positions (0-based) for an option order."""
    if not response:
        return []
    wanted = {LETTERS.index(ch) for ch in response}
    return [pos for pos, bank_idx in enumerate(order) if bank_idx in wanted]


def combine_scores(scores: list[float], method: str = "highest") -> float | None:
    """The campaign grade from finished attempts' scores, in attempt order."""
    if not scores:
        return None
    if method == "highest":
        return max(scores)
    if method == "first":
        return scores[0]
    if method == "last":
        return scores[-1]
    if method == "average":
        return round(sum(scores) / len(scores), 2)
    raise ValueError(f"unknown grading method {method!r}")


def passed(score: float | None, max_score: float, pass_mark: float) -> bool:
    """Pass mark is on a 100-point scale."""
    if score is None or max_score <= 0:
        return False
    return to_percent(score, max_score) + 1e-9 >= pass_mark


def to_percent(score: float, max_score: float) -> float:
    return round(100.0 * score / max_score, 2) if max_score else 0.0
