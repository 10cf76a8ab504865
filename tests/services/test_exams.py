"""The exam's use cases on SQLite and PostgreSQL: every answer stored as given, a server-side deadline,
one grading per attempt, resume after anything."""

from datetime import timedelta

import pytest

from tests.support.factory import district, make_campaign, make_person
from tests.support.statements import statements
from training_app.engine.deadlines import as_utc, utcnow
from training_app.services import campaigns, exams
from training_app.services.common import NotFound, PermissionDenied, ServiceError
from training_app.store.db import read_session
from training_app.store.models import Answer, Assignment, ItemStat, UnitLawStat
from training_app.vocab import AssignmentStatus


def _answer_all(app, actor, attempt_id, right=True):
    view = exams.attempt_view(app, actor, attempt_id)
    for qv in view.questions:
        spec = app.bank.questions[qv.qid]
        resp = (
            spec.answer
            if right
            else ("F" if spec.answer == "T" else "T")
            if qv.type == "judge"
            else ("A" if spec.answer != "A" else "B")
            if qv.type == "single"
            else "D"
        )
        exams.save_answer(app, actor, attempt_id, qv.slot, resp)
    return view


def _thirty_minute_attempt(app):
    """An officer's attempt of a 30-minute exam started now: (the officer, another officer, the attempt, its start)."""
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, minutes=30)
    o, other = officers[0], officers[1]
    t0 = utcnow()
    return o, other, exams.start_attempt(app, o, cid, now=t0).attempt_id, t0


def test_start_save_resume_submit(app):
    _, coordinator, officers, cid = district(app)
    o = officers[0]
    start = exams.start_attempt(app, o, cid)
    assert not start.resumed
    again = exams.start_attempt(app, o, cid)
    assert again.resumed and again.attempt_id == start.attempt_id  # a second tab or a refresh resumes
    view = exams.attempt_view(app, o, start.attempt_id)
    assert len(view.questions) == 18 and view.answered == 0
    first = view.questions[0]
    key = app.bank.questions[first.qid].answer
    exams.save_answer(app, o, start.attempt_id, 1, key)
    exams.set_flag(app, o, start.attempt_id, 2, True)
    # "another device": a fresh read from the database shows the same answer, flag and deadline
    back = exams.attempt_view(app, o, start.attempt_id)
    assert back.questions[0].chosen and back.questions[1].flagged and back.deadline_at == view.deadline_at
    assert exams.open_attempt_for(app, o) == start.attempt_id
    r1 = exams.submit_attempt(app, o, start.attempt_id)
    r2 = exams.submit_attempt(app, o, start.attempt_id)
    assert not r1.already_finished and r2.already_finished
    assert (r1.score, r1.percent) == (r2.score, r2.percent) == (2.0, round(100 * 2 / 44, 2))
    with read_session(app.engine) as s:
        a = s.query(Assignment).filter_by(campaign_id=cid, person_id=o.id).one()
        assert a.attempts_finished == 1 and a.grade == r1.percent
        assert sum(st.n for st in s.query(ItemStat).filter_by(campaign_id=cid)) == 18


def test_answer_after_submit_is_refused_and_changes_nothing(app):
    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    exams.save_answer(app, o, aid, 1, "A")
    exams.submit_attempt(app, o, aid)
    with pytest.raises(exams.AnswerRefused, match="已交卷"):
        exams.save_answer(app, o, aid, 1, "B")
    with read_session(app.engine) as s:
        assert s.query(Answer).filter_by(attempt_id=aid, slot=1).one().response == "A"


def test_deadline_is_kept_on_the_server(app):
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, minutes=30)
    o = officers[1]
    t0 = utcnow()
    aid = exams.start_attempt(app, o, cid, now=t0).attempt_id
    exams.save_answer(app, o, aid, 1, "A", now=t0 + timedelta(minutes=29))
    with pytest.raises(exams.AnswerRefused, match="截止时间"):
        exams.save_answer(app, o, aid, 2, "A", now=t0 + timedelta(minutes=30, seconds=1))
    # coming back after the deadline closes and grades from what was saved
    view = exams.attempt_view(app, o, aid, now=t0 + timedelta(minutes=45))
    assert view.state == "finished"
    with read_session(app.engine) as s:
        answers = s.query(Answer).filter_by(attempt_id=aid).all()
    assert [(a.slot, a.response) for a in answers] == [(1, "A")]


def test_sweep_closes_overdue_attempts(app):
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, minutes=10)
    t0 = utcnow()
    ids = [exams.start_attempt(app, o, cid, now=t0).attempt_id for o in officers]
    assert campaigns.sweep(app, coordinator, now=t0 + timedelta(minutes=5)).closed == 0
    assert campaigns.sweep(app, coordinator, now=t0 + timedelta(minutes=11)).closed == len(ids)
    assert campaigns.sweep(app, coordinator, now=t0 + timedelta(minutes=12)).closed == 0
    for o, aid in zip(officers, ids):
        assert exams.attempt_view(app, o, aid).state == "finished"


def test_attempts_allowed_and_grading_method(app):
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, attempts=2, grading="highest")
    o = officers[0]
    a1 = exams.start_attempt(app, o, cid).attempt_id
    _answer_all(app, o, a1, right=True)
    r1 = exams.submit_attempt(app, o, a1)
    a2 = exams.start_attempt(app, o, cid).attempt_id
    assert a2 != a1
    r2 = exams.submit_attempt(app, o, a2)  # nothing answered
    assert r1.percent == 100.0 and r2.percent == 0.0
    with pytest.raises(ServiceError, match="次考试机会"):
        exams.start_attempt(app, o, cid)
    mine = [e for e in campaigns.my_exams(app, o) if e.campaign_id == cid][0]
    assert mine.grade == 100.0 and mine.passed and mine.status == AssignmentStatus.DONE
    # a retry draws a fresh paper
    p1 = [q.qid for q in exams.attempt_view(app, o, a1).questions]
    p2 = [q.qid for q in exams.attempt_view(app, o, a2).questions]
    assert p1 != p2


def test_frozen_paper_survives_bank_edits(app):
    """Grading uses the key frozen in the attempt, not whatever the bank says later."""
    from dataclasses import replace

    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    view = exams.attempt_view(app, o, aid)
    first = view.questions[0]
    key = app.bank.questions[first.qid].answer
    exams.save_answer(app, o, aid, 1, key)
    changed = dict(app.bank.questions)
    changed[first.qid] = replace(changed[first.qid], answer="D" if key != "D" else "A")
    app.bank = replace(app.bank, questions=changed)
    assert exams.submit_attempt(app, o, aid).score == 2.0


def test_no_one_touches_another_persons_attempt(app):
    _, coordinator, officers, cid = district(app)
    o1, o2 = officers[0], officers[1]
    aid = exams.start_attempt(app, o1, cid).attempt_id
    with pytest.raises(PermissionDenied):
        exams.save_answer(app, o2, aid, 1, "A")
    with pytest.raises(PermissionDenied):
        exams.submit_attempt(app, o2, aid)
    with pytest.raises(PermissionDenied):
        exams.attempt_view(app, o2, aid)
    with pytest.raises(PermissionDenied):
        exams.start_attempt(app, coordinator, cid)
    outsider = make_person(app, "LN99999", cert_status="过期")  # not in the audience
    with pytest.raises(PermissionDenied):
        exams.start_attempt(app, outsider, cid)
    with pytest.raises(NotFound):
        exams.save_answer(app, o1, 999999, 1, "A")


def test_bad_responses_are_refused(app):
    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    with pytest.raises(ServiceError):
        exams.save_answer(app, o, aid, 1, "Z")
    with pytest.raises(ServiceError, match="题号"):
        exams.save_answer(app, o, aid, 99, "A")
    exams.save_answer(app, o, aid, 1, None)  # clearing is allowed


def _answer_wrong(app, officer, attempt_id, n):
    """Answer the first n questions wrongly (a wrong letter, or the other truth value)."""
    for qv in exams.attempt_view(app, officer, attempt_id).questions[:n]:
        key = app.bank.questions[qv.qid].answer
        wrong = {"T": "F", "F": "T"}.get(key) or ("B" if key[0] != "B" else "C")
        exams.save_answer(app, officer, attempt_id, qv.slot, wrong)


def test_unit_law_stats_and_review_cards(app):
    from training_app.services import learning

    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    _answer_wrong(app, o, aid, 5)  # five wrong answers, thirteen blanks
    r = exams.submit_attempt(app, o, aid)  # all wrong
    with read_session(app.engine) as s:
        rows = s.query(UnitLawStat).filter_by(campaign_id=cid).all()
    assert sum(r.answered for r in rows) == 18 and sum(r.credit for r in rows) == 0
    # the submit itself sends them to the 错题本 (the review opens at once); blanks are not mistakes
    assert r.cards_added == 5
    assert exams.sync_exam_cards(app, o) == 0
    assert len(learning.due_reviews(app, o)) == 5


def test_review_after_close_hides_answers_until_then(app):
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, review="after_close")
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    _answer_wrong(app, o, aid, 18)
    assert exams.submit_attempt(app, o, aid).cards_added == 0
    view = exams.attempt_view(app, o, aid)
    assert not view.review_open and view.questions[0].correct == [] and view.questions[0].explanation == ""
    assert exams.sync_exam_cards(app, o) == 0
    assert exams.sync_open_reviews(app) == 0
    campaigns.close(app, coordinator, cid)
    view = exams.attempt_view(app, o, aid)
    assert view.review_open and view.questions[0].correct and view.questions[0].sources
    assert exams.sync_open_reviews(app) == 18  # the sweep job's half: reviews opened since
    assert exams.sync_exam_cards(app, o) == 0


def test_extension_for_a_person(app):
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, opens_ago_days=5, closes_in_days=-1)
    o = officers[0]
    with pytest.raises(ServiceError, match="已截止"):
        exams.start_attempt(app, o, cid)
    campaigns.extend(app, coordinator, cid, utcnow() + timedelta(days=2), person_id=o.id)
    aid = exams.start_attempt(app, o, cid).attempt_id
    view = exams.attempt_view(app, o, aid)
    assert as_utc(view.deadline_at) > utcnow()
    with pytest.raises(ServiceError):
        exams.start_attempt(app, officers[1], cid)


def test_judge_answers_count_under_their_own_options(app):
    """错误 (F) is option 1 of a judge question, never the letter F of a six-option question."""
    from training_app.services import dashboard

    _, coordinator, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    view = exams.attempt_view(app, o, aid)
    judges = [qv for qv in view.questions if qv.type == "judge"]
    exams.save_answer(app, o, aid, judges[0].slot, "F")
    exams.save_answer(app, o, aid, judges[1].slot, "T")
    exams.submit_attempt(app, o, aid)
    rows = {r.question_id: r for r in dashboard.item_analysis(app, coordinator, cid)}
    assert [n for _, n, _ in rows[judges[0].qid].options] == [0, 1]
    assert [n for _, n, _ in rows[judges[1].qid].options] == [1, 0]


def test_the_exam_sheet_agrees_with_the_attempt_view(app):
    """What one click reads (exam_sheet: two plain queries) says what the full view says, for the question on
    screen and for the answer sheet; another officer is refused; past the deadline it is no longer in progress."""
    from training_app.services import papers

    o, other, aid, t0 = _thirty_minute_attempt(app)
    view = exams.attempt_view(app, o, aid, now=t0)
    exams.save_answer(app, o, aid, 1, app.bank.questions[view.questions[0].qid].answer, now=t0)
    exams.save_answer(app, o, aid, 3, None, now=t0)  # a cleared answer is not answered
    exams.set_flag(app, o, aid, 2, True, now=t0)
    papers.forget(papers.db_key(app), aid)  # not cached: the sheet reads the paper from the database
    full = exams.attempt_view(app, o, aid, now=t0)
    for slot in (1, 2, 3, len(full.questions)):
        sheet = exams.exam_sheet(app, o, aid, slot, now=t0)
        assert sheet.current == full.questions[slot - 1]
        assert sheet.total == len(full.questions) and sheet.in_progress
        assert (sheet.answered, sheet.unanswered_slots, sheet.flagged_slots) == (
            full.answered,
            full.unanswered_slots,
            full.flagged_slots,
        )
        assert sheet.seconds_left == full.seconds_left
    assert exams.exam_sheet(app, o, aid, 0, now=t0).current.slot == 1  # clamped to the paper
    assert exams.exam_sheet(app, o, aid, 999, now=t0).current.slot == len(full.questions)
    with pytest.raises(PermissionDenied):
        exams.exam_sheet(app, other, aid, 1, now=t0)
    with pytest.raises(NotFound):
        exams.exam_sheet(app, o, 999999, 1, now=t0)
    late = exams.exam_sheet(app, o, aid, 1, now=t0 + timedelta(minutes=31))
    assert not late.in_progress and late.seconds_left == 0


def test_the_attempt_head_agrees_with_the_attempt_view(app):
    """The exam page's header (one row, no questions) says what the full view says; another officer is refused;
    past the deadline or handed in it is no longer in progress."""
    o, other, aid, t0 = _thirty_minute_attempt(app)
    full = exams.attempt_view(app, o, aid, now=t0)
    head = exams.attempt_head(app, o, aid, now=t0)
    assert (head.campaign_title, head.number, head.started_at, head.deadline_at, head.seconds_left) == (
        full.campaign_title,
        full.number,
        full.started_at,
        full.deadline_at,
        full.seconds_left,
    )
    assert head.in_progress and head.seconds_left == 30 * 60
    with pytest.raises(PermissionDenied):
        exams.attempt_head(app, other, aid, now=t0)
    with pytest.raises(NotFound):
        exams.attempt_head(app, o, 999999, now=t0)
    late = exams.attempt_head(app, o, aid, now=t0 + timedelta(minutes=31))
    assert not late.in_progress and late.seconds_left == 0
    exams.submit_attempt(app, o, aid, now=t0)
    assert not exams.attempt_head(app, o, aid, now=t0).in_progress


def test_a_whole_run_of_the_exam_page_reads_its_header_and_question_together(app):
    """exam_page: the header as attempt_head gives it and the sheet as exam_sheet gives it; a new browser session
    (no question yet) lands on the first unanswered question; a finished attempt has no sheet; only the owner."""
    o, other, aid, t0 = _thirty_minute_attempt(app)
    view = exams.attempt_view(app, o, aid, now=t0)
    for qv in view.questions[:3]:
        exams.save_answer(app, o, aid, qv.slot, app.bank.questions[qv.qid].answer, now=t0)
    head, sheet = exams.exam_page(app, o, aid, None, now=t0)
    assert head == exams.attempt_head(app, o, aid, now=t0)
    assert sheet == exams.exam_sheet(app, o, aid, 4, now=t0)
    assert sheet.current.slot == 4 and sheet.answered == 3
    head, sheet = exams.exam_page(app, o, aid, 2, now=t0)
    assert sheet == exams.exam_sheet(app, o, aid, 2, now=t0) and sheet.current.chosen
    with pytest.raises(PermissionDenied):
        exams.exam_page(app, other, aid, 2, now=t0)
    head, sheet = exams.exam_page(app, o, aid, 2, now=t0 + timedelta(minutes=31))
    assert not head.in_progress and sheet is None


def test_grading_writes_each_table_in_one_statement(app):
    """Inside the hand-in's write transaction the fractions, the item statistics and the unit × law figures are
    one statement each, not one execution per row (each step gives up the GIL while the write lock is held)."""
    from sqlalchemy import event

    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    _answer_all(app, o, aid, right=False)
    seen: list[tuple[str, bool, int]] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        rows = len(parameters) if executemany and isinstance(parameters, (list, tuple)) else 1
        seen.append((" ".join(statement.split())[:40].upper(), executemany, rows))

    event.listen(app.engine, "before_cursor_execute", spy)
    try:
        exams.submit_attempt(app, o, aid)
    finally:
        event.remove(app.engine, "before_cursor_execute", spy)
    grading = [s for s in seen if s[0].startswith(("UPDATE ANSWER", "INSERT INTO ITEM_STAT", "INSERT INTO UNIT_LAW"))]
    assert {s[0].split(" (")[0].split(" SET")[0] for s in grading} >= {"UPDATE ANSWER", "INSERT INTO ITEM_STAT"}
    assert all(not many and rows == 1 for _, many, rows in grading), grading
    assert len(grading) <= 3
    with read_session(app.engine) as s:
        assert sum(st.n for st in s.query(ItemStat).filter_by(campaign_id=cid)) == 18
        assert all(a.fraction is not None for a in s.query(Answer).filter_by(attempt_id=aid))


def test_the_hand_in_grades_before_it_takes_the_write_lock(app, monkeypatch):
    """The grading (reading 80 answers, marking them, the 错题本's new cards) is computed before the write
    transaction; inside it only the writes run (SQLite has one write lock for every officer's saves)."""
    from sqlalchemy import event

    from training_app.services import grading
    from training_app.store.models import ReviewCard

    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    _answer_all(app, o, aid, right=False)
    order: list[str] = []
    real = grading.grade_responses
    monkeypatch.setattr(grading, "grade_responses", lambda *a, **k: order.append("GRADE") or real(*a, **k))

    def spy(conn, cursor, statement, parameters, context, executemany):
        order.append(" ".join(statement.split())[:14].upper())

    event.listen(app.engine, "before_cursor_execute", spy)
    try:
        result = exams.submit_attempt(app, o, aid)
    finally:
        event.remove(app.engine, "before_cursor_execute", spy)
    finish = order.index("UPDATE ATTEMPT")  # the state change: the first write of the hand-in's transaction
    assert order.count("GRADE") == 1 and order.index("GRADE") < finish, order
    assert result.cards_added == 18 and result.score == 0
    with read_session(app.engine) as s:
        assert s.query(ReviewCard).filter_by(person_id=o.id).count() == 18


def test_an_answer_saved_while_the_hand_in_was_grading_is_graded(app, monkeypatch):
    """The grading computed before the write lock is checked inside it: an answer saved in between (another tab,
    a late message) is graded, not lost from the score."""
    from training_app.services import attempts

    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    view = exams.attempt_view(app, o, aid)
    first, last = view.questions[0], view.questions[-1]
    exams.save_answer(app, o, aid, first.slot, app.bank.questions[first.qid].answer)
    real = attempts.prepare_grading
    calls = []

    def prepare_then_save(*a, **k):
        got = real(*a, **k)
        if not calls:  # after the first grading was computed, before the write transaction
            exams.save_answer(app, o, aid, last.slot, app.bank.questions[last.qid].answer)
        calls.append(1)
        return got

    monkeypatch.setattr(attempts, "prepare_grading", prepare_then_save)
    result = exams.submit_attempt(app, o, aid)
    done = exams.attempt_view(app, o, aid)
    right = sum(qv.points for qv in done.questions if qv.slot in (first.slot, last.slot))
    assert result.score == right and done.score == right
    assert done.questions[-1].fraction == 1.0


def test_a_wrong_exam_answer_already_in_the_wrong_answer_book_is_reviewed_again_not_added_twice(app):
    from training_app.engine.review import review as fsrs_review
    from training_app.store import reviews as review_store
    from training_app.store.db import write_session
    from training_app.store.models import ReviewCard

    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    view = _answer_all(app, o, aid, right=False)
    known = view.questions[0].qid
    with write_session(app.engine) as s:  # wrong once in practice before the exam
        review_store.record_wrong(s, o.id, known, utcnow(), source="practice", review=fsrs_review)
    result = exams.submit_attempt(app, o, aid)
    assert result.cards_added == 18
    with read_session(app.engine) as s:
        cards = {c.question_id: c for c in s.query(ReviewCard).filter_by(person_id=o.id)}
    assert len(cards) == 18
    assert (cards[known].reviews, cards[known].lapses, cards[known].source) == (2, 2, "practice")
    other = next(c for q, c in cards.items() if q != known)
    assert (other.reviews, other.lapses, other.source) == (1, 1, "exam")


def test_my_exams_reads_every_assignment_in_one_statement(app, monkeypatch):
    """我的学习 runs twice per officer in the exam-morning storm (after the login and at 开始考试): its exams come
    from one statement whatever their number, the attempt in progress included (not one query per assignment,
    nor the attempt's whole frozen paper)."""
    _, coordinator, officers, first = district(app)
    second = make_campaign(app, coordinator, closes_in_days=5)
    o = officers[0]
    started = exams.start_attempt(app, o, second).attempt_id
    with statements(app.engine, monkeypatch) as seen:
        mine = {e.campaign_id: e for e in campaigns.my_exams(app, o)}
    assert len(seen) == 1, seen
    assert seen[0].startswith("hot:campaigns.my_assignments SELECT") and "paper" not in seen[0]
    assert mine[second].open_attempt_id == started and mine[second].status == AssignmentStatus.IN_PROGRESS
    assert mine[first].open_attempt_id is None and mine[first].can_start
    assert mine[first].status == AssignmentStatus.NOT_STARTED
    brief = campaigns.exam_brief(app, o, first)
    assert brief.title == mine[first].title and brief.attempts_started == 0
