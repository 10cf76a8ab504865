"""Item statistics in the manner of Moodle's quiz statistics report, from aggregates the database computes.

For one question over n graded attempts, with x the question's score fraction (0..1) and y the rest of
the test (the attempt's score minus this question's points earned):
  facility index      = mean(x)
  discrimination index = Pearson r(x, y)   (Moodle: correlation of the item with the rest of the test)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_ATTEMPTS_FOR_FLAGS = 10
LOW_DISCRIMINATION = 0.2
TOO_EASY = 0.95
TOO_HARD = 0.2


@dataclass(frozen=True, slots=True)
class ItemSums:
    n: int
    sx: float
    sxx: float
    sy: float
    syy: float
    sxy: float


def facility(s: ItemSums) -> float | None:
    return s.sx / s.n if s.n else None


def discrimination(s: ItemSums) -> float | None:
    """Pearson correlation from sums; None when either side has no variance."""
    if s.n < 2:
        return None
    cov = s.n * s.sxy - s.sx * s.sy
    vx = s.n * s.sxx - s.sx * s.sx
    vy = s.n * s.syy - s.sy * s.sy
    if vx <= 1e-12 or vy <= 1e-12:
        return None
    return cov / math.sqrt(vx * vy)


def item_flags(n: int, fac: float | None, disc: float | None) -> list[str]:
    """Reasons to look at a question before it misleads anyone."""
    if n < MIN_ATTEMPTS_FOR_FLAGS or fac is None:
        return []
    flags = []
    if disc is not None and disc < 0:
        flags.append("区分度为负")
    elif disc is not None and disc < LOW_DISCRIMINATION:
        flags.append("区分度偏低")
    if fac > TOO_EASY:
        flags.append("过易")
    elif fac < TOO_HARD:
        flags.append("过难")
    return flags


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Reference implementation over raw values (tests compare the SQL path with it)."""
    n = len(xs)
    return discrimination(
        ItemSums(
            n, sum(xs), sum(x * x for x in xs), sum(ys), sum(y * y for y in ys), sum(x * y for x, y in zip(xs, ys))
        )
    )
