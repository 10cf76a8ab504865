"""Two `streamlit run` processes on two ports against one PostgreSQL database (as behind a load balancer): an
attempt started on server A resumes on server B with its answers, is handed in on B, and server A's
完成情况 counts it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.support import (
    DESKTOP,
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
    metric_value,
    open_exam_from_home,
    pick_officer_campaign,
    shown_deadline,
    step,
    submit,
    wait_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.pg]


def test_attempt_moves_between_two_servers_on_one_postgresql(pg_site, new_page):
    site, db = pg_site, pg_site.db
    server_a, server_b = site.server().start(), site.server().start()
    assert server_a.port != server_b.port
    campaign_id = db.officer_campaign()

    coordinator = new_page(DESKTOP)
    login(coordinator, server_a.url, "coordinator", site.password("coordinator"), landing="完成情况")
    pick_officer_campaign(coordinator)
    before = db.completed(campaign_id)
    expect(metric_value(coordinator, "已完成")).to_have_text(str(before))

    (officer,) = site.take_officers(1)
    on_a = new_page(PHONE)
    login(on_a, server_a.url, officer, site.password(officer))
    open_exam_from_home(on_a, "开始考试")
    deadline = shown_deadline(on_a)
    (attempt,) = db.attempts(officer)
    multi = next(s["slot"] for s in json.loads(attempt["paper"]) if s["type"] == "multiple")
    given = {1: choose(on_a, [3], db, attempt["id"])}
    step(on_a, "next")
    given[2] = choose(on_a, [1], db, attempt["id"])
    goto_slot(on_a, multi)
    given[multi] = choose(on_a, [0, 1, 2], db, attempt["id"])
    expect_answered(on_a, 3)

    # The officer's next request lands on server B (another process, no shared memory): same attempt, same answers.
    on_b = new_page(PHONE)
    login(on_b, server_b.url, officer, site.password(officer))
    expect(main(on_b).get_by_text("您有正在进行的考试")).to_be_visible()
    open_exam_from_home(on_b, "继续作答")
    assert shown_deadline(on_b) == deadline
    expect_answered(on_b, 3)
    assert current_slot(on_b) == 3
    for slot, texts in given.items():
        goto_slot(on_b, slot)
        assert sorted(chosen(on_b)) == sorted(texts), f"answer of question {slot} not seen on server B"
    goto_slot(on_b, 3)
    given[3] = choose(on_b, [2], db, attempt["id"])
    score = submit(on_b)
    expect(main(on_b).get_by_text(f"交卷成功！得分 {score:.1f} 分", exact=False)).to_be_visible()

    (row,) = db.attempts(officer)
    assert row["id"] == attempt["id"] and row["state"] == "finished" and row["finished_by"] == "submit"
    answers = db.answers(row["id"])
    assert {s: answers[s]["response"] for s in given} == {
        s: canonical(answers[s]["question_id"], t) for s, t in given.items()
    }
    assert round(row["percent"], 1) == score == expected_percent(row["paper"], answers)

    # Server A's dashboard counts it (the coordinator reloads: a new session there, still logged in).
    coordinator.reload()
    expect(coordinator.get_by_role("heading", name="完成情况", exact=True)).to_be_visible()
    wait_idle(coordinator)
    pick_officer_campaign(coordinator)
    assert db.completed(campaign_id) == before + 1
    expect(metric_value(coordinator, "已完成")).to_have_text(str(before + 1))
