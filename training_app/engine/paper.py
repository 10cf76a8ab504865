"""Draw a paper from a blueprint: exact counts per type, law/topic and difficulty; reproducible from its seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..bank.schema import Bank, Blueprint, BlueprintSection, Question


class PaperError(ValueError):
    """The bank cannot satisfy the blueprint."""


@dataclass(frozen=True, slots=True)
class Slot:
    slot: int  # 1-based position on the paper
    qid: str
    qtype: str
    order: tuple[int, ...]  # bank option indices in the order shown; () for judge
    points: float
    content_hash: str

    def to_dict(self) -> dict:
        return {"slot": self.slot, "qid": self.qid, "type": self.qtype, "order": list(self.order),
                "points": self.points, "hash": self.content_hash}

    @classmethod
    def from_dict(cls, d: dict) -> "Slot":
        return cls(slot=d["slot"], qid=d["qid"], qtype=d["type"], order=tuple(d["order"]),
                   points=float(d["points"]), content_hash=d["hash"])


@dataclass(frozen=True, slots=True)
class Paper:
    blueprint_id: str
    seed: int
    slots: tuple[Slot, ...]

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.slots)


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


def _draw_section(rng: random.Random, pool: list[Question], section: BlueprintSection, used: set[str]) -> list[Question]:
    free = [q for q in pool if q.id not in used]
    where = section.label or f"{section.type} × {section.count}"
    if section.difficulty:
        picked: list[Question] = []
        for level, n in section.difficulty:
            if n == 0:
                continue
            level_pool = [q for q in free if q.difficulty == level]
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
    order += ["single", "multiple", "judge"]
    return list(dict.fromkeys(order))


def assemble_paper(bank: Bank, blueprint: Blueprint, seed: int) -> Paper:
    """One frozen paper: questions grouped by type in the blueprint's order, shuffled within each type."""
    rng = random.Random(seed)
    used: set[str] = set()
    groups: dict[str, list[Question]] = {t: [] for t in _type_order(blueprint)}
    for section in blueprint.sections:
        pool = section_pool(bank, section)
        picked = _draw_section(rng, pool, section, used)
        used.update(q.id for q in picked)
        for q in picked:
            groups[q.type].append(q)
    slots: list[Slot] = []
    for qtype, questions in groups.items():
        rng.shuffle(questions)
        for q in questions:
            order: tuple[int, ...] = ()
            if q.type != "judge":
                idx = list(range(len(q.options)))
                rng.shuffle(idx)
                order = tuple(idx)
            slots.append(Slot(slot=len(slots) + 1, qid=q.id, qtype=q.type, order=order,
                              points=blueprint.points_for(q.type), content_hash=q.content_hash))
    return Paper(blueprint_id=blueprint.id, seed=seed, slots=tuple(slots))


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
