"""Timing helpers and the result of one figure (ours beside its floor)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def p99(values: list[float]) -> float | None:
    """Nearest-rank 99th percentile (the maximum when there are fewer than 100 samples)."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]


def summary(values: list[float]) -> dict:
    return {
        "median": median(values),
        "p99": p99(values),
        "n": len(values),
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }


@dataclass
class Figure:
    """One measured figure. ``ours``/``floor`` are samples in ``unit`` (seconds unless said otherwise)."""

    name: str
    ours: list[float]
    floor: list[float]
    unit: str = "s"
    target: float | None = None  # the largest acceptable ratio ours/floor
    what: str = ""  # what "ours" and the floor are, in one line
    check: str | None = None  # e.g. "same numbers" when both sides were compared
    extra: dict = field(default_factory=dict)
    ours_value: float | None = None  # overrides the median (throughput figures: seconds per save overall)
    floor_value: float | None = None

    @property
    def ours_median(self) -> float | None:
        return self.ours_value if self.ours_value is not None else median(self.ours)

    @property
    def floor_median(self) -> float | None:
        return self.floor_value if self.floor_value is not None else median(self.floor)

    @property
    def ratio(self) -> float | None:
        o, f = self.ours_median, self.floor_median
        return (o / f) if (o is not None and f) else None

    @property
    def target_met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target

    def as_json(self, scale: str, database: str, machine: dict) -> dict:
        time_unit = self.unit == "s"
        return {
            "name": self.name,
            "scale": scale,
            "database": database,
            "unit": self.unit,
            "ours_s": self.ours_median if time_unit else None,
            "floor_s": self.floor_median if time_unit else None,
            "ours": self.ours_median,
            "floor": self.floor_median,
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "median": {"ours": median(self.ours), "floor": median(self.floor)},
            "p99": {"ours": p99(self.ours), "floor": p99(self.floor)},
            "samples": {"ours": len(self.ours), "floor": len(self.floor)},
            "target_ratio": self.target,
            "target_met": self.target_met,
            "what": self.what,
            "check": self.check,
            **({"extra": self.extra} if self.extra else {}),
            "machine": machine,
        }


def paired(
    n: int,
    ours: Callable[[int], object],
    floor: Callable[[int], object],
    *,
    budget_s: float | None = None,
    min_n: int = 3,
    warmup: int = 0,
) -> tuple[list[float], list[float]]:
    """Run ours(i) and floor(i) alternately (which goes first alternates too), timing each call."""
    for i in range(warmup):
        ours(-1 - i)
        floor(-1 - i)
    t_ours, t_floor = [], []
    started = time.perf_counter()
    for i in range(n):
        pair = ((ours, t_ours), (floor, t_floor)) if i % 2 == 0 else ((floor, t_floor), (ours, t_ours))
        for fn, sink in pair:
            t = time.perf_counter()
            fn(i)
            sink.append(time.perf_counter() - t)
        if budget_s is not None and i + 1 >= min_n and time.perf_counter() - started > budget_s:
            break
    return t_ours, t_floor


def fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "s":
        if v >= 1:
            return f"{v:.2f} s"
        if v >= 1e-3:
            return f"{v * 1e3:.1f} ms"
        return f"{v * 1e6:.0f} µs"
    if unit == "MB":
        return f"{v:.0f} MB"
    return f"{v:.3g} {unit}"
