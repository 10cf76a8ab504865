"""Fixtures of the browser tests: Debian chromium driven by Playwright, and real `streamlit run` servers on
databases that the CLI migrated and seeded with the demo district (`training-app db upgrade`, then
`training-app seed-demo --password ... --credentials-out logins.csv`).

The CLI seeds one SQLite template and (for the `pg` tests) one PostgreSQL template database per test run;
each site under test gets its own copy of it, so every server starts from the same fresh demo data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests.e2e.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    PHONE,
    TIMEOUT_MS,
    Db,
    Site,
    read_logins,
    run_cli,
)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


# --- the browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Chromium for one module (closed at its end, so no Playwright event loop outlives the browser tests)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: the test setup must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, request):
    """new_page(viewport=PHONE) -> a page in a fresh browser context (its own cookies, its own Streamlit session).
    On failure every open page is saved to test-artifacts/failures/."""
    contexts = []

    def _new(viewport: dict = PHONE):
        ctx = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield _new
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        out = ARTIFACTS / "failures"
        out.mkdir(parents=True, exist_ok=True)
        name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in request.node.name)
        for i, ctx in enumerate(contexts):
            for j, page in enumerate(ctx.pages):
                try:
                    page.screenshot(path=str(out / f"{name}-{i}-{j}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - best effort on a failing test
                    pass
    for ctx in contexts:
        try:
            ctx.close()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture(scope="session", autouse=True)
def _fresh_failure_artifacts():
    shutil.rmtree(ARTIFACTS / "failures", ignore_errors=True)


# --- seeded databases -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated and seeded by the CLI, with its logins.csv."""
    d = tmp_path_factory.mktemp("e2e-template")
    url = f"sqlite:///{d / 'training.db'}"
    run_cli(["db", "upgrade"], url, d)
    run_cli(["seed-demo", "--password", PASSWORD, "--credentials-out", str(d / "logins.csv")], url, d)
    return d


def make_sqlite_site(template: Path, tmp: Path) -> Site:
    tmp.mkdir(parents=True, exist_ok=True)
    for f in template.iterdir():
        if f.name.startswith("training.db") or f.name == "logins.csv":
            shutil.copy2(f, tmp / f.name)
    url = f"sqlite:///{tmp / 'training.db'}"
    return Site(url, tmp, read_logins(tmp / "logins.csv"), Db(url))


@pytest.fixture
def sqlite_site(sqlite_template, tmp_path):
    site = make_sqlite_site(sqlite_template, tmp_path / "site")
    yield site
    site.close()


@pytest.fixture(scope="module")
def module_site(sqlite_template, tmp_path_factory):
    """One SQLite site with one server for a whole module (tests that do not need a fresh server)."""
    site = make_sqlite_site(sqlite_template, tmp_path_factory.mktemp("site"))
    site.server().start()
    yield site
    site.close()


@pytest.fixture(scope="session")
def pg_template(pg_cluster, tmp_path_factory):
    """A PostgreSQL database migrated and seeded by the CLI, used as the template of each test's database."""
    d = tmp_path_factory.mktemp("e2e-pg-template")
    name = f"e2e_tmpl_{uuid.uuid4().hex[:8]}"
    url = pg_cluster.create_database(name)
    run_cli(["db", "upgrade"], url, d)
    run_cli(["seed-demo", "--password", PASSWORD, "--credentials-out", str(d / "logins.csv")], url, d)
    return name, d


@pytest.fixture
def pg_site(pg_cluster, pg_template, tmp_path):
    import psycopg

    template, template_dir = pg_template
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    d = tmp_path / "site"
    d.mkdir()
    shutil.copy2(template_dir / "logins.csv", d / "logins.csv")
    url = pg_cluster.url(name)
    site = Site(url, d, read_logins(d / "logins.csv"), Db(url))
    yield site
    site.close()


@pytest.fixture(autouse=True)
def _server_logs_on_failure(request):
    """On a failure, print the tail of each server's log (shown in pytest's report)."""
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is None or not rep.failed:
        return
    for value in request.node.funcargs.values():
        if isinstance(value, Site):
            for server in value.servers:
                print(f"--- streamlit on :{server.port} ({server.log_path}) ---\n{server.log_tail()}")
