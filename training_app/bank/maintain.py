"""Keeping the bank current: record which version of each cited law a file's questions were checked against.

``training-app bank confirm --law SLUG`` is what legal staff run after re-checking a law's questions
against its new version: the files' ``checked_against`` entries for that law move to the version in
must_know.yaml, and the questions come back into new papers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .loader import question_files

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_HEADER = re.compile(r"^checked_against:.*(?:\n[ \t]+.*)*\n?", re.MULTILINE)


def _cited(data: dict[str, Any], index: dict[str, str]) -> set[str]:
    out = set()
    for q in data.get("questions") or []:
        if not isinstance(q, dict):
            continue
        srcs = q.get("sources") if q.get("sources") is not None else q.get("source")
        for s in srcs if isinstance(srcs, list) else [srcs]:
            if isinstance(s, dict) and s.get("law") in index:
                out.add(index[s["law"]])
    return out


def stamp(root: Path, *, law: str | None = None) -> dict[str, int]:
    """Write each file's checked_against mapping: missing laws get today's version; with ``law``, that
    law is confirmed at its current version everywhere. Returns {file: laws stamped}."""
    mk = yaml.load((root / "must_know.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    versions = {e["slug"]: str(e["version"]) for e in mk["laws"]}
    titles = {e["slug"]: e for e in mk["laws"]}
    index: dict[str, str] = {}
    for slug, e in titles.items():
        for name in (slug, e["title"], e["short_title"], e["title"].removeprefix("中华人民共和国")):
            index[name] = slug
    changed: dict[str, int] = {}
    for path in question_files(root):
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_Loader) or {}
        existing = data.get("checked_against")
        current = (
            dict(existing)
            if isinstance(existing, dict)
            else ({data["law"]: str(existing)} if existing is not None and data.get("law") else {})
        )
        wanted = dict(current)
        for slug in sorted(_cited(data, index)):
            if slug not in wanted or slug == law:
                wanted[slug] = versions[slug]
        if wanted == current:
            continue
        line = (
            "checked_against: "
            + yaml.safe_dump(
                dict(sorted(wanted.items())), allow_unicode=True, default_flow_style=True, width=10000
            ).strip()
            + "\n"
        )
        if _HEADER.search(text):
            text = _HEADER.sub(line, text, count=1)
        else:
            m = re.search(r"^questions:", text, re.MULTILINE)
            text = text[: m.start()] + line + text[m.start() :] if m else line + text
        path.write_text(text, encoding="utf-8")
        changed[str(path.relative_to(root))] = sum(1 for k in wanted if wanted[k] != current.get(k))
    return changed
