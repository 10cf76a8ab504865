"""AppTest fixtures: the real entry point against a temp SQLite database and the small bank."""

from __future__ import annotations

import pytest

from tests.conftest import REPO, make_test_app
from tests.support.factory import PASSWORD, district, make_person

APP_FILE = str(REPO / "training_app" / "ui" / "app.py")


@pytest.fixture
def ui_env(tmp_path, monkeypatch, small_bank, small_bank_dir):
    import streamlit as st

    from training_app import config
    from training_app.store import db

    url = f"sqlite:///{tmp_path / 'ui.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("QUESTION_BANK_DIR", str(small_bank_dir))
    monkeypatch.setenv("DEMO_MODE", "1")
    monkeypatch.setenv("TRAINING_APP_DATA_DIR", str(tmp_path))
    config.get_settings.cache_clear()
    db.dispose_engines()
    st.cache_resource.clear()
    app = make_test_app(url, small_bank, small_bank_dir, tmp_path)
    units, coordinator, officers, cid = district(app, n_officers=4)
    admin = make_person(app, "admin", role="admin", name="管理员甲")
    leader = make_person(app, "ld001", role="leader", unit_id=units[0], name="李领导")
    yield {
        "app": app,
        "units": units,
        "coordinator": coordinator,
        "officers": officers,
        "campaign": cid,
        "admin": admin,
        "leader": leader,
        "password": PASSWORD,
    }
    app.engine.dispose()
    db.dispose_engines()
    st.cache_resource.clear()
    config.get_settings.cache_clear()


def login_token(env, actor) -> str:
    from training_app.services import auth

    return auth.login(env["app"], actor.account, PASSWORD).token


def run_page(env, actor, page: str | None = None, **state):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP_FILE, default_timeout=60)
    if actor is not None:
        at.session_state["token"] = login_token(env, actor)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    return at
