"""Streamlit: a page rerun under streamlit.testing.v1.AppTest, and the memory of a `streamlit run` process with
1, 20 and 50 open sessions, each beside the same thing for an empty page."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from training_app.services import auth, exams
from training_app.services.common import Actor, App
from training_app.store.models import Attempt

from . import dataset
from .exam_bench import Scratch, response_for
from .measure import Figure, median, paired

APP_FILE = dataset.REPO / "training_app" / "ui" / "app.py"
EMPTY_PAGE = "import streamlit as st\n"


def log(msg: str) -> None:
    dataset.log(msg)


def app_env(url: str, data_dir: str) -> dict:
    return {
        "DATABASE_URL": url,
        "QUESTION_BANK_DIR": str(dataset.BANK_DIR),
        "DEMO_MODE": "1",
        "TRAINING_APP_DATA_DIR": data_dir,
    }


def configure_process(url: str, data_dir: str) -> None:
    """Point this process's cached settings, engines and st.cache_resource at the benchmark database."""
    import streamlit as st

    from training_app import config
    from training_app.store import db

    os.environ.update(app_env(url, data_dir))
    from streamlit import config as st_config

    # as `training-app serve` runs (cli.SERVER_FLAGS): no forced full garbage collection after every script run
    st_config.set_option("runner.postScriptGC", False)
    st_config.set_option("browser.gatherUsageStats", False)
    quiet_streamlit()
    config.get_settings.cache_clear()
    db.dispose_engines()
    st.cache_resource.clear()


def quiet_streamlit() -> None:
    """AppTest would print every deprecation warning of every rerun (Streamlit's loggers do not propagate)."""
    from streamlit import logger as st_logger

    os.environ["STREAMLIT_LOGGER_LEVEL"] = "error"
    st_logger.set_log_level("error")
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith("streamlit") and isinstance(logger, logging.Logger):
            logger.setLevel(logging.ERROR)


@contextmanager
def shared_script_cache():
    """AppTest makes a new ScriptCache for every run, so each rerun re-reads, re-parses (magic) and recompiles
    app.py and the page; a `streamlit run` server compiles a script once. Share one cache across runs, so a rerun
    here costs what it costs on the server (the empty page gets the same treatment)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    saved = (app_test.ScriptCache, local_script_runner.ScriptCache)
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment]
    try:
        yield
    finally:
        app_test.ScriptCache, local_script_runner.ScriptCache = saved


def _texts(at) -> str:
    out = []
    for kind in ("title", "subheader", "markdown", "caption", "metric"):
        for el in getattr(at, kind):
            out.append(str(getattr(el, "value", "")) + str(getattr(el, "label", "")))
    return "\n".join(out)


def _empty_apptest(tmp: Path):
    from streamlit.testing.v1 import AppTest

    path = tmp / "empty_page.py"
    path.write_text(EMPTY_PAGE, encoding="utf-8")
    quiet_streamlit()
    at = AppTest.from_file(str(path), default_timeout=600)
    quiet_streamlit()
    at.run()
    return at


def apptest_reruns(
    app: App, ds: dataset.Dataset, sc: Scratch, tmp: Path, *, reps: int, dash_reps: int, budget_s: float
) -> list[Figure]:
    from streamlit.testing.v1 import AppTest

    figures = []
    empty = _empty_apptest(tmp)

    # The exam page of an officer in the middle of an attempt (5 answers saved).
    officer = sc.spare[0]
    aid = exams.start_attempt(app, officer, sc.campaign_id).attempt_id
    with app.engine.connect() as conn:
        paper = json.loads(conn.execute(select(Attempt.paper).where(Attempt.id == aid)).scalar_one())
    for slot in range(1, 6):
        exams.save_answer(app, officer, aid, slot, response_for(paper[slot - 1], slot))
    quiet_streamlit()
    at = AppTest.from_file(str(APP_FILE), default_timeout=600)
    at.session_state["token"] = auth.login(app, officer.account, dataset.PASSWORD).token
    quiet_streamlit()
    at.run()
    at.switch_page("app_pages/exam.py").run()
    if at.exception or "第 6 题" not in _texts(at):
        raise RuntimeError(f"the exam page did not render: {at.exception or _texts(at)[:300]}")
    quiet_streamlit()
    raw_ours, raw_floor = paired(5, lambda i: at.run(), lambda i: empty.run())
    with shared_script_cache():
        t_ours, t_floor = paired(reps, lambda i: at.run(), lambda i: empty.run(), budget_s=budget_s, warmup=1)
    ok = not at.exception and "第 6 题" in _texts(at)
    figures.append(
        Figure(
            "page rerun: exam",
            t_ours,
            t_floor,
            target=3.0,
            check="rendered" if ok else "FAILED",
            what="AppTest rerun of app.py on the exam page (officer, attempt in progress) vs an empty "
            "page, scripts compiled once as on a server",
            extra={
                "with_apptest_recompiling_each_run": {
                    "ours_median_s": median(raw_ours),
                    "floor_median_s": median(raw_floor),
                }
            },
        )
    )

    # The coordinator's dashboard for the current campaign.
    coordinator = auth.login(app, ds.coordinator, dataset.PASSWORD).token
    quiet_streamlit()
    dt = AppTest.from_file(str(APP_FILE), default_timeout=600)
    dt.session_state["token"] = coordinator
    dt.session_state["_campaign_pick"] = ds.current_campaign
    t0 = time.perf_counter()
    dt.run()
    first = time.perf_counter() - t0
    quiet_streamlit()
    metrics = {m.label: m.value for m in dt.metric}
    if dt.exception or "应参训" not in metrics:
        raise RuntimeError(f"the dashboard did not render: {dt.exception or _texts(dt)[:300]}")
    with shared_script_cache():
        t_ours, t_floor = paired(dash_reps, lambda i: dt.run(), lambda i: empty.run(), budget_s=budget_s, warmup=1)
    figures.append(
        Figure(
            "page rerun: dashboard",
            t_ours,
            t_floor,
            target=3.0,
            check=f"rendered (应参训 {metrics['应参训']}, 已完成 {metrics.get('已完成')})",
            what="AppTest rerun of app.py on 完成情况 (coordinator, current campaign) vs an empty page, "
            "scripts compiled once as on a server",
            extra={"first_run_s": round(first, 3)},
        )
    )
    return figures


# --- memory of a `streamlit run` process ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    def __init__(self, script: Path, env: dict, log_path: Path):
        self.port = _free_port()
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=dataset.REPO, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {log_path}")

    def rss(self) -> float:
        return _rss_mb(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


class Session:
    """A browser tab as the server sees it: a websocket speaking Streamlit's protobuf protocol."""

    def __init__(self, port: int):
        self.port = port
        self.ws = None
        self.page_hash = ""
        self.elements: list = []
        self._finished: asyncio.Queue = asyncio.Queue()
        self._reader = None

    async def open(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=60,
            ping_interval=None,
        )
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for data in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                kind = msg.WhichOneof("type")
                if kind == "new_session":
                    self.page_hash = msg.new_session.page_script_hash
                    self.elements = []
                elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    self.elements.append(msg.delta.new_element)
                elif kind == "script_finished":
                    await self._finished.put(msg.script_finished)
        except Exception:  # noqa: BLE001 - the connection closed
            pass

    async def rerun(self, widgets=(), timeout: float = 120) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = self.page_hash
        for w in widgets:
            msg.rerun_script.widget_states.widgets.append(w)
        self.elements = []
        await self.ws.send(msg.SerializeToString())
        while True:  # status 2 = finished early for a rerun (st.rerun after login): another run follows
            status = await asyncio.wait_for(self._finished.get(), timeout)
            if status != 2:
                return

    def texts(self) -> str:
        out = []
        for el in self.elements:
            kind = el.WhichOneof("type")
            if kind in ("heading", "markdown"):
                out.append(getattr(el, kind).body)
        return "\n".join(out)

    async def login(self, account: str, password: str) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        await self.rerun()
        inputs = [e.text_input for e in self.elements if e.WhichOneof("type") == "text_input"]
        button = next(e.button for e in self.elements if e.WhichOneof("type") == "button")
        await self.rerun(
            [
                WidgetState(id=inputs[0].id, string_value=account),
                WidgetState(id=inputs[1].id, string_value=password),
                WidgetState(id=button.id, trigger_value=True),
            ]
        )
        await asyncio.sleep(0.05)
        if "我的学习" not in self.texts():
            await self.rerun()
        if "我的学习" not in self.texts():
            raise RuntimeError(f"login of {account} did not reach 我的学习: {self.texts()[:200]}")

    async def close(self) -> None:
        await self.ws.close()
        if self._reader:
            await self._reader


async def _fill(server: Server, counts: tuple[int, ...], accounts: list[str] | None) -> dict:
    sessions: list[Session] = []
    out = {0: server.rss()}
    try:
        for target in counts:
            while len(sessions) < target:
                s = Session(server.port)
                await s.open()
                if accounts:
                    await s.login(accounts[len(sessions)], dataset.PASSWORD)
                else:
                    await s.rerun()
                sessions.append(s)
            await asyncio.sleep(2.0)
            out[target] = server.rss()
    finally:
        for s in sessions:
            await s.close()
    return out


def memory(ds: dataset.Dataset, logins: list[Actor], tmp: Path, counts=(1, 20, 50)) -> list[Figure]:
    empty = tmp / "empty_page.py"
    empty.write_text(EMPTY_PAGE, encoding="utf-8")
    env = app_env(ds.url, str(tmp / "app_data"))
    results = {}
    for which, script, accounts in (("app", APP_FILE, [a.account for a in logins]), ("empty", empty, None)):
        t0 = time.perf_counter()
        server = Server(script, env, tmp / f"streamlit-{which}.log")
        try:
            results[which] = asyncio.run(_fill(server, counts, accounts))
        finally:
            server.stop()
        log(f"  memory, {which}: {time.perf_counter() - t0:.0f} s")
    figures = []
    for n in counts:
        figures.append(
            Figure(
                f"memory (RSS), {n} session{'s' if n > 1 else ''}",
                [results["app"][n]],
                [results["empty"][n]],
                unit="MB",
                what=f"`streamlit run` of app.py with {n} logged-in officer sessions (websocket clients "
                f"on 我的学习) vs an empty page with {n} connected sessions",
                extra={"idle_ours_mb": round(results["app"][0], 1), "idle_floor_mb": round(results["empty"][0], 1)},
            )
        )
    return figures


def tempdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="training-bench-")
