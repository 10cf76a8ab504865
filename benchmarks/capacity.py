"""The capacity curve: the same exam-day load at several numbers of officers, on one app process with SQLite or on
two app processes with PostgreSQL behind nginx (sticky per browser by a cookie, as deploy/nginx.conf), each point
beside the floor page (benchmarks/floor_page.py) run with the same sessions and the same number of processes.

    python benchmarks/capacity.py --setup sqlite1 --officers 20,40,60,80 --duration-s 90 --out benchmarks/results/sqlite1.json
    python benchmarks/capacity.py --setup pg2 --officers 40,80,120,160 --duration-s 90 --out benchmarks/results/pg2.json

Everything runs on loopback addresses from Debian packages (python, postgresql, nginx): no Docker. Each point
gets a fresh copy of the seeded demo database (officers use up exam attempts) and freshly started servers; the
load generator (`training-app loadtest`, one asyncio process) runs on the same machine. A point is bounded by
--duration-s (plus the ramp's start-up and the floor run of the same length).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from training_app.loadtest.metrics import pid_listening_on  # noqa: E402
from training_app.loadtest.runner import build_parser as loadtest_parser  # noqa: E402
from training_app.loadtest.runner import execute, print_table  # noqa: E402

PASSWORD = "Demo@Pass2026"
NGINX_CONF = REPO / "deploy" / "nginx.conf"
FLOOR_PAGE = REPO / "benchmarks" / "floor_asgi.py"  # floor_page.py in the app's server shape


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, proc: subprocess.Popen | None, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not become healthy:\n{log.read_text(errors='replace')[-3000:]}")


class Proc:
    """A child in its own process group, stopped with its children."""

    def __init__(self, cmd: list[str], *, cwd: Path, env: dict, log: Path) -> None:
        self.log = log
        with open(log, "ab") as fh:
            self.p = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=20)
            except ProcessLookupError:
                pass


def app_env(database_url: str, data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "QUESTION_BANK_DIR": str(REPO / "question_bank"),
            "DEMO_MODE": "1",
            "TRAINING_APP_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
            "TRUSTED_PROXIES": "127.0.0.1",
            "DB_POOL_SIZE": "10",
            "DB_MAX_OVERFLOW": "10",
            "PYTHONPATH": str(REPO),
        }
    )
    env.pop("APP_SECRET", None)
    return env


def cli(args: list[str], database_url: str, data_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "training_app.cli", *args],
        cwd=REPO,
        env=app_env(database_url, data_dir),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"training-app {' '.join(args)}: {proc.stdout}\n{proc.stderr}")


# --- nginx, from deploy/nginx.conf's upstream and proxy settings --------------------------------------------------


def _block(text: str, head: str) -> str:
    """The `head { ... }` block of an nginx config (balanced braces)."""
    i = text.index(head)
    depth, j = 0, text.index("{", i)
    while True:
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i : j + 1]
        j += 1


def nginx_config(workdir: Path, listen_port: int, backends: list[int]) -> str:
    """Plain HTTP on a loopback port; the upstream (sticky on the `fz_route` cookie), the websocket upgrade
    map and the `location /` proxy settings are taken from deploy/nginx.conf, with the replicas' addresses here."""
    src = NGINX_CONF.read_text(encoding="utf-8")
    upstream = _block(src, "upstream training_app")
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in backends)
    upstream = re.sub(r"(?m)^\s*server\s+\S+:\d+[^;]*;\n?", "", upstream)
    upstream = upstream.rstrip("}").rstrip() + "\n" + servers + "\n}"
    upgrade_map = _block(src, "map $http_upgrade")
    route_map = _block(src, "map $cookie_fz_route")
    # the replica-key cookie as the deployment sets it, without `Secure` (this proxy speaks plain HTTP)
    route_cookie = re.search(r"add_header Set-Cookie \"fz_route=[^\"]*\" always;", src).group(0).replace(" Secure;", "")
    location = _block(src, "location / ").replace("X-Forwarded-Proto https", "X-Forwarded-Proto $scheme")
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    os.chmod(tmp, 0o777)
    return f"""worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  {route_map}
  {upstream}
  {upgrade_map}
  server {{
    listen 127.0.0.1:{listen_port};
    server_tokens off;
    {route_cookie}
    {location}
  }}
}}
"""


def nginx_binary() -> str:
    for p in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if p and Path(p).exists():
            return p
    raise SystemExit("nginx is not installed (apt-get install -y nginx, or bash scripts/setup.sh --test)")


def start_nginx(workdir: Path, backends: list[int]) -> tuple[Proc, str]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(workdir, port, backends), encoding="utf-8")
    proc = Proc(
        [nginx_binary(), "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(conf), "-g", "daemon off;"],
        cwd=workdir,
        env=dict(os.environ),
        log=workdir / "nginx.out",
    )
    url = f"http://127.0.0.1:{port}"
    wait_health(url, proc.p, workdir / "error.log", timeout=30)
    return proc, url


# --- PostgreSQL (production-like durability: fsync and synchronous_commit on) ----------------------------------


class Postgres:
    def __init__(self, root: Path) -> None:
        from tests.support.pg import pg_bin_dir

        self.bin = pg_bin_dir()
        if self.bin is None:
            raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def start(self) -> Postgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200 "
            f"-c shared_buffers=256MB"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(statement)

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop", check=False)


# --- one point of the curve ---------------------------------------------------------------------------------------


class Setup:
    """Seeds once; for each point gives a fresh database and started servers (app, floor, proxies)."""

    def __init__(self, kind: str, workdir: Path, *, officers: int = 476) -> None:
        self.kind = kind
        self.officers = officers  # accounts seeded (the demo district has 476; more to find a crossing above it)
        self.processes = 2 if kind == "pg2" else 1
        self.dir = workdir
        os.chmod(workdir, 0o755)  # the postgres user must reach its cluster inside
        self.template = workdir / "template"
        self.template.mkdir(parents=True, exist_ok=True)
        self.pg: Postgres | None = None
        self.running: list[Proc] = []

    def seed(self) -> None:
        logins = self.template / "logins.csv"
        if self.kind == "pg2":
            self.pg = Postgres(self.dir / "pg").start()
            self.pg.sql('CREATE DATABASE "tmpl"')
            url = self.pg.url("tmpl")
        else:
            url = f"sqlite:///{self.template / 'training.db'}"
        cli(["db", "upgrade"], url, self.template)
        cli(
            ["seed-demo", "--password", PASSWORD, "--credentials-out", str(logins), "--officers", str(self.officers)],
            url,
            self.template,
        )
        self.credentials = logins

    def fresh_database(self, point: int) -> tuple[str, Path]:
        d = self.dir / f"point-{point}"
        d.mkdir(parents=True, exist_ok=True)
        if self.kind == "pg2":
            name = f"p{point}_{int(time.time())}"
            self.pg.sql(f'CREATE DATABASE "{name}" TEMPLATE "tmpl"')
            return self.pg.url(name), d
        for f in self.template.iterdir():
            if f.name.startswith("training.db"):
                shutil.copy2(f, d / f.name)
        return f"sqlite:///{d / 'training.db'}", d

    def start_app(self, database_url: str, d: Path) -> tuple[str, list[int]]:
        ports = [free_port() for _ in range(self.processes)]
        for port in ports:
            p = Proc(
                [sys.executable, "-m", "training_app.cli", "serve", "--port", str(port), "--address", "127.0.0.1"],
                cwd=REPO,
                env=app_env(database_url, d),
                log=d / f"app-{port}.log",
            )
            self.running.append(p)
        for port, p in zip(ports, self.running[-len(ports) :]):
            wait_health(f"http://127.0.0.1:{port}", p.p, p.log)
        pids = [pid_listening_on(p) for p in ports]
        if self.processes == 1:
            return f"http://127.0.0.1:{ports[0]}", pids
        proxy, url = start_nginx(d / "nginx-app", ports)
        self.running.append(proxy)
        return url, pids

    def start_floor(self, d: Path) -> tuple[str, list[int], str]:
        from training_app.cli import SERVER_FLAGS

        db = d / "floor.db"
        ports = [free_port() for _ in range(self.processes)]
        env = dict(os.environ, FLOOR_DB=str(db), PYTHONUNBUFFERED="1")
        for port in ports:
            p = Proc(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    str(FLOOR_PAGE),
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    *SERVER_FLAGS,
                ],
                cwd=d,
                env=env,
                log=d / f"floor-{port}.log",
            )
            self.running.append(p)
            wait_health(f"http://127.0.0.1:{port}", p.p, p.log)
        pids = [pid_listening_on(p) for p in ports]
        if self.processes == 1:
            return f"http://127.0.0.1:{ports[0]}", pids, f"sqlite:///{db}"
        proxy, url = start_nginx(d / "nginx-floor", ports)
        self.running.append(proxy)
        return url, pids, f"sqlite:///{db}"

    def stop_all(self) -> None:
        for p in reversed(self.running):
            p.stop()
        self.running.clear()

    def close(self) -> None:
        self.stop_all()
        if self.pg is not None:
            self.pg.stop()


def run_point(setup: Setup, n: int, args) -> dict:
    database_url, d = setup.fresh_database(n)
    try:
        url, pids = setup.start_app(database_url, d)
        floor_url, floor_pids, floor_db = setup.start_floor(d)
        argv = [
            "--url",
            url,
            "--officers",
            str(n),
            "--credentials",
            str(setup.credentials),
            "--database-url",
            database_url,
            "--coordinators",
            str(args.coordinators),
            "--ramp-s",
            str(args.ramp_s),
            "--think-s",
            args.think_s,
            "--duration-s",
            str(args.duration_s),
            "--spread-sources",
            "--floor-url",
            floor_url,
            "--floor-database-url",
            floor_db,
        ]
        for p in pids:
            argv += ["--server-pid", str(p)]
        for p in floor_pids:
            argv += ["--floor-pid", str(p)]
        report = execute(loadtest_parser().parse_args(argv))
    finally:
        setup.stop_all()
    report["setup"] = setup.kind
    report["processes"] = setup.processes
    return report


def crossing(points: list[dict], name: str = "answer", limit: float = 1.0) -> float | None:
    """Officers at which the p95 of `name` crosses `limit` seconds (linear between the points around it)."""
    prev = None
    for p in points:
        v = p["p95"].get(name)
        if v is None:
            continue
        if v > limit:
            if prev is None:
                return float(p["officers"])
            (n0, v0), n1 = prev, p["officers"]
            return n0 + (n1 - n0) * (limit - v0) / (v - v0) if v != v0 else float(n1)
        prev = (p["officers"], v)
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--setup",
        choices=("sqlite1", "pg2"),
        required=True,
        help="sqlite1: one app process on SQLite; pg2: two app processes on PostgreSQL behind nginx",
    )
    ap.add_argument("--officers", default="20,40,60,80", help="the points of the curve, comma-separated")
    ap.add_argument("--duration-s", type=float, default=90.0)
    ap.add_argument("--ramp-s", type=float, default=20.0)
    ap.add_argument("--think-s", default="8-20")
    ap.add_argument("--coordinators", type=int, default=2)
    ap.add_argument(
        "--stop-after-crossing", action="store_true", help="stop after the first point whose answer p95 is above 1 s"
    )
    ap.add_argument("--out", help="write every point's full report here (JSON)")
    args = ap.parse_args(argv)

    def _terminate(signum, frame):  # end the run cleanly (servers, proxies and PostgreSQL are stopped)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    points, reports = [], []
    with tempfile.TemporaryDirectory(prefix=f"capacity-{args.setup}-") as tmp:
        wanted = [int(x) for x in args.officers.split(",") if x.strip()]
        setup = Setup(args.setup, Path(tmp), officers=max([476, *wanted]))
        try:
            setup.seed()
            for n in wanted:
                t0 = time.time()
                report = run_point(setup, n, args)
                print_table(report)
                reports.append(report)
                ours = report["interactions"]
                floor = report.get("floor", {}).get("interactions", {})
                cpu = [p["cpu_mean_pct"] for p in report["server"]["processes"].values() if p["cpu_mean_pct"]]
                points.append(
                    {
                        "officers": n,
                        "elapsed_s": round(time.time() - t0),
                        "p95": {k: v["p95_s"] for k, v in ours.items()},
                        "steady_p95": {k: v["steady_p95_s"] for k, v in ours.items()},
                        "steady_count": {k: v["steady_count"] for k, v in ours.items()},
                        "floor_steady_p95": {k: v["steady_p95_s"] for k, v in floor.items()},
                        "p50": {k: v["p50_s"] for k, v in ours.items()},
                        "floor_p95": {k: v["p95_s"] for k, v in floor.items()},
                        "errors": report["errors"],
                        "lost": report["lost"],
                        "checked": report["lost_check"]["checked"],
                        "floor_errors": report.get("floor", {}).get("errors"),
                        "server_cpu_pct": cpu,
                        "server_rss_max_mb": [p["rss_max_mb"] for p in report["server"]["processes"].values()],
                        "load1_mean": report["server"].get("machine_load1_mean"),
                        "answers": ours.get("answer", {}).get("count", 0),
                    }
                )
                a = points[-1]["p95"].get("answer")
                f = points[-1]["floor_p95"].get("answer")
                print(
                    f"== {args.setup} {n} officers: answer p95 {a} s, floor {f} s, errors {report['errors']}, "
                    f"lost {report['lost']}",
                    flush=True,
                )
                if args.stop_after_crossing and a is not None and a > 1.0:
                    break
        finally:
            setup.close()
    result = {
        "setup": args.setup,
        "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
        "think_s": args.think_s,
        "duration_s": args.duration_s,
        "ramp_s": args.ramp_s,
        "points": points,
        "answer_p95_crosses_1s_at": crossing(points),
        "floor_answer_p95_crosses_1s_at": crossing([{**p, "p95": p["floor_p95"]} for p in points]),
        "steady_answer_p95_crosses_1s_at": crossing([{**p, "p95": p["steady_p95"]} for p in points]),
        "floor_steady_answer_p95_crosses_1s_at": crossing([{**p, "p95": p["floor_steady_p95"]} for p in points]),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "points"}, ensure_ascii=False))
    print(
        f"{'officers':>9}{'answer p95':>12}{'floor p95':>11}{'ratio':>8}{'steady':>9}{'floor':>8}{'ratio':>8}"
        f"{'login p95':>11}{'errors':>8}{'lost':>6}{'CPU %':>12}{'load':>6}"
    )
    for p in points:
        a, f = p["p95"].get("answer"), p["floor_p95"].get("answer")
        sa, sf = p["steady_p95"].get("answer"), p["floor_steady_p95"].get("answer")
        print(
            f"{p['officers']:>9}{_s(a):>12}{_s(f):>11}{(f'{a / f:.2f}×' if a and f else '—'):>8}"
            f"{_s(sa):>9}{_s(sf):>8}{(f'{sa / sf:.2f}×' if sa and sf else '—'):>8}"
            f"{_s(p['p95'].get('login')):>11}{p['errors']:>8}{p['lost']:>6}"
            f"{'/'.join(f'{c:.0f}' for c in p['server_cpu_pct']):>12}"
            f"{(p['load1_mean'] or 0):>6.1f}"
        )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(
            json.dumps({**result, "reports": reports}, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    return 0


def _s(x):
    return "—" if x is None else f"{x:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
