"""What the browser tests share: a real `streamlit run` server, the database behind it, and what a person
does on the pages (log in, answer, move between questions, hand in, read the dashboard).

Nothing here sleeps to wait for the app: every step waits for something that the step's own script run
shows (or writes to the database), then for that run to be over; see "How the tests wait" below.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parents[2]
APP_FILE = REPO / "training_app" / "ui" / "asgi.py"
BANK_DIR = REPO / "question_bank"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Demo@Pass2026"
OFFICER_BLUEPRINT = "annual_officer_exam"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the command line and the server -----------------------------------------------------------------


def app_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "QUESTION_BANK_DIR": str(BANK_DIR),
            "DEMO_MODE": "1",
            "TRAINING_APP_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # this checkout's code, whatever training_app the interpreter has installed (the CLI runs in data_dir)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.pop("APP_SECRET", None)
    return env


def run_cli(args: list[str], database_url: str, data_dir: Path) -> str:
    """`training-app ARGS` as a subprocess (the installed console script next to this interpreter)."""
    script = Path(sys.executable).with_name("training-app")
    cmd = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import sys; from training_app.cli import main; sys.exit(main())"]
    )
    proc = subprocess.run(
        [*cmd, *args], cwd=data_dir, env=app_env(database_url, data_dir), capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        raise RuntimeError(f"training-app {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


class StreamlitServer:
    """`streamlit run training_app/ui/app.py` in its own process group on a fixed port."""

    def __init__(self, database_url: str, data_dir: Path, port: int | None = None) -> None:
        self.database_url = database_url
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.env = app_env(database_url, self.data_dir)
        self.log_path = self.data_dir / f"streamlit-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self) -> str | None:
        try:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                return r.read().decode().strip()
        except (urllib.error.URLError, OSError):
            return None

    def start(self, timeout: float = 90) -> StreamlitServer:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP_FILE),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ]
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log_path, "ab") as log:
                log.write(f"\n=== start {time.strftime('%H:%M:%S')} ===\n".encode())
                log.flush()
                self.proc = subprocess.Popen(
                    cmd,
                    cwd=REPO,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            while time.monotonic() < deadline:
                if self.health() == "ok":
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
            if self.proc.poll() is None:
                self.stop()
                raise RuntimeError(f"streamlit did not answer /_stcore/health in {timeout}s:\n{self.log_tail()}")
            # It exited: the port may still be held by the process we just killed; try again until the deadline.
            if time.monotonic() >= deadline or "address already in use" not in self.log_tail().lower():
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.5)

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill9(self) -> None:
        """SIGKILL the whole process group: no shutdown handlers, no flush, as in a power cut of the app server."""
        self._signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self._signal_group(signal.SIGKILL)  # stray children, if any
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._signal_group(signal.SIGKILL)

    def restart(self) -> StreamlitServer:
        self.stop()
        return self.start()

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


# --- the database behind the server --------------------------------------------------------------------


class Db:
    """Read-only checks straight on the database file / server the app uses (no connection kept open)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url, poolclass=NullPool)

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as c:
            return list(c.execute(text(sql), params).mappings())

    def scalar(self, sql: str, **params):
        with self.engine.connect() as c:
            return c.execute(text(sql), params).scalar()

    def officer_campaign(self) -> int:
        return self.scalar("SELECT id FROM campaign WHERE blueprint_id = :bp", bp=OFFICER_BLUEPRINT)

    def fresh_officers(self, accounts: list[str]) -> list[str]:
        """Of these accounts: valid-certificate officers assigned the annual exam who have not started it."""
        rows = self.rows(
            "SELECT p.account FROM person p JOIN assignment a ON a.person_id = p.id "
            "WHERE a.campaign_id = :cid AND p.role = 'officer' AND p.cert_status = '有效' AND p.active "
            "AND a.attempts_started = 0 ORDER BY p.account",
            cid=self.officer_campaign(),
        )
        wanted = set(accounts)
        return [r["account"] for r in rows if r["account"] in wanted]

    def attempts(self, account: str) -> list[dict]:
        return [
            dict(r)
            for r in self.rows(
                "SELECT t.* FROM attempt t JOIN person p ON p.id = t.person_id WHERE p.account = :acct ORDER BY t.id",
                acct=account,
            )
        ]

    def assignment(self, account: str) -> dict:
        return dict(
            self.rows(
                "SELECT a.* FROM assignment a JOIN person p ON p.id = a.person_id "
                "WHERE p.account = :acct AND a.campaign_id = :cid",
                acct=account,
                cid=self.officer_campaign(),
            )[0]
        )

    def answers(self, attempt_id: int) -> dict[int, dict]:
        return {r["slot"]: dict(r) for r in self.rows("SELECT * FROM answer WHERE attempt_id = :a", a=attempt_id)}

    def grading_footprint(self, campaign_id: int) -> tuple[int, int]:
        """What each grading adds once: item statistics (one per paper slot) and unit × law counts."""
        items = self.scalar("SELECT COALESCE(SUM(n), 0) FROM item_stat WHERE campaign_id = :c", c=campaign_id)
        laws = self.scalar("SELECT COALESCE(SUM(answered), 0) FROM unit_law_stat WHERE campaign_id = :c", c=campaign_id)
        return int(items), int(laws)

    def completed(self, campaign_id: int) -> int:
        return int(
            self.scalar(
                "SELECT COUNT(DISTINCT t.assignment_id) FROM attempt t "
                "WHERE t.campaign_id = :c AND t.state = 'finished'",
                c=campaign_id,
            )
        )

    def dispose(self) -> None:
        self.engine.dispose()


def read_logins(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {row["账号"]: row for row in csv.DictReader(fh)}


@dataclass
class Site:
    """One deployment under test: a database seeded by the CLI, its logins, and the servers started on it."""

    database_url: str
    data_dir: Path
    logins: dict[str, dict]
    db: Db
    servers: list[StreamlitServer] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)

    def server(self, port: int | None = None) -> StreamlitServer:
        s = StreamlitServer(self.database_url, self.data_dir, port)
        self.servers.append(s)
        return s

    def password(self, account: str) -> str:
        return self.logins[account]["密码"]

    def take_officers(self, n: int = 1) -> list[str]:
        """Officers (from logins.csv) who have not started the annual exam and no other test here has used."""
        officers = [a for a, row in self.logins.items() if row["角色"] == "officer"]
        free = [a for a in self.db.fresh_officers(officers) if a not in self._taken]
        assert len(free) >= n, f"only {len(free)} fresh officers left in the demo data"
        self._taken.update(free[:n])
        return free[:n]

    def close(self) -> None:
        for s in self.servers:
            s.stop()
        self.db.dispose()


# --- the question bank, independently of the app's own mapping -------------------------------------------

_BANK = None


def bank():
    global _BANK
    if _BANK is None:
        from training_app.bank import load_bank

        _BANK = load_bank(BANK_DIR)
    return _BANK


def canonical(question_id: str, shown_texts: list[str]) -> str | None:
    """The stored form of an answer given by the texts a person clicked: bank letters, or T/F for a judgement."""
    q = bank().questions[question_id]
    if not shown_texts:
        return None
    if q.type == "judge":
        assert len(shown_texts) == 1
        return {"正确": "T", "错误": "F"}[shown_texts[0]]
    letters = []
    for t in shown_texts:
        assert t in q.options, f"{t!r} is not an option of {question_id}: {q.options}"
        letters.append("ABCDEF"[q.options.index(t)])
    return "".join(sorted(letters))


def expected_percent(paper_json: str, answers: dict[int, dict]) -> float:
    """Score an attempt from its frozen paper's points, the answers in the database and the bank's keys."""
    paper = json.loads(paper_json)
    earned = total = 0.0
    for spec in paper:
        total += spec["points"]
        a = answers.get(spec["slot"])
        if a and a["response"] and a["response"] == bank().questions[spec["qid"]].answer:
            earned += spec["points"]
    return round(100.0 * earned / total, 1)


# --- the pages, as a person uses them --------------------------------------------------------------------
#
# How the tests wait. Streamlit renders each script run as a stream of messages; the page's root element says
# whether a run is going on (data-test-script-state). Right after a click that state may still be the old
# "notRunning" (the request has not been answered yet), and a quick run can be drawn in one go without the
# state ever showing "running", so the state alone cannot tell that *this* click's run is over. So every step
# first waits for something that only this run can show (the next question's number, the answer count, the
# saved answer in the database, a heading), and then for the run to be over (wait_idle): once anything of a
# run is drawn, the state shown is that run's, so "notRunning" then means finished.

SLOT_RE = re.compile(r"^第 (\d+) 题$")
ANSWERED_RE = re.compile(r"已答 (\d+)/(\d+)")
DEADLINE_RE = re.compile(r"截止 (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
SCORE_RE = re.compile(r"得分 (\d+(?:\.\d)?) 分")
OPTION_PREFIX = re.compile(r"^[A-F]\. ")


def wait_idle(page) -> None:
    """Wait until no script run is going on; an exception shown by the app fails the test right there."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise AssertionError(f"the app shows an exception: {errors.first.inner_text()[:500]}")


def wait_until(check, what: str, timeout: float = TIMEOUT_MS / 1000) -> None:
    """Poll a condition outside the browser (the database) until it holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def main(page):
    return page.locator('[data-testid="stMain"]')


def login(page, base_url: str | None, account: str, password: str = PASSWORD, landing: str = "我的学习") -> None:
    from playwright.sync_api import expect

    if base_url is not None:
        page.goto(base_url + "/")
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    page.get_by_label("账号", exact=True).fill(account)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name=landing, exact=True)).to_be_visible()
    wait_idle(page)


def login_back(page, account: str, password: str = PASSWORD) -> str:
    """After the Streamlit session was lost (a reload, a server restart): the login cookie brings the officer
    back without the form; if the form is shown all the same (the cookie was not set yet), log in on it.
    Returns "home" or "exam", whichever the officer now sees."""
    from playwright.sync_api import expect

    form = page.get_by_role("button", name="登录", exact=True)
    home = page.get_by_role("heading", name="我的学习", exact=True)
    exam = main(page).get_by_text(DEADLINE_RE)
    expect(form.or_(home).or_(exam)).to_be_visible()
    wait_idle(page)
    if form.count() and form.is_visible():
        page.get_by_label("账号", exact=True).fill(account)
        page.get_by_label("密码", exact=True).fill(password)
        form.click()
        expect(home.or_(exam)).to_be_visible()
        wait_idle(page)
    return "exam" if exam.count() else "home"


def open_exam_from_home(page, button: str = "开始考试") -> None:
    """From 我的学习: 继续作答 opens the attempt; 开始考试 / 再考一次 open the start screen, which is confirmed."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="我的学习", exact=True)).to_be_visible()
    page.get_by_role("button", name=button, exact=True).first.click()
    if button != "继续作答":
        expect(main(page).get_by_text("计时开始后不暂停，答案随选随存", exact=False)).to_be_visible()
        wait_idle(page)
        main(page).get_by_role("button", name="确认开始", exact=True).click()
    expect(main(page).get_by_text(DEADLINE_RE)).to_be_visible()
    wait_idle(page)


def slot_label(page):
    return main(page).locator("strong").filter(has_text=SLOT_RE)


def current_slot(page) -> int:
    return int(SLOT_RE.match(slot_label(page).inner_text().strip()).group(1))


def expect_slot(page, slot: int) -> None:
    from playwright.sync_api import expect

    expect(slot_label(page)).to_have_text(f"第 {slot} 题")
    wait_idle(page)


def expect_answered(page, n: int, total: int = 80) -> None:
    """The header shows 已答 n/total (waits for it)."""
    from playwright.sync_api import expect

    expect(main(page).get_by_text(ANSWERED_RE)).to_contain_text(f"已答 {n}/{total}")
    wait_idle(page)


def shown_deadline(page) -> str:
    return DEADLINE_RE.search(main(page).get_by_text(DEADLINE_RE).inner_text()).group(1)


def _options(page):
    radios = main(page).locator('[data-testid="stRadio"] [data-testid="stRadioOption"]')
    if radios.count():
        return "radio", radios
    boxes = main(page).locator('[data-testid="stCheckbox"]').filter(has_text=OPTION_PREFIX)
    return "checkbox", boxes


def option_locators(page):
    return _options(page)[1]


def option_text(option) -> str:
    """An option's text without its "A. " label."""
    return OPTION_PREFIX.sub("", option.inner_text().strip())


def option_texts(page) -> list[str]:
    _, options = _options(page)
    return [option_text(options.nth(i)) for i in range(options.count())]


def saved_as(db, attempt_id: int, slot: int, texts: list[str]) -> bool:
    row = db.answers(attempt_id).get(slot)
    return row is not None and row["response"] == canonical(row["question_id"], texts)


def choose(page, picks: list[int], db, attempt_id: int) -> list[str]:
    """Click options by position on the question shown (one for a single/judge question, several for a
    multiple), each time waiting until the database holds the answer given so far; returns the texts chosen."""
    from playwright.sync_api import expect

    expect(main(page).locator('[data-testid="stRadioOption"], [data-testid="stCheckbox"]').first).to_be_visible()
    slot = current_slot(page)
    kind, options = _options(page)
    assert options.count() >= 2, "no answer options on the exam page"
    texts: list[str] = []
    for i in picks[:1] if kind == "radio" else picks:
        opt = options.nth(i)
        text_ = option_text(opt)
        texts = [text_] if kind == "radio" else [*texts, text_]
        opt.click()
        expect(opt.locator("input")).to_be_checked()
        wait_until(lambda: saved_as(db, attempt_id, slot, texts), f"question {slot} to be saved as {texts}")
    wait_idle(page)
    return texts


def chosen(page) -> list[str]:
    """The option texts shown as chosen on the current question."""
    _, options = _options(page)
    return [option_text(options.nth(i)) for i in range(options.count()) if options.nth(i).locator("input").is_checked()]


def goto_slot(page, slot: int) -> None:
    """Jump with the 答题卡 (answer sheet)."""
    from playwright.sync_api import expect

    if current_slot(page) == slot:
        return
    button = main(page).get_by_role("radio", name=re.compile(rf"^{slot}√?★?$"))  # st.pills: one radio group
    if not button.is_visible():
        main(page).locator('[data-testid="stExpander"] summary').filter(has_text="答题卡").click()
        expect(button).to_be_visible()
    button.click()
    expect_slot(page, slot)


def step(page, direction: str) -> int:
    """下一题 / 上一题; returns the slot now shown."""
    before = current_slot(page)
    name = "下一题 →" if direction == "next" else "← 上一题"
    page.get_by_role("button", name=name, exact=True).click()
    after = before + (1 if direction == "next" else -1)
    expect_slot(page, after)
    return after


def submit(page) -> float:
    """交卷 → 确认交卷; returns the score shown to the officer."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="交卷", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("交卷后不能再修改答案。")).to_be_visible()
    dialog.get_by_role("button", name="确认交卷", exact=True).click()
    message = main(page).get_by_text(SCORE_RE).first
    expect(message).to_be_visible()
    wait_idle(page)
    return float(SCORE_RE.search(message.inner_text()).group(1))


def metric_value(page, label: str):
    """The value element of the st.metric with exactly this label."""
    box = (
        main(page)
        .locator('[data-testid="stMetric"]')
        .filter(has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    )
    return box.locator('[data-testid="stMetricValue"]')


def metric(page, label: str) -> str:
    return metric_value(page, label).inner_text().strip()


def pick_officer_campaign(page, title_part: str = "行政执法人员法律知识考试") -> None:
    """On a coordinator page: make sure the campaign selector shows the officers' annual exam. (The numbers
    under it are then checked with retrying expectations against the database, so a run still drawing the
    previous campaign's numbers cannot pass for this one.)"""
    from playwright.sync_api import expect

    select = main(page).locator('[data-testid="stSelectbox"]').filter(has_text="培训任务").first
    box = select.get_by_role("combobox")
    expect(box).to_be_visible()
    if title_part not in box.input_value():
        box.click()
        page.get_by_role("option").filter(has_text=title_part).first.click()
        expect(box).to_have_value(re.compile(re.escape(title_part)))
    wait_idle(page)


def open_sidebar_page(page, title: str) -> None:
    """Open the collapsed sidebar (phone) and follow one of its links to the page with this heading."""
    from playwright.sync_api import expect

    nav = page.locator('[data-testid="stSidebarNav"]')
    if not nav.is_visible():
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        nav.wait_for(state="visible")
    nav.get_by_role("link").filter(has_text=re.compile(rf"{re.escape(title)}$")).first.click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_idle(page)
    # On a phone the menu stays open over the page after a choice; close it, as the officer has to.
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "false" and page.viewport_size["width"] < 640:
        sidebar.locator('[data-testid="stSidebarCollapseButton"]').get_by_role("button").click()
        expect(sidebar).to_have_attribute("data-collapsed", "true")


def close_page_not_found(page) -> bool:
    """Close Streamlit's "Page not found" modal if it is shown (see test_reload_keeps_the_page_without_an_error:
    reloading any page but the main one while logged out shows it over the login form). Returns whether it was."""
    wait_idle(page)
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count() == 0:
        return False
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    return True
