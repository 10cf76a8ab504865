"""Question types: what a response is, how it is shown and how it is graded — the one home of these rules.

Moodle's question engine keeps a question *type* (what a question is and how it is graded) apart from the
*behaviour* (deferred feedback in an exam, immediate feedback in practice). This module is the type side,
for every path: the bank's loader, paper assembly, saving an answer, grading, regrading, the item statistics,
the exam page and the 错题本. It imports nothing but the vocabulary, so every layer may use it.

Canonical responses: single "B", multiple "AC" (letters of the bank's options, sorted), judge "T" / "F".
A paper shows a choice question's options in a shuffled `order` (bank indices in the order shown); a judge
question always shows 正确 (index 0, "T") then 错误 (index 1, "F").
"""

from __future__ import annotations

from typing import NamedTuple

from .vocab import QUESTION_TYPE_LABELS, QUESTION_TYPES, QuestionType

__all__ = [
    "JUDGE_FALSE",
    "JUDGE_OPTIONS",
    "JUDGE_TRUE",
    "LETTERS",
    "PASS_EPSILON",
    "QUESTION_TYPES",
    "QUESTION_TYPE_LABELS",
    "Mark",
    "display_order",
    "fraction",
    "grade",
    "is_choice",
    "mark",
    "normalize_response",
    "option_indexes",
    "option_keys",
    "option_label",
    "passes",
    "shown_options",
    "to_canonical",
    "to_display",
    "to_percent",
    "type_label",
]

LETTERS = "ABCDEF"  # option keys of a choice question (at most six options)
JUDGE_TRUE, JUDGE_FALSE = "T", "F"
JUDGE_OPTIONS = ("正确", "错误")  # what a judge question shows, in this order: index 0 is T, index 1 is F
PASS_EPSILON = 1e-9  # 59.999999 of rounding is 60


def type_label(qtype: str) -> str:
    return QUESTION_TYPE_LABELS.get(qtype, qtype)


def is_choice(qtype: str) -> bool:
    """Single and multiple choice: options with letters, shuffled on a paper."""
    return qtype != QuestionType.JUDGE


# --- what is shown -----------------------------------------------------------------------------------


def option_keys(qtype: str, n_options: int) -> tuple[str, ...]:
    """Canonical keys of the options, in bank order."""
    if not is_choice(qtype):
        return (JUDGE_TRUE, JUDGE_FALSE)
    return tuple(LETTERS[:n_options])


def shown_options(qtype: str, options: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The option texts in bank order (judge: 正确, 错误)."""
    return JUDGE_OPTIONS if not is_choice(qtype) else tuple(options)


def display_order(qtype: str, order: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """Bank option indices in the order shown: the paper's shuffle for a choice question, (0, 1) for judge."""
    return tuple(order) if is_choice(qtype) else (0, 1)


def option_label(qtype: str, position: int, text: str) -> str:
    """How one shown option reads: "A. text" for a choice question (letters by shown position), the bare
    text (正确 / 错误) for judge."""
    return f"{LETTERS[position]}. {text}" if is_choice(qtype) else text


# --- responses -----------------------------------------------------------------------------------------


def normalize_response(qtype: str, response: str | None, n_options: int) -> str | None:
    """A response in canonical form ("B", "AC", "T"), or None for no answer; invalid input raises ValueError."""
    if response is None:
        return None
    text = "".join(str(response).split()).upper()
    if text == "":
        return None
    if not is_choice(qtype):
        if text not in (JUDGE_TRUE, JUDGE_FALSE):
            raise ValueError(f"invalid judge response {response!r}")
        return text
    letters = LETTERS[:n_options]
    keys = sorted(set(text))
    if any(k not in letters for k in keys) or len(keys) != len(text):
        raise ValueError(f"invalid response {response!r}")
    if qtype == QuestionType.SINGLE and len(keys) != 1:
        raise ValueError("a single-choice response has exactly one letter")
    return "".join(keys)


def option_indexes(qtype: str, response: str | None) -> list[int]:
    """Which options a response chose, by bank index (judge: 0 = 正确 "T", 1 = 错误 "F"): the item statistics'
    option distribution."""
    if not response:
        return []
    if not is_choice(qtype):
        return [0 if response == JUDGE_TRUE else 1]
    return sorted(LETTERS.index(ch) for ch in response)


def to_display(qtype: str, order: tuple[int, ...] | list[int], response: str | None) -> list[int]:
    """Canonical response -> the positions shown (0-based) for the paper's option order."""
    wanted = set(option_indexes(qtype, response))
    return [pos for pos, bank_idx in enumerate(display_order(qtype, order)) if bank_idx in wanted]


def to_canonical(qtype: str, order: tuple[int, ...] | list[int], shown: list[int]) -> str | None:
    """Positions chosen on the page (0-based, in the order shown) -> the canonical response (None: nothing)."""
    if not shown:
        return None
    if not is_choice(qtype):
        return JUDGE_TRUE if shown[0] == 0 else JUDGE_FALSE
    shown_order = display_order(qtype, order)
    return "".join(sorted(LETTERS[shown_order[i]] for i in shown))


# --- grading ---------------------------------------------------------------------------------------------


class Mark(NamedTuple):
    fraction: float  # share of the points earned, 0..1
    earned: float  # points × fraction, rounded to 4 places


def fraction(qtype: str, correct: str, response: str | None, *, partial: bool = False) -> float:
    """Share of the points earned: single and judge all or nothing; multiple all or nothing,
    or, with partial credit, the share of correct options chosen when no wrong option is chosen."""
    if not response:
        return 0.0
    if response == correct:
        return 1.0
    if qtype == QuestionType.MULTIPLE and partial:
        chosen, right = set(response), set(correct)
        if chosen <= right:
            return len(chosen) / len(right)
    return 0.0


def mark(qtype: str, correct: str, response: str | None, points: float, *, partial: bool = False) -> Mark:
    """The grading of one response: what exam grading, regrading and the review all call."""
    f = fraction(qtype, correct, response, partial=partial)
    return Mark(f, round(points * f, 4))


def grade(qtype: str, correct: str, response: str | None, points: float, *, partial: bool = False) -> float:
    """Points earned by one response."""
    return mark(qtype, correct, response, points, partial=partial).earned


def to_percent(score: float, max_score: float) -> float:
    return round(100.0 * score / max_score, 2) if max_score else 0.0


def passes(percent: float | None, pass_mark: float) -> bool:
    """A percent (0..100) at or above the pass mark (on a 100-point scale)."""
    return percent is not None and percent + PASS_EPSILON >= pass_mark
