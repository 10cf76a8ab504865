"""Fixtures for the reliability tests.

The exam service caches each frozen paper in a process-wide dict keyed by attempt id only
(training_app/services/exams.py: ``_paper_cache``). A test run builds many databases in one process, so
attempt 1 of one database would be graded with the cached paper of attempt 1 of another. Each test here
starts and ends with an empty cache so that every database is judged on its own papers.
"""

from __future__ import annotations

import pytest

from training_app.services import exams


@pytest.fixture(autouse=True)
def _fresh_paper_cache():
    with exams._paper_lock:
        exams._paper_cache.clear()
    yield
    with exams._paper_lock:
        exams._paper_cache.clear()
