"""Page objects, defined in one place so the router and in-page links agree."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent / "app_pages"


def page(name: str, title: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(str(PAGES_DIR / f"{name}.py"), title=title, icon=icon, url_path=name, default=default)


def goto(name: str) -> None:
    st.switch_page(str(PAGES_DIR / f"{name}.py"))
