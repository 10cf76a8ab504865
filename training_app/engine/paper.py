"""Draw a paper from a blueprint: exact counts per type, law/topic and difficulty; reproducible from its seed."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import qtypes
from ..bank.schema import Bank, BankIssue, Blueprint, BlueprintSection, Question


class PaperError(ValueError):
    """The bank cannot satisfy the blueprint."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One question as drawn for a paper."""

    slot: int  # 1-based position on the paper
    qid: str
    qtype: str
    order: tuple[int, ...]  # bank option indices in the order shown; () for judge
    points: float
    content_hash: str

    def freeze(self, question: Question) -> FrozenSlot:
        """This slot as an attempt stores it: with the question's key, law and option count of today."""
        return _frozen_slot(self.slot, question, self.order, self.points, self.content_hash)


@dataclass(frozen=True, slots=True)
class Paper:
    blueprint_id: str
    seed: int
    slots: tuple[Slot, ...]

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.slots)


# --- the frozen paper: what an attempt stores (``attempt.paper``) -------------------------------


class FrozenSlot(NamedTuple):
    """One slot of an attempt's frozen paper: grading reads only this, never the bank (whose key may change).

    A named tuple rather than a frozen dataclass: starting an exam builds 80 of them, and a frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field) was a third of drawing the paper."""

    slot: int
    qid: str
    qtype: str
    order: tuple[int, ...]
    points: float
    content_hash: str
    key: str  # the canonical answer when the attempt started (a regrade may replace it)
    law: str  # the law slug the question counts under (unit × law accuracy)
    n: int  # how many options (0 for judge)

    @property
    def shown_order(self) -> tuple[int, ...]:
        """Bank option indices in the order the officer sees them (judge: 正确, 错误)."""
        return qtypes.display_order(self.qtype, self.order)

    def mark(self, response: str | None, *, partial: bool) -> qtypes.Mark:
        return qtypes.mark(self.qtype, self.key, response, self.points, partial=partial)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "qid": self.qid,
            "type": self.qtype,
            "order": list(self.order),
            "points": self.points,
            "hash": self.content_hash,
            "key": self.key,
            "law": self.law,
            "n": self.n,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FrozenSlot:
        """Tolerant of every shape stored so far: ``order`` may be missing for judge, ``n`` is the option
        count (or the order's length), ``law`` may be absent in old rows; unknown keys are ignored."""
        order = tuple(int(i) for i in d.get("order") or ())
        return cls(
            slot=int(d["slot"]),
            qid=str(d["qid"]),
            qtype=str(d["type"]),
            order=order,
            points=float(d["points"]),
            content_hash=str(d.get("hash", "")),
            key=str(d.get("key") or ""),
            law=str(d.get("law") or ""),
            n=int(d["n"]) if d.get("n") is not None else len(order),
        )


@dataclass(frozen=True, slots=True)
class FrozenPaper:
    """An attempt's paper, frozen when it started. Serialised and parsed here only (``dumps`` / ``loads``)."""

    slots: tuple[FrozenSlot, ...]

    def __len__(self) -> int:
        return len(self.slots)

    def __iter__(self) -> Iterator[FrozenSlot]:
        return iter(self.slots)

    def at(self, slot: int) -> FrozenSlot | None:
        """The slot numbered `slot` (1-based), or None when the paper has no such slot."""
        return self.slots[slot - 1] if 1 <= slot <= len(self.slots) else None

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.slots)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.slots]

    def dumps(self) -> str:
        """The JSON stored in ``attempt.paper`` (compact, UTF-8 kept): the objects of ``to_dicts``, written from
        each question's part that is the same on every paper (kept per process) and the slot's number and order."""
        return (
            "["
            + ",".join(
                f'{{"slot":{s.slot},"order":[{",".join(map(str, s.order))}],{_fixed_part(s)}}}' for s in self.slots
            )
            + "]"
        )

    @classmethod
    def loads(cls, raw: str) -> FrozenPaper:
        return cls(tuple(FrozenSlot.from_dict(d) for d in json.loads(raw)))

    def with_current_keys(self, bank: Bank) -> tuple[FrozenPaper, set[str]]:
        """For a regrade: the paper with the bank's key, hash and law for every question whose content changed
        but is still the same kind of question (type and option count); and the ids of those questions."""
        changed: set[str] = set()
        out = []
        for s in self.slots:
            q = bank.questions.get(s.qid)
            if q is not None and q.content_hash != s.content_hash and q.type == s.qtype and len(q.options) == s.n:
                s = FrozenSlot(
                    slot=s.slot,
                    qid=s.qid,
                    qtype=s.qtype,
                    order=s.order,
                    points=s.points,
                    content_hash=q.content_hash,
                    key=q.answer,
                    law=q.law,
                    n=s.n,
                )
                changed.add(s.qid)
            out.append(s)
        return FrozenPaper(tuple(out)), changed


_FIXED: dict[tuple[str, str, float, str, str, str, int], str] = {}
_FIXED_MAX = 50_000


def _fixed_part(s: FrozenSlot) -> str:
    """The JSON members of a slot that do not depend on the paper (question, type, points, hash, key, law, n)."""
    k = (s.qid, s.qtype, s.points, s.content_hash, s.key, s.law, s.n)
    part = _FIXED.get(k)
    if part is None:
        if len(_FIXED) >= _FIXED_MAX:
            _FIXED.clear()
        d = {"qid": s.qid, "type": s.qtype, "points": s.points, "hash": s.content_hash, "key": s.key, "law": s.law}
        part = _FIXED[k] = json.dumps(d | {"n": s.n}, ensure_ascii=False, separators=(",", ":"))[1:-1]
    return part


def _frozen_slot(slot: int, q: Question, order: tuple[int, ...], points: float, content_hash: str) -> FrozenSlot:
    """A slot as an attempt stores it: the question's key, law and option count of today."""
    return FrozenSlot(
        slot=slot,
        qid=q.id,
        qtype=q.type,
        order=order,
        points=points,
        content_hash=content_hash,
        key=q.answer,
        law=q.law,
        n=len(q.options),
    )


def freeze(bank: Bank, paper: Paper) -> FrozenPaper:
    """A drawn paper as an attempt stores it."""
    return FrozenPaper(tuple(s.freeze(bank.questions[s.qid]) for s in paper.slots))


def section_pool(bank: Bank, section: BlueprintSection, *, include_review: bool = False) -> list[Question]:
    """Questions a section may draw from, in id order (so a seed reproduces the draw); cached per bank.

    Left out: questions needing review, and questions citing a document not in force (validity period_ended or
    unverified) unless the section names that document in its `laws:`."""
    key = (section, include_review)
    cached = bank.pool_cache.get(key)
    if cached is None:
        cached = bank.pool_cache[key] = _compute_pool(bank, section, include_review)
    return cached


def _compute_pool(bank: Bank, section: BlueprintSection, include_review: bool) -> list[Question]:
    out = []
    laws = set(section.laws)
    topics = set(section.topics)
    tags = set(section.tags)
    audience = set(section.audience)
    for qid in sorted(bank.questions):
        q = bank.questions[qid]
        if (section.type != "any" and q.type != section.type) or (q.needs_review and not include_review):
            continue
        cited = {s.law_slug for s in q.sources}
        if laws and not (cited & laws):
            continue
        # A question citing a document not in force (period ended, unverified) only where the section names it.
        if any(not bank.laws[slug].in_force and slug not in laws for slug in cited):
            continue
        if topics and not (topics & set(q.topics)):
            continue
        if tags and not (tags & set(q.tags)):
            continue
        if audience and bank.laws[q.law].audience not in audience:
            continue
        out.append(q)
    return out


@dataclass(frozen=True, slots=True)
class _SectionPool:
    """A section's pool prepared for drawing: the questions, their ids, and the questions of each difficulty."""

    questions: list[Question]
    ids: frozenset[str]
    index: dict[str, int]  # question id -> position in `questions`
    levels: dict[int, list[Question]]


def _prepared_pool(bank: Bank, section: BlueprintSection) -> _SectionPool:
    key = ("prepared", section)
    cached = bank.pool_cache.get(key)
    if cached is None:
        pool = section_pool(bank, section)
        levels: dict[int, list[Question]] = {}
        for q in pool:
            levels.setdefault(q.difficulty, []).append(q)
        index = {q.id: i for i, q in enumerate(pool)}
        cached = bank.pool_cache[key] = _SectionPool(pool, frozenset(index), index, levels)
    return cached


def _draw_section(
    rng: random.Random, prepared: _SectionPool, section: BlueprintSection, used: set[str]
) -> list[Question]:
    # The usual case: no earlier section took a question of this pool, so the prepared lists are the free ones
    # (the same lists in the same order as filtering would give: a seed draws the same paper either way).
    taken = used & prepared.ids
    clash = bool(taken)
    free = prepared.questions
    if clash:
        free = list(free)
        for pos in sorted((prepared.index[qid] for qid in taken), reverse=True):
            del free[pos]
    where = section.label or f"{section.type} × {section.count}"
    if section.difficulty:
        picked: list[Question] = []
        for level, n in section.difficulty:
            if n == 0:
                continue
            if clash:
                level_pool = [q for q in free if q.difficulty == level]
            else:
                level_pool = prepared.levels.get(level, [])
            if len(level_pool) < n:
                raise PaperError(f"{where}：难度 {level} 需要 {n} 题，可用 {len(level_pool)} 题")
            picked.extend(rng.sample(level_pool, n))
        return picked
    if len(free) < section.count:
        raise PaperError(f"{where}：需要 {section.count} 题，可用 {len(free)} 题")
    return rng.sample(free, section.count)


def _type_order(blueprint: Blueprint) -> list[str]:
    """Types in the order the blueprint first names them (then the rest): single, multiple, judge."""
    order = [s.type for s in blueprint.sections if s.type != "any"]
    order += list(qtypes.QUESTION_TYPES)
    return list(dict.fromkeys(order))


def _draw(bank: Bank, blueprint: Blueprint, seed: int) -> list[tuple[Question, tuple[int, ...]]]:
    """The questions of a paper in the order shown, each with its options' order: grouped by type in the
    blueprint's order, shuffled within each type. The same seed draws the same paper."""
    rng = random.Random(seed)
    used: set[str] = set()
    groups: dict[str, list[Question]] = {t: [] for t in _type_order(blueprint)}
    for section in blueprint.sections:
        picked = _draw_section(rng, _prepared_pool(bank, section), section, used)
        used.update(q.id for q in picked)
        for q in picked:
            groups[q.type].append(q)
    out: list[tuple[Question, tuple[int, ...]]] = []
    for questions in groups.values():
        rng.shuffle(questions)
        for q in questions:
            order: tuple[int, ...] = ()
            if qtypes.is_choice(q.type):
                idx = list(range(len(q.options)))
                rng.shuffle(idx)
                order = tuple(idx)
            out.append((q, order))
    return out


def assemble_paper(bank: Bank, blueprint: Blueprint, seed: int) -> Paper:
    """One paper drawn from a blueprint (see ``_draw``)."""
    slots = tuple(
        Slot(
            slot=i,
            qid=q.id,
            qtype=q.type,
            order=order,
            points=blueprint.points_for(q.type),
            content_hash=q.content_hash,
        )
        for i, (q, order) in enumerate(_draw(bank, blueprint, seed), start=1)
    )
    return Paper(blueprint_id=blueprint.id, seed=seed, slots=slots)


def draw_frozen(bank: Bank, blueprint: Blueprint, seed: int) -> FrozenPaper:
    """The paper ``assemble_paper`` draws with this seed, frozen as an attempt stores it, in one pass (starting an
    exam does this: the same slots as ``freeze(bank, assemble_paper(...))``)."""
    points = {t: blueprint.points_for(t) for t in qtypes.QUESTION_TYPES}
    return FrozenPaper(
        tuple(
            _frozen_slot(i, q, order, points[q.type], q.content_hash)
            for i, (q, order) in enumerate(_draw(bank, blueprint, seed), start=1)
        )
    )


def blueprint_issues(bank: Bank) -> list[BankIssue]:
    """Each blueprint the bank cannot fill (a paper drawn with seed 0 fails), as a problem at the blueprint's file."""
    issues = []
    for bp in bank.blueprints.values():
        try:
            assemble_paper(bank, bp, seed=0)
        except PaperError as exc:
            issues.append(BankIssue(bp.file, 1, bp.id, f"题库无法满足组卷方案：{exc}"))
    return issues


# --- how much two papers have in common ----------------------------------------------------------

OVERLAP_PAIRS = 300


@dataclass(frozen=True, slots=True)
class Overlap:
    blueprint_id: str
    pairs: int
    mean: float  # expected share of one paper's questions that the other paper also has
    worst: float  # the largest share seen in any pair


def paper_overlap(bank: Bank, blueprint: Blueprint, *, pairs: int = OVERLAP_PAIRS, base_seed: int = 0) -> Overlap:
    """The share of questions two officers' papers have in common, by simulating `pairs` pairs of real draws
    (seeds base_seed, base_seed + 1, ...: the same figure every run)."""
    n = blueprint.question_count
    shares = []
    for i in range(pairs):
        a = assemble_paper(bank, blueprint, base_seed + 2 * i)
        b = assemble_paper(bank, blueprint, base_seed + 2 * i + 1)
        common = {s.qid for s in a.slots} & {s.qid for s in b.slots}
        shares.append(len(common) / n)
    return Overlap(blueprint.id, pairs, sum(shares) / pairs if pairs else 0.0, max(shares, default=0.0))
