"""An enforcement officer on a phone: the annual exam from start to score, a reload in the middle, a stale
second tab that tries to hand in again; what the exam pages look like at 375 pixels; and the coordinator's
pages staying out of an officer's reach. One server (SQLite, the CLI-seeded demo district) for the module."""

from __future__ import annotations

import json
import re
import struct

import pytest
from playwright.sync_api import expect

from tests.e2e.support import (
    ARTIFACTS,
    DEADLINE_RE,
    PHONE,
    canonical,
    choose,
    chosen,
    current_slot,
    expect_answered,
    expected_percent,
    goto_slot,
    login,
    main,
    metric,
    open_exam_from_home,
    open_sidebar_page,
    option_texts,
    shown_deadline,
    step,
    submit,
    wait_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def first_slot_of(paper_json: str, qtype: str) -> int:
    return next(s["slot"] for s in json.loads(paper_json) if s["type"] == qtype)


def assert_saved(db, attempt_id: int, given: dict[int, list[str]]) -> None:
    """Every answer the officer clicked is in the database, as the bank's letters of the texts clicked."""
    rows = db.answers(attempt_id)
    for slot, texts in given.items():
        assert slot in rows, f"slot {slot} was answered in the browser but has no row in the database"
        assert rows[slot]["response"] == canonical(rows[slot]["question_id"], texts), (slot, texts, rows[slot])


def test_officer_exam_on_a_phone_survives_a_reload_and_is_graded_once(module_site, new_page):
    site, server, db = module_site, module_site.servers[0], module_site.db
    (officer,) = site.take_officers(1)
    campaign_id = db.officer_campaign()
    title = db.scalar("SELECT title FROM campaign WHERE id = :c", c=campaign_id)

    page = new_page(PHONE)
    login(page, server.url, officer, site.password(officer))
    expect(main(page).get_by_text(title, exact=True)).to_be_visible()
    assert metric(page, "状态") == "未开始"
    assert metric(page, "已用次数") == "0/2"

    open_exam_from_home(page, "开始考试")
    expect(main(page).get_by_text(title, exact=True)).to_be_visible()
    assert current_slot(page) == 1
    expect_answered(page, 0)
    deadline = shown_deadline(page)
    (attempt,) = db.attempts(officer)
    multi, judge = first_slot_of(attempt["paper"], "multiple"), first_slot_of(attempt["paper"], "judge")

    # Answer, move on, come back: each choice is still shown.
    given: dict[int, list[str]] = {}
    given[1] = choose(page, [1], db, attempt["id"])
    expect_answered(page, 1)
    assert step(page, "next") == 2
    assert chosen(page) == []
    given[2] = choose(page, [2], db, attempt["id"])
    assert step(page, "prev") == 1
    assert chosen(page) == given[1]
    assert step(page, "next") == 2
    assert chosen(page) == given[2]
    goto_slot(page, multi)
    expect(main(page).get_by_text("多选题：请选择所有正确的答案")).to_be_visible()
    given[multi] = choose(page, [0, 2], db, attempt["id"])
    assert len(given[multi]) == 2
    assert step(page, "next") == multi + 1
    assert step(page, "prev") == multi
    assert sorted(chosen(page)) == sorted(given[multi])
    expect_answered(page, 3)
    assert_saved(db, attempt["id"], given)

    # A reload (pull-to-refresh) loses the Streamlit session but not the login: no form, the same exam page.
    page.reload()
    expect(main(page).get_by_text(DEADLINE_RE)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)
    assert shown_deadline(page) == deadline
    open_sidebar_page(page, "我的学习")
    expect(main(page).get_by_text(f"您有正在进行的考试：{title}")).to_be_visible()
    assert metric(page, "状态") == "进行中"
    assert metric(page, "已用次数") == "1/2"

    open_exam_from_home(page, "继续作答")
    assert shown_deadline(page) == deadline
    expect_answered(page, 3)
    assert current_slot(page) == 3  # the first unanswered question
    for slot in (1, 2, multi):
        goto_slot(page, slot)
        assert sorted(chosen(page)) == sorted(given[slot]), f"answer of question {slot} lost after the reload"
    goto_slot(page, judge)
    assert option_texts(page) == ["正确", "错误"]
    given[judge] = choose(page, [0], db, attempt["id"])
    assert step(page, "next") == judge + 1
    given[judge + 1] = choose(page, [1], db, attempt["id"])
    expect_answered(page, 5)
    assert_saved(db, attempt["id"], given)
    assert db.attempts(officer)[0]["id"] == attempt["id"]  # the same attempt, not a new one

    # A second tab of the same officer, left with the 交卷 dialog open.
    stale = new_page(PHONE)
    login(stale, server.url, officer, site.password(officer))
    open_exam_from_home(stale, "继续作答")
    stale.get_by_role("button", name="交卷", exact=True).click()
    stale_dialog = stale.get_by_role("dialog")
    expect(stale_dialog.get_by_text("还有 75 题未作答", exact=False)).to_be_visible()

    before = db.grading_footprint(campaign_id)
    score = submit(page)
    expect(main(page).get_by_text(f"交卷成功！得分 {score:.1f} 分", exact=False)).to_be_visible()
    assert metric(page, "得分") == f"{score:.1f}"

    (row,) = db.attempts(officer)
    assert row["state"] == "finished" and row["finished_by"] == "submit"
    assert round(row["percent"], 1) == score
    assert expected_percent(row["paper"], db.answers(row["id"])) == score
    paper_size = len(json.loads(row["paper"]))
    after = db.grading_footprint(campaign_id)
    assert (after[0] - before[0], after[1] - before[1]) == (paper_size, paper_size), "graded more or less than once"

    # The stale tab confirms too: told it was already handed in, with the same score; nothing is graded again.
    stale_dialog.get_by_role("button", name="确认交卷", exact=True).click()
    already = f"本次答卷此前已交卷，成绩不变：得分 {score:.1f} 分"
    expect(main(stale).get_by_text(already, exact=False)).to_be_visible()

    # Back to the exam page with the browser's back button, then 我的学习: no exam to hand in, same score.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/exam$"))
    expect(main(page).get_by_text("您当前没有进行中的考试。")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="交卷", exact=True)).to_have_count(0)
    open_sidebar_page(page, "我的学习")
    assert metric(page, "已用次数") == "1/2"
    assert metric(page, "最好成绩") == f"{score:.1f}"
    expect(main(page).get_by_text("您有正在进行的考试")).to_have_count(0)

    rows = db.attempts(officer)
    assert len(rows) == 1 and rows[0]["state"] == "finished" and round(rows[0]["percent"], 1) == score
    assert db.assignment(officer)["attempts_started"] == 1
    assert db.grading_footprint(campaign_id) == after, "a second submit graded the attempt again"


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


OVERFLOW_JS = """() => {
  const boxes = ['stApp', 'stAppViewContainer', 'stMain', 'stMainBlockContainer']
    .map(t => document.querySelector(`[data-testid="${t}"]`)).filter(Boolean);
  const widest = Math.max(document.documentElement.scrollWidth, ...boxes.map(e => e.scrollWidth));
  const main = document.querySelector('[data-testid="stMain"]');
  const sticking = [...main.querySelectorAll('*')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.right > window.innerWidth + 2;
  }).map(e => (e.getAttribute('data-testid') || e.tagName) + ':' + Math.round(e.getBoundingClientRect().right));
  return {widest, sticking: sticking.slice(0, 10)};
}"""


def assert_fits_375(page) -> None:
    """No sideways scrolling at 375 px: neither the document nor Streamlit's own scroll containers are wider, and
    no element of the page sticks out on the right."""
    found = page.evaluate(OVERFLOW_JS)
    assert found["widest"] <= 375 + 2, f"the page is {found['widest']}px wide on a 375px phone: it scrolls sideways"
    assert not found["sticking"], f"elements stick out past 375px: {found['sticking']}"


# The height of the page's content once it has stopped changing (an expander opens with an animation).
SETTLED_HEIGHT_JS = """async () => {
  const measure = () => {
    const r = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
    return Math.round(r.top + r.height);
  };
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const h = measure();
    if (h === last) return h;
    last = h;
    await new Promise(r => setTimeout(r, 150));
  }
  return last;
}"""


def screenshot_whole(page, path) -> None:
    """Streamlit scrolls inside its own container, so a full-page screenshot is one screen: make the window as
    tall as the content (same 375 px width), take it, and put the phone size back."""
    for _ in range(4):  # a taller window can re-flow the page: measure again until it is stable
        height = max(PHONE["height"], min(int(page.evaluate(SETTLED_HEIGHT_JS)) + 60, 12000))
        if abs(page.viewport_size["height"] - height) < 8:
            break
        page.set_viewport_size({"width": PHONE["width"], "height": height})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(PHONE)


def test_exam_pages_fit_a_375_pixel_phone(module_site, new_page):
    site, server = module_site, module_site.servers[0]
    (officer,) = site.take_officers(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = new_page(PHONE)
    login(page, server.url, officer, site.password(officer))
    expect(main(page).get_by_role("button", name="开始考试", exact=True)).to_be_visible()
    assert_fits_375(page)
    home = ARTIFACTS / "officer-home-375.png"
    screenshot_whole(page, home)

    open_exam_from_home(page, "开始考试")
    (attempt,) = module_site.db.attempts(officer)
    choose(page, [0], module_site.db, attempt["id"])
    step(page, "next")
    assert_fits_375(page)
    exam = ARTIFACTS / "exam-375.png"
    screenshot_whole(page, exam)

    # The answer sheet (80 numbered buttons) opened on the phone still fits.
    main(page).locator('[data-testid="stExpander"] summary').filter(has_text="答题卡").click()
    expect(main(page).get_by_role("radio", name="1√", exact=True)).to_be_visible()
    assert_fits_375(page)
    sheet = ARTIFACTS / "exam-answer-sheet-375.png"
    screenshot_whole(page, sheet)

    for path in (home, exam, sheet):
        assert path.exists() and path.stat().st_size > 20_000, f"{path} is missing or nearly empty"
        width, height = png_size(path)
        assert width == 375, f"{path.name} is {width}px wide: the page is wider than the phone"
        assert height > 812, f"{path.name} shows only one screen of the page"


@pytest.mark.parametrize("path", ["/dashboard", "/roster", "/audit"])
def test_officer_cannot_open_coordinator_pages_by_url(module_site, new_page, path):
    site, server = module_site, module_site.servers[0]
    (officer,) = site.take_officers(1)
    page = new_page(PHONE)
    login(page, server.url, officer, site.password(officer))
    staff_texts = ("完成情况", "人员名册", "审计日志", "应参训", "培训任务", "管理员账号")

    def shows_nothing_of_staff_pages() -> None:
        for t in staff_texts:
            expect(page.get_by_text(t)).to_have_count(0)

    # In the same session (the address changes without a reload, as the browser's history does).
    page.evaluate("p => { history.pushState({}, '', p); window.dispatchEvent(new PopStateEvent('popstate')); }", path)
    expect(page).not_to_have_url(re.compile(re.escape(path) + "$"))  # the app has answered: back to its main page
    wait_idle(page)
    expect(page.get_by_role("heading", name="我的学习", exact=True)).to_be_visible()
    shows_nothing_of_staff_pages()

    # Typed into the address bar: a new page load, still logged in (the cookie), and still only the officer's pages.
    page.goto(server.url + path)
    expect(page.get_by_role("heading", name="我的学习", exact=True)).to_be_visible()
    wait_idle(page)
    shows_nothing_of_staff_pages()
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link")).not_to_have_count(0)
    links = " ".join(nav.get_by_role("link").all_inner_texts())
    assert "我的学习" in links and "完成情况" not in links and "人员名册" not in links


def test_reload_keeps_the_page_without_an_error(module_site, new_page):
    """A phone that reloads the exam page stays logged in and on the exam, with no error message."""
    site, server = module_site, module_site.servers[0]
    (officer,) = site.take_officers(1)
    page = new_page(PHONE)
    login(page, server.url, officer, site.password(officer))
    open_exam_from_home(page, "开始考试")
    page.reload()
    expect(main(page).get_by_text(DEADLINE_RE)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0, timeout=3000)
