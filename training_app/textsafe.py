"""Text safety shared by every layer: spreadsheet formula injection."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
