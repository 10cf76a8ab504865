"""`training-app loadtest`: many simulated officers (and a few coordinators) on a running server, through
Streamlit's websocket protocol; then the lost-answer check, the server's CPU and memory, and, with ``--floor``,
the same sessions on the bare floor page (benchmarks/floor_page.py) started on another port.

    training-app loadtest --url http://127.0.0.1:8501 --officers 50 --credentials data/demo-logins.csv \\
        --database-url sqlite:///data/training.db --coordinators 2 --think-s 8-20 --duration-s 120 --floor --json

Latency of an interaction: from the BackMsg sent (the click) to the script_finished of the run it caused.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import csv
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from . import lost as lostcheck
from . import scenario
from .metrics import ProcessSampler, Recorder, load_average, pid_listening_on
from .scenario import ExamLog, Settings

REPO = Path(__file__).resolve().parents[2]
FLOOR_PAGE = REPO / "benchmarks" / "floor_asgi.py"  # floor_page.py in the app's server shape
OFFICER_BLUEPRINT = "annual_officer_exam"  # the demo's officers' campaign (2026年度行政执法人员法律知识考试)
COMPARED = ("answer", "next", "sheet_open", "sheet_jump", "submit", "start")
ROWS = (
    "open",
    "login",
    "start",
    "answer",
    "next",
    "sheet_open",
    "sheet_jump",
    "reload_resume",
    "submit_dialog",
    "submit",
    "dashboard",
)


def parse_span(text: str) -> tuple[float, float]:
    a, _, b = text.partition("-")
    lo, hi = float(a), float(b or a)
    if lo < 0 or hi < lo:
        raise argparse.ArgumentTypeError(f"not a range A-B: {text}")
    return lo, hi


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="training-app loadtest", description="simulated officers through Streamlit's websocket protocol"
    )
    p.add_argument("--url", required=True, help="the app, e.g. http://127.0.0.1:8501 (or the proxy in front)")
    p.add_argument("--officers", type=int, required=True, help="simulated officers taking the exam")
    p.add_argument("--credentials", required=True, help="CSV with 账号,角色,密码 (seed-demo --credentials-out)")
    p.add_argument("--coordinators", type=int, default=1, help="sessions refreshing 完成情况 (default 1)")
    p.add_argument("--ramp-s", type=float, default=30.0, help="start the officers over this many seconds")
    p.add_argument("--think-s", type=parse_span, default=(8.0, 20.0), help="think time per question, A-B seconds")
    p.add_argument(
        "--dashboard-every-s",
        type=parse_span,
        default=(10.0, 30.0),
        help="a coordinator refreshes 完成情况 every A-B seconds",
    )
    p.add_argument("--duration-s", type=float, help="stop acting after this many seconds (default: until done)")
    p.add_argument(
        "--database-url",
        help="the server's database (lost-answer check, and picking officers who can still start the exam)",
    )
    p.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=[],
        help="server process(es) to sample; default: the one listening on --url's port",
    )
    p.add_argument("--floor", action="store_true", help="also run the same sessions on benchmarks/floor_page.py")
    p.add_argument("--no-reload", action="store_true", help="skip the mid-exam reload")
    p.add_argument("--reload-after", type=parse_span, help="reload after A-B answers (default 20-60 %% of the paper)")
    p.add_argument("--no-auto-rerun", action="store_true", help="do not rerun run_every fragments")
    p.add_argument("--sheet-share", type=float, default=0.1, help="share of moves made with the answer sheet")
    p.add_argument("--timeout-s", type=float, default=180.0, help="an interaction slower than this is an error")
    p.add_argument(
        "--spread-sources",
        action="store_true",
        help="connect each user from its own loopback address 127.0.x.y (for a proxy that is sticky "
        "by client address; the url must be on 127.0.0.1)",
    )
    p.add_argument("--floor-url", help="drive this already running floor page instead of starting one")
    p.add_argument("--floor-database-url", help="the floor page's SQLite file, with --floor-url")
    p.add_argument("--floor-pid", type=int, action="append", default=[], help="floor server process(es)")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--out", help="also write the JSON result to this file")
    return p


# --- who takes part ---------------------------------------------------------------------------------------------


def read_credentials(path: str) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh)]


def startable_officers(database_url: str) -> set[str] | None:
    """Officers who can still start (or resume) an open exam: attempts left, or one in progress."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as c:
            rows = (
                c.execute(
                    text(
                        "SELECT DISTINCT p.account FROM person p JOIN assignment a ON a.person_id = p.id "
                        "JOIN campaign c ON c.id = a.campaign_id "
                        "WHERE p.role = 'officer' AND p.active AND c.status = 'published' AND c.blueprint_id = :bp "
                        "AND (c.attempts_allowed = 0 OR a.attempts_started < c.attempts_allowed "
                        "     OR EXISTS (SELECT 1 FROM attempt t WHERE t.assignment_id = a.id "
                        "                AND t.state = 'in_progress'))"
                    ),
                    {"bp": OFFICER_BLUEPRINT},
                )
                .scalars()
                .all()
            )
        return set(rows)
    except Exception as exc:  # noqa: BLE001 - a schema we do not know: take the officers as listed
        print(f"(could not pick officers from the database: {type(exc).__name__}: {exc})", file=sys.stderr)
        return None
    finally:
        engine.dispose()


def pick_users(creds: list[dict], officers: int, coordinators: int, database_url: str | None):
    role = lambda r: r.get("角色") or r.get("role", "")  # noqa: E731
    acct = lambda r: r.get("账号") or r.get("account", "")  # noqa: E731
    pw = lambda r: r.get("密码") or r.get("password", "")  # noqa: E731
    offs = [r for r in creds if role(r) == "officer"]
    if database_url:
        can = startable_officers(database_url)
        if can is not None:
            offs = [r for r in offs if acct(r) in can]
    coords = [r for r in creds if role(r) == "coordinator"] or [r for r in creds if role(r) == "admin"]
    if len(offs) < officers:
        raise SystemExit(
            f"only {len(offs)} officers can take the exam (asked for {officers}); "
            "seed with `seed-demo --reset --officers N` or use a fresh copy of the database"
        )
    picked_c = [(acct(r), pw(r)) for r in coords[:1]] * coordinators if coords else []
    return [(acct(r), pw(r)) for r in offs[:officers]], picked_c


# --- one load run -----------------------------------------------------------------------------------------------


def port_of(url: str) -> int:
    u = urllib.parse.urlparse(url)
    return u.port or (443 if u.scheme == "https" else 80)


async def run_users(
    url: str,
    users: list[tuple[str, str]],
    coords: list[tuple[str, str]],
    cfg: Settings,
    ramp_s: float,
    pids: list[int],
    seed: int,
    floor: bool = False,
) -> dict:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=64))
    rec = Recorder()
    logs = [ExamLog(user=u) for u, _ in users]
    sampler = ProcessSampler(pids).start()
    own = ProcessSampler([os.getpid()]).start()  # the load generator itself (it shares the machine)
    done = asyncio.Event()
    t0 = time.monotonic()
    wall0 = time.time()
    load0 = load_average()

    async def one(i: int) -> None:
        await asyncio.sleep(ramp_s * i / max(1, len(users)))
        rng = random.Random(seed * 100_003 + i)
        if floor:
            await scenario.floor_user(url, users[i][0], cfg, rec, logs[i], rng, index=i)
        else:
            await scenario.officer(url, users[i][0], users[i][1], cfg, rec, logs[i], rng, index=i)

    async def coordinator(j: int) -> None:
        await asyncio.sleep(min(5.0, ramp_s) * j / max(1, len(coords)))
        await scenario.coordinator(
            url, coords[j][0], coords[j][1], cfg, rec, random.Random(seed + 7 * j), done, index=j
        )

    officer_tasks = [asyncio.create_task(one(i)) for i in range(len(users))]
    coord_tasks = [] if floor else [asyncio.create_task(coordinator(j)) for j in range(len(coords))]
    try:
        await asyncio.gather(*officer_tasks)
    finally:
        done.set()
        await asyncio.gather(*coord_tasks, return_exceptions=True)
        await sampler.stop()
        await own.stop()
    elapsed = time.monotonic() - t0
    return {
        "rec": rec,
        "logs": logs,
        "elapsed_s": elapsed,
        "started_at": wall0,
        "server": sampler.summary(),
        "client": own.summary()["processes"].get(str(os.getpid()), {}),
        "load_before": load0[0],
    }


def summarize_users(logs: list[ExamLog]) -> dict:
    return {
        "users": len(logs),
        "submitted": sum(1 for g in logs if g.submitted),
        "answered_all": sum(1 for g in logs if g.finished_all),
        "acknowledged_answers": sum(len(g.answers) for g in logs),
        "gave_up": sum(1 for g in logs if g.gave_up),
        "gave_up_reasons": sorted({g.gave_up for g in logs if g.gave_up})[:5],
    }


# --- the floor server -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FloorServer:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.db = workdir / "floor.db"
        self.port = free_port()
        self.log = workdir / "floor.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FloorServer:
        from ..cli import SERVER_FLAGS

        env = dict(os.environ, FLOOR_DB=str(self.db), PYTHONUNBUFFERED="1")
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(FLOOR_PAGE),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            *SERVER_FLAGS,
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"the floor page did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


# --- the report ------------------------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return f"{value:.2f}×" if value else "—"


def _fmt(x: float | None) -> str:
    return "—" if x is None else (f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s")


def build_report(args, ours: dict, floor: dict | None) -> dict:
    ours_sum = ours["rec"].summary()
    floor_sum = floor["rec"].summary() if floor else {}
    rows = []
    for name in ROWS:
        o = ours_sum.get(name)
        if o is None:
            continue
        f = floor_sum.get(name) if name in COMPARED else None
        ratio = (o["p95_s"] / f["p95_s"]) if (f and o["p95_s"] and f["p95_s"]) else None
        steady = f.get("steady_p95_s") if f else None
        rows.append(
            {
                "name": name,
                "count": o["count"],
                "ours_p50_s": o["p50_s"],
                "ours_p95_s": o["p95_s"],
                "ours_steady_p95_s": o["steady_p95_s"],
                "steady_count": o["steady_count"],
                "floor_steady_p95_s": steady,
                "steady_ratio": (o["steady_p95_s"] / steady) if (steady and o["steady_p95_s"]) else None,
                "ours_p99_s": o["p99_s"],
                "floor_p95_s": f["p95_s"] if f else None,
                "floor_count": f["count"] if f else None,
                "ratio": ratio,
                "errors": o["errors"],
                "floor_errors": f["errors"] if f else None,
                "lost": ours["lost"]["lost"] if name == "answer" else 0,
                "error_samples": o["error_samples"],
            }
        )
    report = {
        "url": args.url,
        "officers": args.officers,
        "coordinators": args.coordinators,
        "think_s": list(args.think_s),
        "ramp_s": args.ramp_s,
        "duration_s": args.duration_s,
        "elapsed_s": ours["elapsed_s"],
        "errors": ours["rec"].total_errors(),
        "lost": ours["lost"]["lost"],
        "lost_check": ours["lost"],
        "users": summarize_users(ours["logs"]),
        "notes": dict(ours["rec"].notes),
        "server": ours["server"],
        "machine": {"cpus": os.cpu_count(), "load1_before": ours["load_before"]},
        "load_generator": ours.get("client", {}),
        "rows": rows,
        "interactions": ours_sum,
    }
    if floor:
        report["floor"] = {
            "url": floor["url"],
            "elapsed_s": floor["elapsed_s"],
            "errors": floor["rec"].total_errors(),
            "lost": floor["lost"]["lost"],
            "lost_check": floor["lost"],
            "server": floor["server"],
            "users": summarize_users(floor["logs"]),
            "interactions": floor_sum,
        }
    return report


def print_table(report: dict) -> None:
    print(
        f"\n{report['officers']} officers, {report['coordinators']} coordinators on {report['url']}, think "
        f"{report['think_s'][0]:g}-{report['think_s'][1]:g} s, ramp {report['ramp_s']:g} s, "
        f"ran {report['elapsed_s']:.0f} s"
    )
    head = (
        f"{'interaction':<14}{'count':>7}{'p50':>10}{'p95':>10}{'p99':>10}{'floor p95':>11}{'ratio':>8}"
        f"{'errors':>8}{'steady p95':>12}{'floor':>9}"
    )
    print(head)
    print("-" * len(head))
    for r in report["rows"]:
        print(
            f"{r['name']:<14}{r['count']:>7}{_fmt(r['ours_p50_s']):>10}{_fmt(r['ours_p95_s']):>10}"
            f"{_fmt(r['ours_p99_s']):>10}{_fmt(r['floor_p95_s']):>11}"
            f"{_ratio(r['ratio']):>8}{r['errors']:>8}"
            f"{_fmt(r['ours_steady_p95_s']):>12}{_fmt(r['floor_steady_p95_s']):>9}"
        )
    print("(steady: after the last officer's start finished, when nobody logs in or starts any more)")
    lc = report["lost_check"]
    print(
        f"\nlost answers: {report['lost']} of {lc['checked']} acknowledged"
        + ("" if lc.get("checked") or not lc.get("skipped") else f" ({lc['skipped']})")
    )
    for s in lc.get("samples", [])[:5]:
        print(f"  {s}")
    u = report["users"]
    print(
        f"users: {u['users']}, answered every question {u['answered_all']}, submitted {u['submitted']}, "
        f"gave up {u['gave_up']} {u['gave_up_reasons'] or ''}"
    )
    for name, r in report["interactions"].items():
        for s in r["error_samples"][:3]:
            print(f"  error in {name}: {s}")
    for pid, p in report["server"]["processes"].items():
        print(
            f"server pid {pid}: CPU mean {_pct(p['cpu_mean_pct'])}, p95 {_pct(p['cpu_p95_pct'])}, "
            f"RSS {_mb(p['rss_start_mb'])} → max {_mb(p['rss_max_mb'])}"
        )
    lg = report.get("load_generator") or {}
    if lg.get("cpu_mean_pct") is not None:
        print(f"load generator (this process): CPU mean {_pct(lg['cpu_mean_pct'])}, RSS max {_mb(lg['rss_max_mb'])}")
    sv = report["server"]
    if sv.get("machine_load1_mean") is not None:
        print(
            f"machine: {sv['cpus']} CPUs, load average (1 min) mean {sv['machine_load1_mean']:.1f}, "
            f"max {sv['machine_load1_max']:.1f} (the load generator runs on the same machine)"
        )
    if "floor" in report:
        f = report["floor"]
        print(
            f"floor: {f['users']['users']} sessions on {f['url']}, {f['errors']} errors, lost {f['lost']} of "
            f"{f['lost_check']['checked']}"
        )
        for pid, p in f["server"]["processes"].items():
            print(f"floor server pid {pid}: CPU mean {_pct(p['cpu_mean_pct'])}, RSS max {_mb(p['rss_max_mb'])}")


def _pct(x):
    return "—" if x is None else f"{x:.0f}%"


def _mb(x):
    return "—" if x is None else f"{x:.0f} MB"


def execute(args) -> dict:
    """One load run (and the floor run after it): the report as a dict."""
    creds = read_credentials(args.credentials)
    users, coords = pick_users(creds, args.officers, args.coordinators, args.database_url)
    cfg = Settings(
        think=args.think_s,
        dashboard_every=args.dashboard_every_s,
        reload=not args.no_reload,
        sheet_share=args.sheet_share,
        timeout=args.timeout_s,
        auto_rerun=not args.no_auto_rerun,
        spread_sources=args.spread_sources,
        reload_after=tuple(int(x) for x in args.reload_after) if args.reload_after else None,
    )
    pids = args.server_pid or [p for p in [pid_listening_on(port_of(args.url))] if p]

    def run(url, who, pids, floor=False):
        c = Settings(**{**cfg.__dict__})
        if args.duration_s:
            c.end_at = time.monotonic() + args.duration_s
        return asyncio.run(run_users(url, who, coords, c, args.ramp_s, pids, args.seed, floor=floor))

    ours = run(args.url, users, pids)
    if args.database_url:
        ours["lost"] = lostcheck.check_app(args.database_url, ours["logs"])
    else:
        ours["lost"] = {"checked": 0, "lost": 0, "samples": [], "skipped": "no --database-url: not checked"}
    floor = None
    fusers = [(f"floor{i:04d}", "") for i in range(len(users))]
    if args.floor_url:
        fpids = args.floor_pid or [p for p in [pid_listening_on(port_of(args.floor_url))] if p]
        floor = run(args.floor_url, fusers, fpids, floor=True)
        floor["url"] = args.floor_url
        floor["lost"] = (
            lostcheck.check_floor(args.floor_database_url, floor["logs"])
            if args.floor_database_url
            else {"checked": 0, "lost": 0, "samples": [], "skipped": "no --floor-database-url"}
        )
    elif args.floor:
        with tempfile.TemporaryDirectory(prefix="floor-") as d:
            server = FloorServer(Path(d)).start()
            try:
                floor = run(server.url, fusers, [server.proc.pid], floor=True)
            finally:
                server.stop()
            floor["lost"] = lostcheck.check_floor(f"sqlite:///{server.db}", floor["logs"])
            floor["url"] = server.url
    return build_report(args, ours, floor)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    report = execute(args)
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    else:
        print_table(report)
    return 0 if report["errors"] == 0 and report["lost"] == 0 else 1
