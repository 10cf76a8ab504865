"""Text safety shared by every layer: spreadsheet formula injection."""

from __future__ import annotations

import re
from typing import TypeVar, overload

_T = TypeVar("_T")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@overload
def neutralize(value: str) -> str: ...
@overload
def neutralize(value: _T) -> _T: ...


def neutralize(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_filename(text: str, *, fallback: str = "未命名", max_len: int = 80) -> str:
    """One path component fit for an archive entry or a download name: no separators, no '..', no control
    or reserved characters, no leading dots or spaces (so it can never climb out of its folder)."""
    name = _UNSAFE_NAME.sub("_", str(text or ""))
    name = re.sub(r"\.{2,}", "_", name).strip(" .")
    return name[:max_len] or fallback
