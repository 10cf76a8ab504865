"""The benchmark dataset: a district, a city or a province with a year of activity, built in bulk.

Built once per scale and reused (SQLite: ``benchmarks/_data/<scale>.db``; PostgreSQL: the database named by
``--database-url``, marked by a ``bench_meta`` table). The schema is the real one (Alembic ``upgrade``), the
papers are real frozen papers of the real bank (blueprint ``annual_officer_exam``, 80 questions), and the summary
tables (``assignment``, ``item_stat``, ``unit_law_stat``) hold what ``services.exams._grade_in_session`` would
have left after grading every generated attempt (the sums are accumulated with numpy from the very arrays the
answer rows are written from; ``run.py`` re-derives every dashboard figure from the raw answers and checks they
agree).

Rows go in through SQLAlchemy Core ``executemany`` in batches (``Connection.exec_driver_sql`` with tuples, the
cheapest Core path; timestamps are pre-formatted the way SQLAlchemy stores them).

Per officer: two campaigns of the annual exam (last half-year's, closed, ~97% finished; the current one,
~88% finished, the rest not started), one attempt each with all 80 answers (2% left blank), and a year of
study time (25-90 days × diligence, 30-100 minutes a day). Abilities differ by officer and unit, laws by
difficulty, a few units lag behind, and one question is answered wrong by the strongest officers (so item
analysis flags it), as in the demo district.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "_data"
BANK_DIR = REPO / "question_bank"

SCALES = {"district": 476, "city": 10_000, "province": 100_000}
VERSION = 1
PASSWORD = "Bench#2026pw"  # every generated account (a shared initial-password hash, as in the demo)
BLUEPRINT = "annual_officer_exam"
PER_DISTRICT = 476  # valid officers in one district (the demo district)
PAPER_POOL = 64  # distinct frozen papers handed out to the generated attempts
CHUNK = 2500  # officers per insert batch (about 200,000 answer rows)
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


@dataclass
class Dataset:
    scale: str
    url: str
    officers: int
    previous_campaign: int
    current_campaign: int
    coordinator: str
    built_seconds: float | None  # None: reused
    meta: dict = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


def sqlite_path(scale: str) -> Path:
    return DATA_DIR / f"{scale}.db"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# --- reuse ---------------------------------------------------------------------------------------


def _read_meta(engine: Engine) -> dict | None:
    try:
        if "bench_meta" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT value FROM bench_meta WHERE key = 'dataset'")).scalar()
        return json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 - an unreadable file is rebuilt
        return None


def _dataset(meta: dict, url: str, built: float | None) -> Dataset:
    return Dataset(
        scale=meta["scale"],
        url=url,
        officers=meta["officers"],
        previous_campaign=meta["previous_campaign"],
        current_campaign=meta["current_campaign"],
        coordinator=meta["coordinator"],
        built_seconds=built,
        meta=meta,
    )


def _reusable(meta: dict | None, scale: str) -> bool:
    from training_app.store.migrate import head_revision

    return bool(
        meta
        and meta.get("version") == VERSION
        and meta.get("scale") == scale
        and meta.get("complete")
        and meta.get("schema") == head_revision()
    )


def ensure(scale: str, database_url: str | None = None, *, rebuild: bool = False) -> Dataset:
    """The dataset for a scale: reused when it was built by this version, else built now."""
    if database_url is None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path = sqlite_path(scale)
        if path.exists() and not rebuild:
            engine = create_engine(sqlite_url(path))
            meta = _read_meta(engine)
            engine.dispose()
            if _reusable(meta, scale):
                log(f"reusing {path} ({meta['rows']['answer']:,} answer rows, built {meta['built_at']})")
                return _dataset(meta, sqlite_url(path), None)
            log(f"{path} is incomplete, from another version of this script or of the schema: rebuilding")
        tmp = DATA_DIR / f"{scale}.building.db"
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            p.unlink(missing_ok=True)
        t0 = time.perf_counter()
        meta = build(scale, sqlite_url(tmp))
        built = time.perf_counter() - t0
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        tmp.rename(path)
        return _dataset(meta, sqlite_url(path), built)

    engine = create_engine(database_url)
    meta = _read_meta(engine)
    if _reusable(meta, scale) and not rebuild:
        engine.dispose()
        log(f"reusing the {scale} dataset in {engine.url.render_as_string(hide_password=True)}")
        return _dataset(meta, database_url, None)
    names = set(inspect(engine).get_table_names())
    if meta is None and names - {"alembic_version"}:
        with engine.connect() as conn:
            people = conn.execute(text("SELECT COUNT(*) FROM person")).scalar() if "person" in names else 0
        if people:
            engine.dispose()
            raise SystemExit(
                "该数据库已有数据且不是基准测试数据库（没有 bench_meta 表）；请给 --database-url 一个空数据库"
            )
    if names:
        log("dropping the previous benchmark dataset")
        _drop_all(engine)
    engine.dispose()
    t0 = time.perf_counter()
    meta = build(scale, database_url)
    return _dataset(meta, database_url, time.perf_counter() - t0)


def _drop_all(engine: Engine) -> None:
    from sqlmodel import SQLModel

    import training_app.store.models  # noqa: F401 - registers the tables

    with engine.begin() as conn:
        for name in ("bench_meta", "bench_question", "alembic_version"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        SQLModel.metadata.drop_all(conn)


# --- build ---------------------------------------------------------------------------------------


def _build_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=OFF")  # a half-built file is deleted, never used
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-1048576")  # 1 GiB
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA foreign_keys=OFF")
        cur.close()

    return engine


def _insert(conn, table: str, cols: tuple[str, ...], rows) -> int:
    """One Core executemany of plain tuples (placeholders in the driver's style)."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})", rows)
    return len(rows)


class _Clock:
    def __init__(self, pg: bool):
        self.pg = pg
        self.suffix = "+00" if pg else ""

    def fmt(self, dt: datetime | None) -> str | None:
        return None if dt is None else dt.strftime(SQLITE_TS) + self.suffix

    def fmt64(self, arr: np.ndarray) -> list[str]:
        """datetime64[us] (UTC) -> strings as stored, vectorised."""
        s = np.ascontiguousarray(np.datetime_as_string(np.ravel(arr), unit="us"))  # 2026-01-02T03:04:05.000006
        if s.size:
            s.view(np.uint32).reshape(s.size, -1)[:, 10] = ord(" ")
        if self.pg:
            s = np.char.add(s, self.suffix)
        return s.tolist()


@dataclass
class _Bank:
    qids: list[str]
    qindex: dict[str, int]
    key: np.ndarray  # canonical key per question
    wrong: np.ndarray  # (questions, L) wrong responses, cycled
    law_of: np.ndarray  # law index per question
    laws: list[str]
    difficulty: np.ndarray
    points: np.ndarray
    opt_masks: dict[str, int]


def _bank_arrays(bank, blueprint) -> _Bank:
    from training_app.bank.schema import LETTERS

    qids = sorted(bank.questions)
    laws = sorted(bank.laws)
    law_index = {slug: i for i, slug in enumerate(laws)}
    wrong_lists = []
    for qid in qids:
        q = bank.questions[qid]
        keys = list(q.option_keys())
        if q.type == "multiple":
            subsets = ["".join(c) for r in range(1, len(keys) + 1) for c in itertools.combinations(keys, r)]
            wrong_lists.append([s for s in subsets if s != q.answer])
        else:
            wrong_lists.append([k for k in keys if k != q.answer])
    width = max(len(w) for w in wrong_lists)
    wrong = np.array([[w[i % len(w)] for i in range(width)] for w in wrong_lists], dtype="<U6")
    masks = {}
    for resp in {r for w in wrong_lists for r in w} | {bank.questions[q].answer for q in qids}:
        # exactly the grading code's mapping (services/exams.py, _option_indexes): a judge answer is option 0
        # (T, 正确) or 1 (F, 错误). No question has six options, so "F" alone is always a judge answer.
        opts = [0] if resp == "T" else [1] if resp == "F" else [LETTERS.index(ch) for ch in resp]
        masks[resp] = sum(1 << i for i in set(opts))
    return _Bank(
        qids=qids,
        qindex={q: i for i, q in enumerate(qids)},
        key=np.array([bank.questions[q].answer for q in qids], dtype="<U6"),
        wrong=wrong,
        law_of=np.array([law_index[bank.questions[q].law] for q in qids]),
        laws=laws,
        difficulty=np.array([bank.questions[q].difficulty for q in qids], dtype=float),
        points=np.array([blueprint.points_for(bank.questions[q].type) for q in qids]),
        opt_masks=masks,
    )


def build(scale: str, url: str) -> dict:
    from training_app.bank import load_bank
    from training_app.config import load_settings
    from training_app.services import auth
    from training_app.services.common import App
    from training_app.services.demo import GIVEN, SURNAMES, TITLES, TOWNS, UNITS
    from training_app.services.exams import freeze_paper
    from training_app.store.migrate import upgrade

    n_officers = SCALES[scale]
    t_start = time.perf_counter()
    engine = _build_engine(url)
    pg = engine.dialect.name == "postgresql"
    clock = _Clock(pg)
    from training_app.store.migrate import head_revision

    log(f"building the {scale} dataset ({n_officers:,} officers) in {engine.url.render_as_string(hide_password=True)}")
    upgrade(engine)
    bank = load_bank(BANK_DIR)
    bp = bank.blueprints[BLUEPRINT]
    B = _bank_arrays(bank, bp)
    app = App(engine=None, bank=bank, settings=load_settings())
    rng = np.random.default_rng(20261128 + SCALES[scale])
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    year = now.year
    rows: dict[str, int] = {}

    # --- units and people
    districts = max(1, round(n_officers / PER_DISTRICT))
    unit_names, unit_kinds = [], []
    for d in range(districts):
        prefix = "" if districts == 1 else f"第{d + 1:03d}"
        for name in UNITS:
            unit_names.append(prefix + name)
            unit_kinds.append("enforcement")
        for name in TOWNS:
            unit_names.append(f"{prefix}区{name}" if prefix else name)
            unit_kinds.append("town")
    n_units = len(unit_names)
    unit_ids = np.arange(1, n_units + 1)
    per_district = len(UNITS) + len(TOWNS)
    weights = rng.uniform(0.5, 2.0, n_units)
    weights[0::per_district] *= 3  # 市场监管
    weights[1::per_district] *= 3  # 城管执法
    officer_unit = np.repeat(unit_ids, rng.multinomial(n_officers, weights / weights.sum()))
    rng.shuffle(officer_unit)
    created = clock.fmt(now - timedelta(days=400))
    phash = auth.hash_initial_password(PASSWORD)
    n_invalid = max(24, n_officers // 20)

    def name() -> str:
        return SURNAMES[rng.integers(len(SURNAMES))] + "".join(
            GIVEN[i] for i in rng.integers(len(GIVEN), size=int(rng.integers(1, 3)))
        )

    person_cols = (
        "id",
        "account",
        "name",
        "role",
        "unit_id",
        "cert_no",
        "cert_status",
        "cert_date",
        "title",
        "is_leader",
        "phone",
        "active",
        "scope_unit_id",
        "password_hash",
        "must_change_password",
        "password_changed_at",
        "failed_logins",
        "lock_count",
        "locked_until",
        "last_login_at",
        "is_demo",
        "created_at",
        "updated_at",
    )
    justice = 1 + UNITS.index("区司法局")
    people = [
        (1, "admin", "系统管理员", "admin", None, None, None, None, None, False, None, True, None),
        (2, "coordinator", "培训管理员", "coordinator", justice, None, None, None, None, False, None, True, None),
    ]
    pid = 2
    for uid in unit_ids.tolist():
        pid += 1
        people.append(
            (
                pid,
                f"ld{uid:06d}",
                name(),
                "leader",
                uid,
                None,
                None,
                None,
                "主要负责人" if uid % 2 else "分管负责人",
                True,
                f"138{rng.integers(10**8):08d}",
                True,
                None,
            )
        )
    first_officer = pid + 1
    cert_years = rng.integers(2015, year, size=n_officers)
    for i, uid in enumerate(officer_unit.tolist()):
        pid += 1
        cy = year if i % 16 == 15 else int(cert_years[i])
        cert = f"ZF{i + 1:07d}"
        people.append(
            (
                pid,
                cert,
                name(),
                "officer",
                uid,
                cert,
                "有效",
                f"{cy}-{int(rng.integers(1, 10)):02d}-{int(rng.integers(1, 29)):02d}",
                TITLES[int(rng.integers(len(TITLES)))],
                False,
                f"13{rng.integers(10):d}{rng.integers(10**8):08d}",
                True,
                None,
            )
        )
    officer_ids = np.arange(first_officer, pid + 1)
    for j in range(n_invalid):
        pid += 1
        cert = f"ZF{n_officers + j + 1:07d}"
        people.append(
            (
                pid,
                cert,
                name(),
                "officer",
                int(rng.choice(unit_ids)),
                cert,
                "过期" if j % 3 else "注销",
                f"{int(rng.integers(2008, 2019))}-06-01",
                TITLES[int(rng.integers(len(TITLES)))],
                False,
                None,
                True,
                None,
            )
        )
    tail = (phash, False, created, 0, 0, None, None, False, created, created)
    with engine.begin() as conn:
        rows["unit"] = _insert(
            conn,
            "unit",
            ("id", "name", "kind", "is_demo", "active", "created_at"),
            [(i + 1, n, k, False, True, created) for i, (n, k) in enumerate(zip(unit_names, unit_kinds))],
        )
        rows["person"] = _insert(conn, "person", person_cols, [p + tail for p in people])
        conn.exec_driver_sql("DROP INDEX ix_answer_question_id")  # rebuilt once after the load
    log(f"  {n_units:,} units, {len(people):,} people")

    # --- campaigns
    campaigns = [
        dict(
            id=1,
            title=f"{year}年上半年行政执法人员法律知识考试",
            status="closed",
            opens=now - timedelta(days=240),
            closes=now - timedelta(days=180),
            completion=(0.93, 1.0),
            low=(0.93, 1.0),
        ),
        dict(
            id=2,
            title=f"{year}年度行政执法人员法律知识考试",
            status="published",
            opens=now - timedelta(days=20),
            closes=now + timedelta(days=22),
            completion=(0.86, 1.0),
            low=(0.35, 0.5),
        ),
    ]
    with engine.begin() as conn:
        _insert(
            conn,
            "campaign",
            (
                "id",
                "title",
                "blueprint_id",
                "audience",
                "audience_units",
                "opens_at",
                "closes_at",
                "time_limit_minutes",
                "pass_mark",
                "attempts_allowed",
                "grading_method",
                "review_policy",
                "partial_credit",
                "status",
                "year",
                "is_demo",
                "created_by",
                "created_at",
                "updated_at",
            ),
            [
                (
                    c["id"],
                    c["title"],
                    BLUEPRINT,
                    "all_valid",
                    "[]",
                    clock.fmt(c["opens"]),
                    clock.fmt(c["closes"]),
                    bp.time_limit_minutes,
                    bp.pass_mark,
                    2,
                    "highest",
                    "after_submit",
                    bp.partial_credit,
                    c["status"],
                    year,
                    False,
                    2,
                    clock.fmt(c["opens"] - timedelta(days=3)),
                    clock.fmt(c["opens"]),
                )
                for c in campaigns
            ],
        )
    rows["campaign"] = 2

    # --- the paper pool (real frozen papers) and per-slot arrays
    pool = [freeze_paper(app, BLUEPRINT, seed) for seed in range(1, PAPER_POOL + 1)]
    pool_json = [json.dumps(s, ensure_ascii=False, separators=(",", ":")) for s in pool]
    pool_q = np.array([[B.qindex[x["qid"]] for x in slots] for slots in pool])
    pool_pts = np.array([[x["points"] for x in slots] for slots in pool])
    n_slots = pool_q.shape[1]
    max_score = float(pool_pts[0].sum())
    law_ease = rng.uniform(-0.9, 0.9, len(B.laws))
    if "state_compensation_law" in B.laws:
        law_ease[B.laws.index("state_compensation_law")] = -1.2  # the law everyone gets wrong
    q_base = 0.9 + law_ease[B.law_of] - 0.5 * (B.difficulty - 2)
    trap = pool_q[0, n_slots // 2]  # the "bad question": strong officers miss it
    unit_ability = rng.uniform(-0.6, 0.8, n_units + 1)
    ability = unit_ability[officer_unit] + rng.normal(0, 0.7, n_officers)
    pass_mark = bp.pass_mark
    n_q, n_laws = len(B.qids), len(B.laws)
    resp_codes = {r: i for i, r in enumerate(sorted(B.opt_masks))}
    code_mask = np.array([B.opt_masks[r] for r in sorted(B.opt_masks)], dtype=np.int64)

    assignment_id = attempt_id = answer_id = 0
    stats = {}
    assignment_cols = (
        "id",
        "campaign_id",
        "person_id",
        "unit_id",
        "extended_until",
        "attempts_started",
        "attempts_finished",
        "grade",
        "passed",
        "first_started_at",
        "completed_at",
        "passed_at",
    )
    attempt_cols = (
        "id",
        "campaign_id",
        "assignment_id",
        "person_id",
        "number",
        "state",
        "blueprint_id",
        "seed",
        "paper",
        "partial_credit",
        "started_at",
        "deadline_at",
        "finished_at",
        "finished_by",
        "max_score",
        "score",
        "percent",
        "passed",
        "cards_synced",
    )
    answer_cols = (
        "id",
        "attempt_id",
        "slot",
        "question_id",
        "response",
        "flagged",
        "changes",
        "first_saved_at",
        "saved_at",
        "seconds_spent",
        "client_id",
        "fraction",
    )
    qid_arr = np.array(B.qids, dtype=object)
    slots_1 = np.arange(1, n_slots + 1)
    rows.update(assignment=0, attempt=0, answer=0)
    for c in campaigns:
        t_c = time.perf_counter()
        cid = c["id"]
        completion = rng.uniform(*c["completion"], n_units + 1)
        lagging = (np.arange(n_units + 1) % 12) == 5
        completion[lagging] = rng.uniform(*c["low"], int(lagging.sum()))
        acc = {k: np.zeros(n_q) for k in ("n", "sx", "sxx", "sy", "syy", "sxy", "blank")}
        acc.update({f"opt{i}": np.zeros(n_q) for i in range(6)})
        ul_n = np.zeros((n_units + 1) * n_laws)
        ul_c = np.zeros((n_units + 1) * n_laws)
        opens64 = np.datetime64(c["opens"], "us")
        closes64 = np.datetime64(c["closes"], "us")
        window_us = (min(c["closes"], now - timedelta(hours=2)) - c["opens"]).total_seconds() * 1e6
        for lo in range(0, n_officers, CHUNK):
            hi = min(n_officers, lo + CHUNK)
            n = hi - lo
            units = officer_unit[lo:hi]
            done = rng.random(n) < completion[units]
            a_ids = np.arange(assignment_id + 1, assignment_id + n + 1)
            assignment_id += n
            m = int(done.sum())
            theta = ability[lo:hi][done] + rng.normal(0, 0.2, m)
            k = rng.integers(PAPER_POOL, size=m)
            Q = pool_q[k]
            p_right = 1 / (1 + np.exp(-(theta[:, None] + q_base[Q])))
            is_trap = Q == trap
            p_right = np.where(is_trap, np.where(theta[:, None] > 0.3, 0.15, 0.8), p_right)
            correct = rng.random((m, n_slots)) < p_right
            blank = rng.random((m, n_slots)) < 0.02
            resp = np.where(correct, B.key[Q], B.wrong[Q, rng.integers(B.wrong.shape[1], size=(m, n_slots))])
            frac = (correct & ~blank).astype(float)
            earned = pool_pts[k] * frac
            score = np.round(earned.sum(axis=1), 4)
            percent = np.round(100.0 * score / max_score, 2)
            passed = percent + 1e-9 >= pass_mark
            started = opens64 + (rng.random(m) * window_us * 0.95).astype("timedelta64[us]")
            deadline = np.minimum(started + np.timedelta64(bp.time_limit_minutes * 60_000_000, "us"), closes64)
            secs = np.round(rng.uniform(8, 60, (m, n_slots)), 1)
            saved = np.minimum(
                started[:, None] + (np.cumsum(secs, axis=1) * 1e6).astype("timedelta64[us]"), deadline[:, None]
            )
            finished = saved[:, -1]
            # summaries, exactly as _grade_in_session adds them
            flat_q = Q.ravel()
            x = frac.ravel()
            y = (score[:, None] - earned).ravel()
            for key_, w in (
                ("n", None),
                ("sx", x),
                ("sxx", x * x),
                ("sy", y),
                ("syy", y * y),
                ("sxy", x * y),
                ("blank", blank.ravel().astype(float)),
            ):
                acc[key_] += np.bincount(flat_q, weights=w, minlength=n_q)
            uniq, inv = np.unique(resp, return_inverse=True)
            mask = code_mask[[resp_codes[u] for u in uniq.tolist()]][inv.ravel()] * (~blank.ravel())
            for i in range(6):
                acc[f"opt{i}"] += np.bincount(flat_q, weights=((mask >> i) & 1).astype(float), minlength=n_q)
            att_units = units[done]
            ul_key = (att_units[:, None] * n_laws + B.law_of[Q]).ravel()
            ul_n += np.bincount(ul_key, minlength=ul_n.size)
            ul_c += np.bincount(ul_key, weights=x, minlength=ul_c.size)
            # rows
            t_ids = np.arange(attempt_id + 1, attempt_id + m + 1)
            attempt_id += m
            started_s, deadline_s, finished_s = clock.fmt64(started), clock.fmt64(deadline), clock.fmt64(finished)
            grade = np.full(n, None, dtype=object)
            grade[done] = percent.tolist()
            a_pass = np.zeros(n, dtype=bool)
            a_pass[done] = passed
            a_start = np.full(n, None, dtype=object)
            a_start[done] = started_s
            a_fin = np.full(n, None, dtype=object)
            a_fin[done] = finished_s
            a_passed_at = np.where(a_pass, a_fin, None)
            d_int = done.astype(int).tolist()
            assignments = list(
                zip(
                    a_ids.tolist(),
                    itertools.repeat(cid),
                    officer_ids[lo:hi].tolist(),
                    units.tolist(),
                    itertools.repeat(None),
                    d_int,
                    d_int,
                    grade.tolist(),
                    a_pass.tolist(),
                    a_start.tolist(),
                    a_fin.tolist(),
                    a_passed_at.tolist(),
                )
            )
            attempts = list(
                zip(
                    t_ids.tolist(),
                    itertools.repeat(cid),
                    a_ids[done].tolist(),
                    officer_ids[lo:hi][done].tolist(),
                    itertools.repeat(1),
                    itertools.repeat("finished"),
                    itertools.repeat(BLUEPRINT),
                    (k + 1).tolist(),
                    [pool_json[i] for i in k.tolist()],
                    itertools.repeat(bp.partial_credit),
                    started_s,
                    deadline_s,
                    finished_s,
                    itertools.repeat("submit"),
                    itertools.repeat(max_score),
                    score.tolist(),
                    percent.tolist(),
                    passed.tolist(),
                    itertools.repeat(True),
                )
            )
            resp_o = resp.astype(object)
            resp_o[blank] = None
            saved_s = clock.fmt64(saved)
            n_ans = m * n_slots
            answers = list(
                zip(
                    range(answer_id + 1, answer_id + n_ans + 1),
                    np.repeat(t_ids, n_slots).tolist(),
                    np.tile(slots_1, m).tolist(),
                    qid_arr[flat_q].tolist(),
                    resp_o.ravel().tolist(),
                    itertools.repeat(False),
                    itertools.repeat(1),
                    saved_s,
                    saved_s,
                    secs.ravel().tolist(),
                    itertools.repeat(None),
                    x.tolist(),
                )
            )
            answer_id += n_ans
            with engine.begin() as conn:
                rows["assignment"] += _insert(conn, "assignment", assignment_cols, assignments)
                rows["attempt"] += _insert(conn, "attempt", attempt_cols, attempts)
                rows["answer"] += _insert(conn, "answer", answer_cols, answers)
            if hi == n_officers or (lo // CHUNK) % 8 == 7:
                el = time.perf_counter() - t_c
                log(
                    f"  campaign {cid}: {hi:,}/{n_officers:,} officers, {rows['answer']:,} answer rows so far "
                    f"({el:.0f} s for this campaign)"
                )
        stats[cid] = (acc, ul_n, ul_c)

    # --- summary tables for the dashboard and item analysis
    item_rows, ul_rows = [], []
    for cid, (acc, ul_n, ul_c) in stats.items():
        for qi in np.nonzero(acc["n"])[0].tolist():
            item_rows.append(
                (
                    len(item_rows) + 1,
                    cid,
                    B.qids[qi],
                    int(acc["n"][qi]),
                    float(acc["sx"][qi]),
                    float(acc["sxx"][qi]),
                    float(acc["sy"][qi]),
                    float(acc["syy"][qi]),
                    float(acc["sxy"][qi]),
                    *(int(acc[f"opt{i}"][qi]) for i in range(6)),
                    int(acc["blank"][qi]),
                )
            )
        for key_ in np.nonzero(ul_n)[0].tolist():
            uid, li = divmod(key_, n_laws)
            ul_rows.append((len(ul_rows) + 1, cid, uid, B.laws[li], int(ul_n[key_]), float(ul_c[key_])))
    with engine.begin() as conn:
        rows["item_stat"] = _insert(
            conn,
            "item_stat",
            (
                "id",
                "campaign_id",
                "question_id",
                "n",
                "sx",
                "sxx",
                "sy",
                "syy",
                "sxy",
                "opt0",
                "opt1",
                "opt2",
                "opt3",
                "opt4",
                "opt5",
                "blank",
            ),
            item_rows,
        )
        rows["unit_law_stat"] = _insert(
            conn, "unit_law_stat", ("id", "campaign_id", "unit_id", "law_slug", "answered", "credit"), ul_rows
        )

    # --- a year of study time (units_table's 学时达标率)
    t_s = time.perf_counter()
    learners = np.concatenate([np.arange(3, 3 + n_units), officer_ids])
    year_start = datetime(year, 1, 1)
    days = max(1, (now - year_start).days)
    n_days = (rng.uniform(25, 90, learners.size) * rng.uniform(0.5, 1.4, learners.size) * min(1.0, days / 330)).astype(
        int
    )
    who = np.repeat(learners, n_days)
    day = rng.integers(0, days, who.size)
    kind = rng.choice(np.array([0, 1, 0]), who.size)
    key_ = np.unique((who.astype(np.int64) * 400 + day) * 2 + kind)
    kind = key_ % 2
    day = (key_ // 2) % 400
    who = key_ // 800
    days64 = np.datetime64(year_start.date()) + day.astype("timedelta64[D]")
    secs = (rng.uniform(30, 100, key_.size) * 60).astype(int)
    kinds = np.array(["reading", "practice"], dtype=object)[kind]
    rows["study_time"] = 0
    step = 200_000
    with engine.begin() as conn:
        for i in range(0, key_.size, step):
            j = min(key_.size, i + step)
            rows["study_time"] += _insert(
                conn,
                "study_time",
                ("id", "person_id", "day", "kind", "seconds"),
                list(
                    zip(
                        range(i + 1, j + 1),
                        who[i:j].tolist(),
                        np.datetime_as_string(days64[i:j]).tolist(),
                        kinds[i:j].tolist(),
                        secs[i:j].tolist(),
                    )
                ),
            )
    log(f"  {rows['study_time']:,} study_time rows ({time.perf_counter() - t_s:.0f} s)")

    # --- indexes, sequences, the floors' question table, the marker
    t_i = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_answer_question_id ON answer (question_id)")
        conn.exec_driver_sql(
            "CREATE TABLE bench_question (question_id VARCHAR(64) PRIMARY KEY, "
            "law_slug VARCHAR(80) NOT NULL, qtype VARCHAR(20) NOT NULL, points FLOAT NOT NULL)"
        )
        _insert(
            conn,
            "bench_question",
            ("question_id", "law_slug", "qtype", "points"),
            [(q, bank.questions[q].law, bank.questions[q].type, float(B.points[i])) for i, q in enumerate(B.qids)],
        )
        conn.exec_driver_sql("CREATE TABLE bench_meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)")
        if pg:
            for table in (
                "unit",
                "person",
                "campaign",
                "assignment",
                "attempt",
                "answer",
                "item_stat",
                "unit_law_stat",
                "study_time",
            ):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
    if pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    log(f"  indexes{' and VACUUM ANALYZE' if pg else ''}: {time.perf_counter() - t_i:.0f} s")
    meta = {
        "version": VERSION,
        "schema": head_revision(),
        "scale": scale,
        "officers": n_officers,
        "units": n_units,
        "districts": districts,
        "previous_campaign": 1,
        "current_campaign": 2,
        "coordinator": "coordinator",
        "password": PASSWORD,
        "first_officer_id": int(officer_ids[0]),
        "last_officer_id": int(officer_ids[-1]),
        "built_at": now.isoformat(timespec="seconds") + "Z",
        "build_seconds": round(time.perf_counter() - t_start, 1),
        "rows": rows,
        "complete": True,
    }
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bench_meta (key, value) VALUES ('dataset', :v)"), {"v": json.dumps(meta)})
    if not pg:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    engine.dispose()
    log(
        f"built the {scale} dataset in {meta['build_seconds']:.0f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in rows.items())
    )
    return meta


def set_meta(url: str, key: str, value: dict | None) -> None:
    """Bookkeeping of a run (what to clean up if it was interrupted)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM bench_meta WHERE key = :k"), {"k": key})
        if value is not None:
            conn.execute(
                text("INSERT INTO bench_meta (key, value) VALUES (:k, :v)"), {"k": key, "v": json.dumps(value)}
            )
    engine.dispose()


def get_meta(url: str, key: str) -> dict | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT value FROM bench_meta WHERE key = :k"), {"k": key}).scalar()
    engine.dispose()
    return json.loads(raw) if raw else None


if __name__ == "__main__":  # python -m benchmarks.dataset SCALE [URL]: build (or reuse) only
    os.chdir(REPO)
    ds = ensure(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None, rebuild="--rebuild" in sys.argv)
    print(ds)
