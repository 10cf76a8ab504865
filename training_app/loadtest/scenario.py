"""What a person does on the pages, on top of :mod:`.protocol`: an officer taking the exam, a coordinator
watching 完成情况, and the same exam loop on the bare floor page.

Widgets are found by what a person sees (labels, the "第 N 题" line), never by position, so a reworked page
with the same words still works: a start-confirmation button (确认开始 / 开始作答) is clicked when it appears,
answer-sheet buttons are the buttons whose label starts with a question number.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field

from .metrics import Recorder
from .protocol import CookieJar, Node, ProtocolError, Session, http_request

SLOT_MD = re.compile(r"\*\*第 (\d+) 题\*\*")
SLOT_ANY = re.compile(r"第 (\d+) 题")
ANSWERED = re.compile(r"已答 (\d+)\s*/\s*(\d+)")
SHEET_LABEL = re.compile(r"^(\d+)(?!\d)")
KEY_SLOT = re.compile(r"q_(\d+)_(\d+)(?:_\d+)?$")
OPTION_CHECK = re.compile(r"^[A-F]\\?\.")
COOKIE_CODE = re.compile(r'code\\*"\s*:\s*\\*"([A-Za-z0-9_\-]+)')
EXPIRED = ("登录已过期", "请先登录")
START_LABELS = ("开始考试", "再考一次", "再考一次（可选）", "继续作答")
CONFIRM_START = ("确认开始", "开始作答")


@dataclass
class Settings:
    think: tuple[float, float] = (8.0, 20.0)
    dashboard_every: tuple[float, float] = (10.0, 30.0)
    end_at: float | None = None  # time.monotonic() after which nobody acts any more
    reload: bool = True
    reload_after: tuple[int, int] | None = None  # reload after this many answers (default: 20-60 % of the paper)
    sheet_share: float = 0.1  # of the moves between questions, this share go through the answer sheet
    change_share: float = 0.05  # of the answers, this share go back and change an earlier answer
    timeout: float = 180.0
    auto_rerun: bool = True
    spread_sources: bool = False  # each user connects from its own 127.0.0.x (a sticky proxy sees many clients)


def source_ip(cfg: Settings, rng_or_index) -> str | None:
    if not cfg.spread_sources:
        return None
    i = rng_or_index if isinstance(rng_or_index, int) else rng_or_index.randrange(1 << 30)
    return f"127.0.{(i // 250) % 250 + 1}.{i % 250 + 2}"


@dataclass
class ExamLog:
    """What one user saw acknowledged, for the lost-answer check."""

    user: str
    attempt_ids: set[int] = field(default_factory=set)
    answers: dict[int, tuple[str, tuple[int, ...]]] = field(default_factory=dict)  # slot -> (radio|checks, shown)
    submitted: bool = False
    finished_all: bool = False
    gave_up: str | None = None


class Stop(Exception):
    """The run's time is up."""


class UserFailed(Exception):
    """This user cannot go on (the failure is already recorded)."""


def _left(cfg: Settings) -> float:
    return float("inf") if cfg.end_at is None else cfg.end_at - time.monotonic()


async def think(cfg: Settings, rng: random.Random, span: tuple[float, float] | None = None) -> None:
    a, b = span or cfg.think
    wait = rng.uniform(a, b)
    left = _left(cfg)
    if left <= 0:
        raise Stop
    if wait >= left:
        await asyncio.sleep(max(0.0, left))
        raise Stop
    await asyncio.sleep(wait)


async def act(rec: Recorder, name: str, coro, s: Session | None = None, *, record: bool = True):
    """Run one interaction; record its time, or its error (exceptions, st.error, a lost login, a disconnect).

    Returns (RunResult, ok). With ``record=False`` the caller records (a step made of several clicks)."""
    try:
        result = await coro
    except ProtocolError as exc:
        rec.error(name, f"{type(exc).__name__}: {exc}")
        raise UserFailed(str(exc)) from exc
    problems = list(result.errors)
    if s is not None:
        problems += s.errors_on_page()
        texts = s.texts()
        for word in EXPIRED:
            if any(word in t for t in texts):
                problems.append(f"session expired: {word}")
    if problems:
        rec.error(name, "; ".join(dict.fromkeys(problems)))
        return result, False
    if record:
        rec.ok(name, result.seconds)
    return result, True


# --- reading the exam page -----------------------------------------------------------------------------------


def current_slot(s: Session) -> int | None:
    for n in s.elements("markdown"):
        m = SLOT_MD.search(n.proto.body)
        if m:
            return int(m.group(1))
    for n in s.elements("radio") + s.elements("checkbox"):
        m = KEY_SLOT.search(n.widget_id)
        if m:
            return int(m.group(2))
    m = s.find_text(SLOT_ANY)
    return int(m.group(1)) if m else None


def attempt_key(s: Session) -> int | None:
    for n in s.elements("radio") + s.elements("checkbox"):
        m = KEY_SLOT.search(n.widget_id)
        if m:
            return int(m.group(1))
    return None


def answer_radio(s: Session) -> Node | None:
    radios = s.elements("radio")
    keyed = [n for n in radios if KEY_SLOT.search(n.widget_id)]
    if keyed:
        return keyed[0]
    radios = [n for n in radios if "答题卡" not in n.label]
    return radios[0] if radios else None


def option_checks(s: Session) -> list[Node]:
    return [n for n in s.elements("checkbox") if OPTION_CHECK.match(n.label)]


def radio_shown(s: Session, node: Node) -> int | None:
    st = s.values.get(node.widget_id)
    if st is None or not st.HasField("string_value"):
        return None
    try:
        return list(node.proto.options).index(st.string_value)
    except ValueError:
        return None


def checks_shown(s: Session, nodes: list[Node]) -> tuple[int, ...]:
    out = []
    for i, n in enumerate(nodes):
        st = s.values.get(n.widget_id)
        if st is not None and st.bool_value:
            out.append(i)
    return tuple(out)


def sheet_buttons(s: Session) -> dict[int, Node]:
    """Question number -> what to click: a button labelled with the number (the floor page's 80 buttons), or the
    answer sheet's one st.pills widget (the app's exam page), as (node, option text) pairs wrapped in SheetPick."""
    out: dict[int, Node] = {}
    for n in s.buttons():
        m = SHEET_LABEL.match(n.label)
        if m:
            out.setdefault(int(m.group(1)), n)
    for g in s.elements("button_group"):
        for opt in g.proto.options:
            m = SHEET_LABEL.match(opt.content)
            if m:
                out.setdefault(int(m.group(1)), SheetPick(g, opt.content))  # type: ignore[arg-type]
    return out


def sheet_expander(s: Session) -> Node | None:
    """The folded answer sheet's expander (the app draws the sheet's options only while it is open)."""
    for n in s.elements("block:expandable"):
        if "答题卡" in n.proto.expandable.label and n.proto.expandable.id:
            return n
    return None


async def open_sheet(s: Session, rec: Recorder) -> dict[int, Node]:
    """The answer sheet's options, opening its expander first when they are not drawn (a tap on 答题卡)."""
    sheet = sheet_buttons(s)
    if sheet:
        return sheet
    folded = sheet_expander(s)
    if folded is None:
        return {}
    _, ok = await act(rec, "sheet_open", s.expand(folded), s)
    return sheet_buttons(s) if ok else {}


class SheetPick:
    """One option of the answer-sheet pills: clicked by selecting its text."""

    def __init__(self, node: Node, content: str) -> None:
        self.node, self.content = node, content
        self.kind = "sheet_pick"


def on_exam(s: Session) -> bool:
    return current_slot(s) is not None and (answer_radio(s) is not None or bool(option_checks(s)))


def total_questions(s: Session) -> int | None:
    m = s.find_text(ANSWERED)
    if m:
        return int(m.group(2))
    sheet = sheet_buttons(s)
    return max(sheet) if sheet else None


# --- the exam loop (the app's exam page and the floor page) ---------------------------------------------------


async def answer_here(s: Session, rec: Recorder, log: ExamLog, rng: random.Random) -> None:
    slot = current_slot(s)
    if slot is None:
        rec.error("answer", "no question on the page")
        raise UserFailed("no question")
    radio = answer_radio(s)
    if radio is not None:
        shown = radio_shown(s, radio)
        n = len(radio.proto.options)
        choices = [i for i in range(n) if i != shown] or list(range(n))
        pick = rng.choice(choices)
        _, ok = await act(rec, "answer", s.choose(radio, pick), s)
        if ok:
            now = answer_radio(s)
            if now is None or current_slot(s) != slot or radio_shown(s, now) != pick:
                rec.error("answer", f"question {slot}: the choice is not shown after its run")
            else:
                log.answers[slot] = ("radio", (pick,))
        return
    checks = option_checks(s)
    if not checks:
        rec.error("answer", f"question {slot}: no options")
        raise UserFailed("no options")
    want = set(rng.sample(range(len(checks)), rng.randint(1, min(3, len(checks)))))
    have = set(checks_shown(s, checks))
    for i in sorted(want ^ have):
        checks = option_checks(s)
        if i >= len(checks):
            break
        _, ok = await act(rec, "answer", s.check(checks[i], i in want), s)
        if not ok:
            return
        if current_slot(s) != slot:
            rec.error("answer", f"question {slot}: page moved to another question")
            return
        log.answers[slot] = ("checks", checks_shown(s, option_checks(s)))


async def move(s: Session, rec: Recorder, log: ExamLog, rng: random.Random, total: int, cfg: Settings) -> bool:
    """Go to another question (下一题 or the answer sheet). False when every question is answered."""
    unanswered = [i for i in range(1, total + 1) if i not in log.answers]
    if not unanswered:
        return False
    if not on_exam(s):
        rec.error("next", "not on the exam page any more: " + "; ".join((s.errors_on_page() or s.texts())[:3]))
        raise UserFailed("left the exam")
    slot = current_slot(s) or 0
    has_sheet = bool(sheet_buttons(s)) or sheet_expander(s) is not None
    nxt = s.button("下一题 →", "下一题")
    if rng.random() < cfg.change_share and log.answers and has_sheet:
        target = rng.choice(sorted(log.answers))  # look back and maybe change an earlier answer
    elif slot + 1 in unanswered and nxt is not None and rng.random() >= cfg.sheet_share:
        _, ok = await act(rec, "next", s.click(nxt), s)
        if ok and current_slot(s) != slot + 1:
            rec.error("next", f"下一题 from {slot} showed question {current_slot(s)}")
        return True
    else:
        target = rng.choice(unanswered) if rng.random() < 0.5 else unanswered[0]
    sheet = await open_sheet(s, rec) if has_sheet else {}
    nxt = s.button("下一题 →", "下一题")
    button = sheet.get(target)
    if button is None:
        if nxt is None:
            rec.error("sheet_jump", f"no answer-sheet button for question {target} and no 下一题")
            raise UserFailed("stuck")
        _, ok = await act(rec, "next", s.click(nxt), s)
        return True
    click = s.pick(button.node, button.content) if isinstance(button, SheetPick) else s.click(button)
    _, ok = await act(rec, "sheet_jump", click, s)
    if ok and current_slot(s) != target:
        rec.error("sheet_jump", f"answer sheet {target} showed question {current_slot(s)}")
    return True


async def submit_exam(s: Session, rec: Recorder, log: ExamLog, rng: random.Random, cfg: Settings) -> None:
    await think(cfg, rng, (1.0, 4.0))
    hand_in = s.button("交卷")
    if hand_in is None:
        rec.error("submit", "no 交卷 button")
        return
    _, ok = await act(rec, "submit_dialog", s.click(hand_in), s)
    if not ok:
        return
    await think(cfg, rng, (1.0, 3.0))
    confirm = s.button("确认交卷")
    if confirm is None:
        rec.error("submit", "no 确认交卷 in the dialog")
        return
    _, ok = await act(rec, "submit", s.click(confirm), s)
    if ok:
        if on_exam(s):
            rec.error("submit", "still on the exam after 确认交卷")
        else:
            log.submitted = True


# --- an officer ---------------------------------------------------------------------------------------------


async def adopt_cookie(s: Session, rec: Recorder) -> None:
    """Do what the login's zero-height frame does in a browser: post the one-time code for the HttpOnly cookie."""
    for n in s.elements("iframe") + s.elements("html"):
        body = getattr(n.proto, "srcdoc", "") or getattr(n.proto, "body", "")
        m = COOKIE_CODE.search(body or "")
        if m:
            status, _ = await http_request(
                "POST",
                f"{s.base_url}/_app/session",
                s.jar,
                json.dumps({"code": m.group(1)}).encode(),
                {"Content-Type": "application/json"},
                source_ip=s.source_ip,
            )
            if status != 200:
                rec.error("login", f"cookie hand-off: HTTP {status}")
            return


async def login(
    s: Session,
    rec: Recorder,
    account: str,
    password: str,
    rng: random.Random,
    cfg: Settings,
    expect_heading: str | None = None,
) -> bool:
    submit = s.button("登录")
    if submit is None:
        rec.error("login", "no 登录 button on the first page")
        raise UserFailed("no login form")
    await think(cfg, rng, (2.0, 6.0))  # typing the account and password
    _, ok = await act(rec, "login", s.submit_form(submit, {"账号": account, "密码": password}), s)
    if not ok:
        raise UserFailed("login failed")
    if s.button("登录") is not None and not s.page("我的学习") and not s.page("完成情况"):
        rec.error("login", "still on the login form")
        raise UserFailed("login failed")
    await adopt_cookie(s, rec)
    return True


async def officer(
    base_url: str,
    account: str,
    password: str,
    cfg: Settings,
    rec: Recorder,
    log: ExamLog,
    rng: random.Random,
    index: int = 0,
) -> None:
    jar = CookieJar()
    s: Session | None = None
    try:
        s, first = await Session.open(
            base_url, jar, timeout=cfg.timeout, auto_rerun=cfg.auto_rerun, source_ip=source_ip(cfg, index)
        )
        rec.ok("open", first.seconds)
        await login(s, rec, account, password, rng, cfg)
        await think(cfg, rng, (1.0, 4.0))
        start = s.button(*START_LABELS)
        if start is None:
            rec.error("start", "no 开始考试 / 再考一次 / 继续作答 on 我的学习")
            log.gave_up = "no exam to start"
            return
        result, ok = await act(rec, "start", s.click(start), s, record=False)
        spent = result.seconds
        if ok and not on_exam(s):
            confirm = s.button(*CONFIRM_START)
            if confirm is not None:  # a start-confirmation screen: the start is both clicks, not the reading
                await think(cfg, rng, (1.0, 3.0))
                result, ok = await act(rec, "start", s.click(confirm), s, record=False)
                spent += result.seconds
        if not ok:
            log.gave_up = "start failed"
            return
        if not on_exam(s):
            rec.error("start", "the exam did not open")
            log.gave_up = "start failed"
            return
        rec.ok("start", spent)
        total = total_questions(s) or 80
        key = attempt_key(s)
        if key is not None:
            log.attempt_ids.add(key)
        lo, hi = cfg.reload_after or (max(2, total // 5), max(3, total * 3 // 5))
        reload_after = rng.randint(lo, hi) if cfg.reload else None
        answered_here = 0
        while True:
            await think(cfg, rng)
            await answer_here(s, rec, log, rng)
            answered_here += 1
            if reload_after is not None and answered_here == reload_after:
                s = await reload(s, rec, log, account, password, rng, cfg)
            if not await move(s, rec, log, rng, total, cfg):
                log.finished_all = True
                break
        await submit_exam(s, rec, log, rng, cfg)
    except Stop:
        pass
    except UserFailed as exc:
        log.gave_up = str(exc)
    except ProtocolError as exc:
        rec.error("open" if s is None else "login", f"{exc}")
        log.gave_up = str(exc)
    except Exception as exc:  # noqa: BLE001 - a client bug must not end the other users' runs
        rec.error("client", f"{type(exc).__name__}: {exc}")
        log.gave_up = f"client error {type(exc).__name__}"
    finally:
        if s is not None:
            await s.close()


async def reload(
    s: Session, rec: Recorder, log: ExamLog, account: str, password: str, rng: random.Random, cfg: Settings
) -> Session:
    """A browser reload on the exam page: the tab's websocket closes and a new session opens at /exam with the
    site's cookies; it must land in the same attempt with the answers seen so far."""
    slot_before = current_slot(s)
    attempt_before = attempt_key(s)
    await s.close()
    t0 = time.perf_counter()
    s2 = Session(s.base_url, s.jar, path="exam", timeout=cfg.timeout, auto_rerun=cfg.auto_rerun, source_ip=s.source_ip)
    try:
        first = await s2.connect()
    except ProtocolError as exc:
        rec.error("reload_resume", f"{exc}")
        raise UserFailed("reload failed") from exc
    problems = list(first.errors) + s2.errors_on_page()
    if not on_exam(s2) and s2.button("登录") is not None:
        rec.note("reload_without_cookie")  # no cookie kept: log in again, then 继续作答
        _, ok = await act(rec, "login", s2.submit_form(s2.button("登录"), {"账号": account, "密码": password}), s2)
        if ok and not on_exam(s2):
            resume = s2.button("继续作答")
            if resume is not None:
                _, ok = await act(rec, "start", s2.click(resume), s2, record=False)
    if not on_exam(s2):
        problems.append("the reload did not land in the exam")
    else:
        after = attempt_key(s2)
        if attempt_before is not None and after is not None and after != attempt_before:
            problems.append(f"the reload landed in attempt {after}, not {attempt_before}")
        if after is not None:
            log.attempt_ids.add(after)
        m = s2.find_text(ANSWERED)
        if m and int(m.group(1)) < len(log.answers):
            problems.append(f"after the reload 已答 {m.group(1)} < {len(log.answers)} acknowledged")
        slot = current_slot(s2)
        if slot in log.answers and log.answers[slot][0] == "radio":
            radio = answer_radio(s2)
            if radio is None or radio_shown(s2, radio) != log.answers[slot][1][0]:
                problems.append(f"after the reload question {slot} does not show its saved answer")
        rec.note("reload_same_question" if slot == slot_before else "reload_other_question")
    if problems:
        rec.error("reload_resume", "; ".join(problems))
        if not on_exam(s2):
            await s2.close()
            raise UserFailed("reload failed")
    else:
        rec.ok("reload_resume", time.perf_counter() - t0)
    return s2


# --- a coordinator ----------------------------------------------------------------------------------------------


async def coordinator(
    base_url: str,
    account: str,
    password: str,
    cfg: Settings,
    rec: Recorder,
    rng: random.Random,
    done: asyncio.Event,
    index: int = 0,
) -> None:
    s: Session | None = None
    try:
        s, first = await Session.open(
            base_url,
            CookieJar(),
            timeout=cfg.timeout,
            auto_rerun=cfg.auto_rerun,
            source_ip=source_ip(cfg, 60_000 + index),
        )
        rec.ok("open", first.seconds)
        await login(s, rec, account, password, rng, cfg)
        if s.page("完成情况") is None:
            rec.error("dashboard", "no 完成情况 page after the coordinator's login")
            return
        while not done.is_set():
            await think(cfg, rng, cfg.dashboard_every)
            if done.is_set():
                break
            _, ok = await act(rec, "dashboard", s.rerun(), s)
            if ok and not any("完成情况" in t for t in s.texts()):
                rec.error("dashboard", "the page is not 完成情况")
    except Stop:
        pass
    except UserFailed:
        pass
    except ProtocolError as exc:
        rec.error("open" if s is None else "dashboard", f"{exc}")
    except Exception as exc:  # noqa: BLE001
        rec.error("client", f"{type(exc).__name__}: {exc}")
    finally:
        if s is not None:
            await s.close()


# --- the floor: the bare page with the same widgets -------------------------------------------------------------


async def floor_user(
    base_url: str, name: str, cfg: Settings, rec: Recorder, log: ExamLog, rng: random.Random, index: int = 0
) -> None:
    s: Session | None = None
    try:
        s, first = await Session.open(
            base_url, CookieJar(), timeout=cfg.timeout, auto_rerun=cfg.auto_rerun, source_ip=source_ip(cfg, index)
        )
        if first.errors or not on_exam(s):
            rec.error("start", "; ".join(first.errors) or "the floor page shows no question")
            return
        rec.ok("start", first.seconds)
        total = total_questions(s) or 80
        key = attempt_key(s)
        if key is not None:
            log.attempt_ids.add(key)
        while True:
            await think(cfg, rng)
            await answer_here(s, rec, log, rng)
            if not await move(s, rec, log, rng, total, cfg):
                log.finished_all = True
                break
        await submit_exam(s, rec, log, rng, cfg)
    except Stop:
        pass
    except UserFailed as exc:
        log.gave_up = str(exc)
    except ProtocolError as exc:
        rec.error("start" if s is None else "answer", f"{exc}")
        log.gave_up = str(exc)
    except Exception as exc:  # noqa: BLE001
        rec.error("client", f"{type(exc).__name__}: {exc}")
        log.gave_up = f"client error {type(exc).__name__}"
    finally:
        if s is not None:
            await s.close()
