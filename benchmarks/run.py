"""`training-app bench --scale district|city|province [--json] [--database-url URL]`

Builds (or reuses) the dataset of that scale, then measures each hot path of the app beside its floor — the bare
database statement or the empty Streamlit page it stands on — in the same run, on the same database. Prints a
table (or, with --json, a JSON list). These are benchmarks: they report figures and never fail on a time; the
exit status is non-zero only when something did not run or two sides computed different numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import dataset
from .measure import Figure, fmt_value, paired


@dataclass(frozen=True)
class ScaleConfig:
    pairs: int  # officers per side in the exam benchmarks (also the largest writer-thread count)
    dash_reps: int
    dash_budget_s: float
    page_reps: int
    dash_page_reps: int
    hammer_s: float
    bank_reps: int


CONFIG = {
    "district": ScaleConfig(
        pairs=200, dash_reps=300, dash_budget_s=8, page_reps=100, dash_page_reps=60, hammer_s=3, bank_reps=15
    ),
    "city": ScaleConfig(
        pairs=200, dash_reps=100, dash_budget_s=25, page_reps=40, dash_page_reps=20, hammer_s=3, bank_reps=15
    ),
    "province": ScaleConfig(
        pairs=200, dash_reps=7, dash_budget_s=60, page_reps=15, dash_page_reps=3, hammer_s=3, bank_reps=15
    ),
}
GROUPS = ("exam", "dashboard", "bank", "pages", "memory")


def log(msg: str) -> None:
    dataset.log(msg)


def code_version() -> dict:
    """The commit measured, and whether the working tree had changes (read-only git commands)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=dataset.REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "training_app"))
    return {"commit": commit or None, "app_code_modified": dirty}


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": usable,
        "load_avg_at_start": load,
        "cpu_count": os.cpu_count(),
        "memory_gb": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


# --- bank load -----------------------------------------------------------------------------------

_OURS = (
    "import sys, time\nfrom pathlib import Path\nfrom training_app.bank import load_bank\n"
    "t = time.perf_counter()\nbank = load_bank(Path(sys.argv[1]))\nprint(time.perf_counter() - t, len(bank.questions))\n"
)
_FLOOR = (
    "import sys, time, yaml\nfrom pathlib import Path\nroot = Path(sys.argv[1])\n"
    "t = time.perf_counter()\nn = 0\nfor f in sorted(root.rglob('*.yaml')):\n"
    "    data = yaml.load(f.read_text(encoding='utf-8'), Loader=yaml.CSafeLoader)\n"
    "    n += len(data.get('questions') or ()) if isinstance(data, dict) else 0\n"
    "print(time.perf_counter() - t, n)\n"
)


def bench_bank(reps: int) -> Figure:
    counts = {}

    def fresh(code: str, key: str):
        def go(_i):
            out = subprocess.run(
                [sys.executable, "-c", code, str(dataset.BANK_DIR)],
                capture_output=True,
                text=True,
                cwd=dataset.REPO,
                check=True,
            ).stdout.split()
            counts[key] = int(out[1])
            timings[key].append(float(out[0]))

        return go

    timings = {"ours": [], "floor": []}
    paired(reps, fresh(_OURS, "ours"), fresh(_FLOOR, "floor"))
    return Figure(
        "bank load (cold)",
        timings["ours"],
        timings["floor"],
        target=2.0,
        check="same questions" if counts["ours"] == counts["floor"] else f"MISMATCH {counts}",
        what="training_app.bank.load_bank (parse with line numbers, validate, draw a paper per blueprint) "
        "vs yaml.CSafeLoader over the same files; each call in a fresh process",
    )


# --- output --------------------------------------------------------------------------------------


def _cell(fig: Figure, side: str, which: str) -> str:
    if "ours_saves_per_s" in fig.extra:
        if which == "median":
            return f"{fig.extra[f'{side}_saves_per_s']:,.0f}/s, {fig.extra[f'{side}_errors']} err"
        return fmt_value(fig.extra[f"latency_{side}"]["p99"], "s")
    values = fig.ours if side == "ours" else fig.floor
    from .measure import median, p99

    if fig.unit != "s":
        return fmt_value(median(values), fig.unit)
    return fmt_value(median(values) if which == "median" else p99(values), "s")


def table(figures: list[Figure]) -> str:
    head = ["figure", "ours median", "ours p99", "floor median", "floor p99", "ratio", "target", "check"]
    rows = []
    for f in figures:
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}×"
        target = "—" if f.target is None else f"≤ {f.target:g}× " + ("met" if f.target_met else "MISSED")
        same = "MB" == f.unit
        rows.append(
            [
                f.name,
                _cell(f, "ours", "median"),
                "" if same else _cell(f, "ours", "p99"),
                _cell(f, "floor", "median"),
                "" if same else _cell(f, "floor", "p99"),
                ratio,
                target,
                f.check or "",
            ]
        )
    widths = [max(_w(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "| " + " | ".join(_pad(c, widths[i]) for i, c in enumerate(head)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(_pad(c, widths[i]) for i, c in enumerate(r)) + " |" for r in rows]
    return "\n".join(lines)


def _w(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _w(s))


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="training-app bench", description=__doc__.split("\n\n")[1])
    ap.add_argument("--scale", choices=tuple(dataset.SCALES), default="district")
    ap.add_argument("--json", action="store_true", help="print a JSON list instead of the table")
    ap.add_argument("--database-url", help="a PostgreSQL database to build the dataset in and measure on")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the dataset even if one exists")
    ap.add_argument("--only", help=f"comma-separated groups to run: {','.join(GROUPS)} (default: all)")
    args = ap.parse_args(argv)
    groups = set(args.only.split(",")) if args.only else set(GROUPS)
    if groups - set(GROUPS):
        ap.error(f"unknown group(s): {', '.join(sorted(groups - set(GROUPS)))}")
    cfg = CONFIG[args.scale]
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # before Streamlit reads its config
    t_run = time.perf_counter()
    machine = machine_info()
    ds = dataset.ensure(args.scale, args.database_url, rebuild=args.rebuild)

    from training_app.bank import load_bank
    from training_app.config import load_settings
    from training_app.services.common import Actor, App
    from training_app.store.db import make_engine

    from . import dashboard_bench, exam_bench, ui_bench

    figures: list[Figure] = []
    failed: list[str] = []
    with ui_bench.tempdir() as tmp_name:
        tmp = Path(tmp_name)
        ui_bench.configure_process(ds.url, str(tmp / "app_data"))
        settings = load_settings()
        engine = make_engine(
            ds.url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )
        app = App(engine=engine, bank=load_bank(dataset.BANK_DIR), settings=settings)
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                machine["postgresql"] = conn.exec_driver_sql("SHOW server_version").scalar()
        database = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
        exam_bench.cleanup(engine, ds.url)
        exam_bench.record_marks(engine, ds.url)
        try:
            sc = exam_bench.make_scratch(app, ds, cfg.pairs, spare=1)

            def step(label: str, fn):
                t0 = time.perf_counter()
                log(f"{label} ...")
                try:
                    out = fn()
                except Exception as exc:  # noqa: BLE001 - reported, the other figures still run
                    failed.append(f"{label}: {type(exc).__name__}: {exc}")
                    log(f"{label} FAILED: {type(exc).__name__}: {exc}")
                    return []
                out = out if isinstance(out, list) else [out]
                figures.extend(out)
                log(f"{label}: {time.perf_counter() - t0:.1f} s")
                return out

            if "exam" in groups:
                step("start attempt", lambda: exam_bench.bench_start(app, sc))
                step("save answer", lambda: exam_bench.bench_save(app, sc))
                for n in (50, 200):
                    step(f"save answer, {n} writers", lambda n=n: exam_bench.bench_concurrent(app, sc, n, cfg.hammer_s))
                exam_bench.fill_answers(app, sc)
                submit = step("submit and grade", lambda: exam_bench.bench_submit(app, sc))
                if submit:
                    exam_bench.reopen_bare(app, sc)
                    items = dashboard_bench.floor_query(app, dashboard_bench.ITEMS, {"c": sc.campaign_id})
                    heat = dashboard_bench.floor_query(app, dashboard_bench.HEATMAP, {"c": sc.campaign_id})
                    ci = dashboard_bench.check_items(app, sc.campaign_id, items)
                    ch = dashboard_bench.check_heatmap(app, sc.campaign_id, heat)
                    ok = ci == ch == "same numbers"
                    submit[0].check = "graded = floor SQL" if ok else f"item_stat: {ci}; unit_law_stat: {ch}"
            if "dashboard" in groups:
                coordinator = Actor(
                    id=2,
                    account=ds.coordinator,
                    name="培训管理员",
                    role="coordinator",
                    unit_id=None,
                    scope_unit_id=None,
                )
                step(
                    "dashboard",
                    lambda: dashboard_bench.run(
                        app, coordinator, ds.current_campaign, reps=cfg.dash_reps, budget_s=cfg.dash_budget_s
                    ),
                )
            if "bank" in groups:
                step("bank load", lambda: bench_bank(cfg.bank_reps))
            if "pages" in groups:
                step(
                    "page reruns",
                    lambda: ui_bench.apptest_reruns(
                        app,
                        ds,
                        sc,
                        tmp,
                        reps=cfg.page_reps,
                        dash_reps=cfg.dash_page_reps,
                        budget_s=cfg.dash_budget_s * 2,
                    ),
                )
            if "memory" in groups:
                logins = (sc.ours or sc.bare)[:50]
                step("memory", lambda: ui_bench.memory(ds, logins, tmp))
        finally:
            exam_bench.cleanup(engine, ds.url)
            engine.dispose()

    total = time.perf_counter() - t_run
    build = None if ds.built_seconds is None else round(ds.built_seconds, 1)
    info = {
        "scale": args.scale,
        "database": database,
        "rows": ds.meta.get("rows"),
        "dataset_built_s": build,
        "run_s": round(total, 1),
        "code": code_version(),
    }
    try:
        machine["load_avg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        pass
    results = [f.as_json(args.scale, database, machine) for f in figures]
    for r in results:
        r["dataset"] = info
    out = dataset.DATA_DIR / f"results-{args.scale}{'-pg' if database == 'postgresql' else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    mismatches = [f.name for f in figures if f.check and ("MISMATCH" in f.check or "FAILED" in f.check)]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        rows = ds.meta.get("rows", {})
        print(
            f"scale {args.scale} on {database}: {ds.officers:,} officers, {rows.get('attempt', 0):,} attempts, "
            f"{rows.get('answer', 0):,} answers"
            + (f"; dataset built in {build:.0f} s" if build is not None else "; dataset reused")
        )
        print(
            f"machine: {machine['cpu']}, {machine['cores']} cores, {machine.get('memory_gb')} GB, Python "
            f"{machine['python']}, SQLite {machine['sqlite']}"
            + (f", PostgreSQL {machine['postgresql']}" if "postgresql" in machine else "")
        )
        print(table(figures))
        print(f"run: {total:.0f} s; JSON also in {out}")
    for line in failed:
        print(f"did not run: {line}", file=sys.stderr)
    for name in mismatches:
        print(f"the two sides disagree: {name}", file=sys.stderr)
    return 1 if failed or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
