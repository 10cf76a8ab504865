"""Scheduled work: what used to happen while a page drew now runs on its own trigger.

The sweep closes and grades every attempt past its deadline (from what was saved) and sends the wrong answers
of attempts whose review has opened since (after the campaign closed) to the 错题本. It runs from
`training-app sweep` (cron, or by hand) and, in the server, from a background thread started once per
process (``start_sweeper``; every ``SWEEP_SECONDS``). Pages never write while they draw: a page that meets
an attempt past its deadline shows it closed and graded (``views``), and the sweep writes the same grading.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .. import clock
from . import papers
from .attempts import close_overdue
from .common import App
from .grading import sync_open_reviews

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


@dataclass(frozen=True)
class SweepResult:
    closed: int  # attempts closed at their deadline and graded
    cards: int  # wrong answers sent to the 错题本 (reviews opened since)


def sweep(app: App, *, campaign_id: int | None = None, now: datetime | None = None) -> SweepResult:
    now = now or clock.utcnow()
    closed = close_overdue(app, campaign_id=campaign_id, now=now)
    cards = sync_open_reviews(app, now=now)
    if closed or cards:
        log.info("sweep: %d overdue attempts closed, %d review cards added", closed, cards)
    return SweepResult(closed, cards)


class Sweeper:
    """A daemon thread that sweeps every `interval` seconds until stopped; one failure is logged, not fatal."""

    def __init__(self, get_app: Callable[[], App], interval: float = SWEEP_SECONDS) -> None:
        self._get_app = get_app
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="training-app-sweeper", daemon=True)
        self.runs = 0

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                app = self._get_app()
                sweep(app)
                papers.predraw_open(app)  # papers drawn ahead for the campaigns still open (``papers``)
            except Exception:  # the next run tries again; the server keeps serving
                log.exception("sweep failed")
            self.runs += 1
            self._stop.wait(self._interval)


_sweeper: Sweeper | None = None
_sweeper_lock = threading.Lock()


def start_sweeper(get_app: Callable[[], App], interval: float = SWEEP_SECONDS) -> Sweeper:
    """The process's one sweeper (started on the first call; later calls return it)."""
    global _sweeper
    with _sweeper_lock:
        if _sweeper is None or not _sweeper.alive:
            _sweeper = Sweeper(get_app, interval).start()
        return _sweeper


def stop_sweeper() -> None:
    global _sweeper
    with _sweeper_lock:
        if _sweeper is not None:
            _sweeper.stop()
            _sweeper = None
