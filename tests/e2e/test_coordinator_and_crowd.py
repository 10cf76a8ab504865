"""Several people on one server at once: the coordinator watching 完成情况 while an officer hands in, and five
officers taking the exam side by side. One server (SQLite, the CLI-seeded demo district) for the module."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.support import (
    DEADLINE_RE,
    DESKTOP,
    PHONE,
    SCORE_RE,
    canonical,
    choose,
    expect_answered,
    expect_slot,
    expected_percent,
    login,
    main,
    metric,
    metric_value,
    open_exam_from_home,
    option_locators,
    option_text,
    pick_officer_campaign,
    saved_as,
    step,
    submit,
    wait_idle,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_coordinator_sees_an_officers_finished_exam_counted(module_site, new_page):
    site, server, db = module_site, module_site.servers[0], module_site.db
    campaign_id = db.officer_campaign()

    coordinator = new_page(DESKTOP)
    login(coordinator, server.url, "coordinator", site.password("coordinator"), landing="完成情况")
    pick_officer_campaign(coordinator)
    before = db.completed(campaign_id)
    expect(metric_value(coordinator, "已完成")).to_have_text(str(before))
    eligible = metric(coordinator, "应参训")
    assert 0 < before < int(eligible)

    (officer,) = site.take_officers(1)
    page = new_page(PHONE)
    login(page, server.url, officer, site.password(officer))
    open_exam_from_home(page, "开始考试")
    (attempt,) = db.attempts(officer)
    choose(page, [0], db, attempt["id"])
    step(page, "next")
    choose(page, [1], db, attempt["id"])
    score = submit(page)
    expect(main(page).get_by_text(f"交卷成功！得分 {score:.1f} 分", exact=False)).to_be_visible()

    coordinator.reload()  # a new session, still logged in (the cookie)
    expect(coordinator.get_by_role("heading", name="完成情况", exact=True)).to_be_visible()
    wait_idle(coordinator)
    pick_officer_campaign(coordinator)
    assert db.completed(campaign_id) == before + 1
    expect(metric_value(coordinator, "已完成")).to_have_text(str(before + 1))
    expect(metric_value(coordinator, "应参训")).to_have_text(eligible)


def test_five_officers_take_the_exam_at_the_same_time(module_site, new_page):
    site, server, db = module_site, module_site.servers[0], module_site.db
    campaign_id = db.officer_campaign()
    officers = site.take_officers(5)
    pages = [new_page(PHONE) for _ in officers]
    footprint_before = db.grading_footprint(campaign_id)

    # Everyone logs in and starts at once: each step is done in every browser before waiting for any.
    for page in pages:
        page.goto(server.url + "/")
    for page, officer in zip(pages, officers):
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
        page.get_by_label("账号", exact=True).fill(officer)
        page.get_by_label("密码", exact=True).fill(site.password(officer))
    for page in pages:
        page.get_by_role("button", name="登录", exact=True).click()
    for page in pages:
        expect(page.get_by_role("heading", name="我的学习", exact=True)).to_be_visible()
        wait_idle(page)
    for page in pages:
        page.get_by_role("button", name="开始考试", exact=True).click()
    for page in pages:
        expect(main(page).get_by_role("button", name="确认开始", exact=True)).to_be_visible()
        wait_idle(page)
    for page in pages:
        main(page).get_by_role("button", name="确认开始", exact=True).click()
    for page in pages:
        expect(main(page).get_by_text(DEADLINE_RE)).to_be_visible()
        wait_idle(page)
    attempt_ids = [db.attempts(officer)[0]["id"] for officer in officers]

    # Four questions each, a different option per officer, clicks interleaved across the five sessions.
    given: list[dict[int, str]] = [{} for _ in pages]
    for k in range(4):
        slot = k + 1
        for i, page in enumerate(pages):
            options = option_locators(page)
            pick = (i + k) % options.count()
            given[i][slot] = option_text(options.nth(pick))
            options.nth(pick).click()
        for i, page in enumerate(pages):
            wait_until(
                lambda: saved_as(db, attempt_ids[i], slot, [given[i][slot]]),
                f"{officers[i]}'s answer to question {slot}",
            )
            expect_answered(page, slot)
        if k < 3:
            for page in pages:
                page.get_by_role("button", name="下一题 →", exact=True).click()
            for page in pages:
                expect_slot(page, slot + 1)

    # All five hand in together.
    for page in pages:
        page.get_by_role("button", name="交卷", exact=True).click()
    for page in pages:
        expect(page.get_by_role("dialog").get_by_role("button", name="确认交卷", exact=True)).to_be_visible()
    for page in pages:
        page.get_by_role("dialog").get_by_role("button", name="确认交卷", exact=True).click()
    scores = []
    for page in pages:
        message = main(page).get_by_text(SCORE_RE).first
        expect(message).to_be_visible()
        expect(message).to_contain_text("交卷成功！")
        scores.append(float(SCORE_RE.search(message.inner_text()).group(1)))

    sizes = 0
    for i, officer in enumerate(officers):
        (row,) = db.attempts(officer)
        assert row["id"] == attempt_ids[i]
        assert row["state"] == "finished" and row["finished_by"] == "submit"
        answers = db.answers(row["id"])
        assert sorted(answers) == [1, 2, 3, 4], f"{officer}: answers saved in slots {sorted(answers)}"
        for slot, text in given[i].items():
            assert answers[slot]["response"] == canonical(answers[slot]["question_id"], [text]), (officer, slot)
        assert round(row["percent"], 1) == scores[i] == expected_percent(row["paper"], answers)
        assert db.assignment(officer)["attempts_started"] == 1
        sizes += len(json.loads(row["paper"]))
    after = db.grading_footprint(campaign_id)
    assert (after[0] - footprint_before[0], after[1] - footprint_before[1]) == (sizes, sizes), (
        "the five attempts were not each graded exactly once"
    )
