"""The officer's phone day in Debian chromium at 375 px (issue 13): logging out and back in lands on 我的学习 and
stays there; a reload mid-exam keeps the login and the attempt; the login cookie is HttpOnly and SameSite=Strict
and ends with 退出登录; the start screen comes before the clock; a retake after a fail; a jump from the answer
sheet brings the question into view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import (
    DEADLINE_RE,
    PHONE,
    choose,
    current_slot,
    expect_slot,
    login,
    main,
    open_sidebar_page,
    shown_deadline,
    submit,
    wait_idle,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IN_VIEW_JS = """() => {
  const el = document.querySelector('.st-key-question');
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {top: Math.round(r.top), bottom: Math.round(r.bottom), height: window.innerHeight};
}"""


def _cookie(page):
    return next((c for c in page.context.cookies() if c["name"] == "fz_session"), None)


def test_logout_and_back_in_then_reload_mid_exam_keeps_login_and_attempt(module_site, new_page):
    site, server, db = module_site, module_site.servers[0], module_site.db
    (officer,) = site.take_officers(1)
    page = new_page(PHONE)
    login(page, server.url, officer, site.password(officer))
    wait_until(lambda: _cookie(page) is not None, "the session cookie to be set")
    cookie = _cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 32
    old_token = cookie["value"]

    # 退出登录, then log in again from the logout address: lands on 我的学习 and stays logged in.
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link").filter(has_text="退出登录").click()
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(main(page).get_by_text("您已退出登录")).to_be_visible()
    wait_idle(page)
    wait_until(lambda: _cookie(page) is None, "the session cookie to be deleted")
    login(page, None, officer, site.password(officer))
    page.wait_for_timeout(1500)  # the old defect: the logout page ran again 0.1 s after the login
    expect(page.get_by_role("heading", name="我的学习", exact=True)).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/logout$"))
    events = db.rows("SELECT event, outcome FROM audit_log WHERE actor = :a ORDER BY id", a=officer)
    assert [(e["event"], e["outcome"]) for e in events][-3:] == [("login", "ok"), ("logout", "ok"), ("login", "ok")]

    # The old token ended with the logout: a browser holding it is not logged in.
    stale = new_page(PHONE)
    stale.context.add_cookies([{"name": "fz_session", "value": old_token, "url": server.url}])
    stale.goto(server.url + "/")
    expect(stale.get_by_role("button", name="登录", exact=True)).to_be_visible()

    # The start screen says what starts the clock; nothing is used before 确认开始.
    page.get_by_role("button", name="开始考试", exact=True).click()
    for words in ("题数", "时长", "可考次数", "已用 0 次", "合格线", "计时开始后不暂停，答案随选随存"):
        expect(main(page).get_by_text(words, exact=False).first).to_be_visible()
    wait_idle(page)
    assert db.attempts(officer) == []
    main(page).get_by_role("button", name="确认开始", exact=True).click()
    expect(main(page).get_by_text(DEADLINE_RE)).to_be_visible()
    wait_idle(page)
    (attempt,) = db.attempts(officer)
    deadline = shown_deadline(page)
    choose(page, [1], db, attempt["id"])

    # A reload (pull-to-refresh) mid-exam: still logged in, the same attempt, the same deadline, the answer kept.
    page.reload()
    expect(main(page).get_by_text(DEADLINE_RE)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)
    assert shown_deadline(page) == deadline and [a["id"] for a in db.attempts(officer)] == [attempt["id"]]
    assert current_slot(page) == 2  # resumes at the first unanswered question

    # A jump from the answer sheet far down the page brings the question, not the old scroll position, into view.
    main(page).locator('[data-testid="stExpander"] summary').filter(has_text="答题卡").click()
    target = main(page).get_by_role("radio", name=re.compile(r"^60√?★?$"))
    target.scroll_into_view_if_needed()
    target.click()
    expect_slot(page, 60)
    page.wait_for_timeout(800)  # the scroll runs in the next frame
    box = page.evaluate(IN_VIEW_JS)
    assert box is not None and 0 <= box["top"] < box["height"] * 0.6, f"question off screen after the jump: {box}"


def test_a_failed_exam_offers_a_retake_through_the_start_screen(module_site, new_page):
    site, server, db = module_site, module_site.servers[0], module_site.db
    (officer,) = site.take_officers(1)
    page = new_page(PHONE)
    login(page, server.url, officer, site.password(officer))
    page.get_by_role("button", name="开始考试", exact=True).click()
    main(page).get_by_role("button", name="确认开始", exact=True).click()
    expect(main(page).get_by_text(DEADLINE_RE)).to_be_visible()
    wait_idle(page)
    score = submit(page)  # nothing answered: a fail
    assert score < 60
    expect(main(page).get_by_text("未合格，还可考 1 次（截止", exact=False)).to_be_visible()
    main(page).get_by_role("button", name="再考一次", exact=True).click()
    expect(main(page).get_by_text("已用 1 次", exact=False)).to_be_visible()
    wait_idle(page)
    main(page).get_by_role("button", name="确认开始", exact=True).click()
    expect(main(page).get_by_text("第 2 次作答", exact=False)).to_be_visible()
    wait_idle(page)
    assert sorted(a["number"] for a in db.attempts(officer)) == [1, 2]
    open_sidebar_page(page, "我的学习")
    expect(main(page).get_by_role("button", name="继续作答", exact=True)).to_have_count(1)
