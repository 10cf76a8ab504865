"""Shared fixtures: a small generated bank for rule tests, the real bank, databases on SQLite and a real
PostgreSQL that the test run starts itself."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REAL_BANK = REPO / "question_bank"
SHARED = REPO.parent / "shared"

os.environ.setdefault("DEMO_MODE", "1")


# --- a small, generated bank ---------------------------------------------------------------------

MUST_KNOW = """laws:
- {slug: law_a, title: 中华人民共和国甲法, short_title: 甲法, category: 法律, audience: all, version: 2020 修订, id_prefix: ja,
   validity: in_force, validity_checked: 2026-12-06}
- {slug: law_b, title: 乙条例, short_title: 乙条例, category: 行政法规, audience: officers, version: 2021 公布, id_prefix: yb,
   validity: in_force, validity_checked: 2026-12-06}
- {slug: law_c, title: 丙规定, short_title: 丙规定, category: 党内法规, audience: leaders, version: 2022 印发, id_prefix: bc,
   validity: in_force, validity_checked: 2026-12-06}
topics:
- {name: 证据收集与执法程序, key: evidence_procedure}
"""


def write_small_bank(root: Path, per_law: int = 12) -> Path:
    """Per law and type: `per_law` questions, difficulties cycling 1,2,3."""
    (root / "laws").mkdir(parents=True, exist_ok=True)
    (root / "blueprints").mkdir(exist_ok=True)
    (root / "must_know.yaml").write_text(MUST_KNOW, encoding="utf-8")
    titles = {
        "law_a": ("中华人民共和国甲法", "ja", "2020 修订"),
        "law_b": ("乙条例", "yb", "2021 公布"),
        "law_c": ("丙规定", "bc", "2022 印发"),
    }
    for slug, (title, prefix, version) in titles.items():
        lines = [f"law: {slug}", f"checked_against: '{version}'", "questions:"]
        n = 0
        for qtype in ("single", "multiple", "judge"):
            for _ in range(per_law):
                n += 1
                qid = f"{prefix}-{n:03d}-01"
                lines.append(f"  - id: {qid}")
                lines.append(f"    type: {qtype}")
                lines.append(f"    stem: {title}第{n}条规定的事项（ ）。编号{qid}")
                if qtype == "single":
                    lines.append("    options: [选项一, 选项二, 选项三, 选项四]")
                    lines.append(f"    answer: {'ABCD'[n % 4]}")
                elif qtype == "multiple":
                    lines.append("    options: [选项一, 选项二, 选项三, 选项四]")
                    lines.append("    answer: [A, C]")
                else:
                    lines.append(f"    answer: {'true' if n % 2 else 'false'}")
                lines.append("    explanation: 依据条文。")
                lines.append(f"    source: {{law: {title}, article: {n}, quote: 第{n}条的原文}}")
                lines.append(f"    difficulty: {1 + n % 3}")
                lines.append("    tags: [测试]")
                if n % 4 == 0:
                    lines.append("    topics: [证据收集与执法程序]")
        (root / "laws" / f"{slug}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "blueprints" / "small_exam.yaml").write_text(
        "title: 小测验\naudience: officers\ntime_limit_minutes: 30\npass_mark: 60\n"
        "points: {single: 2, multiple: 4, judge: 2}\nsections:\n"
        "  - {type: single, count: 5, laws: [law_a], difficulty: {1: 1, 2: 2, 3: 2}}\n"
        "  - {type: single, count: 3, laws: [law_b]}\n"
        "  - {type: multiple, count: 4}\n"
        "  - {type: judge, count: 6}\n",
        encoding="utf-8",
    )
    (root / "blueprints" / "leaders_quiz.yaml").write_text(
        "title: 领导干部测试\naudience: leaders\ntime_limit_minutes: 20\npass_mark: 60\n"
        "points: {single: 10, multiple: 10, judge: 10}\nsections:\n"
        "  - {type: single, count: 4, audience: [leaders, all]}\n"
        "  - {type: judge, count: 6, audience: [leaders, all]}\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="session")
def small_bank_dir(tmp_path_factory) -> Path:
    return write_small_bank(tmp_path_factory.mktemp("bank"))


@pytest.fixture(scope="session")
def small_bank(small_bank_dir):
    from training_app.bank import load_bank

    return load_bank(small_bank_dir)


@pytest.fixture(scope="session")
def real_bank():
    from training_app.bank import load_bank

    return load_bank(REAL_BANK)


# --- databases -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster():
    from tests.support.pg import PgCluster, pg_bin_dir

    if os.environ.get("SKIP_PG") == "1":
        pytest.skip("SKIP_PG=1")
    if pg_bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing in CI: the test command must install them")
        pytest.skip("PostgreSQL server binaries not installed (the README's test command installs them)")
    cluster = PgCluster().start()
    yield cluster
    cluster.stop()


def _settings(url: str, bank_dir: Path, tmp: Path, **extra):
    from training_app.config import load_settings

    env = {"DATABASE_URL": url, "QUESTION_BANK_DIR": str(bank_dir), "DEMO_MODE": "1", "TRAINING_APP_DATA_DIR": str(tmp)}
    env.update({k: str(v) for k, v in extra.items()})
    return load_settings(env=env, cwd=tmp)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"


def make_test_app(url: str, bank, bank_dir: Path, tmp: Path, **extra):
    from training_app.services.common import App
    from training_app.store.db import make_engine
    from training_app.store.migrate import upgrade

    engine = make_engine(url, pool_size=20, max_overflow=40)
    upgrade(engine)
    return App(engine=engine, bank=bank, settings=_settings(url, bank_dir, tmp, **extra))


@pytest.fixture
def app(db_url, small_bank, small_bank_dir, tmp_path):
    a = make_test_app(db_url, small_bank, small_bank_dir, tmp_path)
    yield a
    a.engine.dispose()


@pytest.fixture
def sqlite_app(sqlite_url, small_bank, small_bank_dir, tmp_path):
    a = make_test_app(sqlite_url, small_bank, small_bank_dir, tmp_path)
    yield a
    a.engine.dispose()
