"""Fewer cross-thread wake-ups of the server's event loop: one per burst of messages, not one per message.

Streamlit hands every message a script sends (each element, each widget) from the script's thread to the event
loop with its own ``call_soon_threadsafe``, and the loop then wakes its sender with another one for the same
message. Each is a write to the loop's wake-up socket: a system call that gives up the GIL, after which the
thread queues to get it back behind every other runnable thread (up to the 5 ms switch interval each). On exam
morning, with hundreds of sessions running scripts, a page that sends 30 messages waited for the GIL 60 times,
and the wake-ups were a tenth of the server's samples.

:func:`install` (called by ``ui/asgi.py`` before the server builds its runtime) makes both hand-overs coalesce:

- a session's callbacks for the loop go into a queue of their own, in order, and one loop callback drains it; a
  new one is scheduled only when none is pending;
- the runtime's "a message is ready" signal is set directly when it is raised on the loop's own thread (it always
  is: the session enqueues on the loop), and otherwise scheduled once until it has run.

Same order, same callbacks, nothing dropped: the drain runs every queued callback in the order they were queued,
an exception in one is reported as asyncio reports it and does not stop the others; a closed loop drops them as
Streamlit does. If Streamlit's internals are not what this expects, nothing is changed (``install`` returns
False) and the server runs as Streamlit ships it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_MARK = "_training_app_coalesced"


def _drain(session: Any, queue: deque[Callable[[], None]]) -> None:
    # Clear the flag before draining: a callback queued from now on is either drained below or schedules a drain.
    session._ta_drain_pending = False
    loop = session._event_loop
    while queue:
        callback = queue.popleft()
        try:
            callback()
        except Exception as exc:  # noqa: BLE001 - reported as asyncio reports a failed callback; the rest still run
            loop.call_exception_handler(
                {"message": "Exception in a Streamlit session callback", "exception": exc, "callback": callback}
            )


def _call_soon_on_event_loop(self: Any, callback: Callable[[], None]) -> None:
    queue = self.__dict__.get("_ta_calls")
    if queue is None:
        queue = self.__dict__.setdefault("_ta_calls", deque())
    queue.append(callback)
    if self.__dict__.get("_ta_drain_pending"):
        return
    self._ta_drain_pending = True
    try:
        self._event_loop.call_soon_threadsafe(_drain, self, queue)
    except RuntimeError:
        self._ta_drain_pending = False
        if not self._event_loop.is_closed():
            raise
        queue.clear()
        log.debug("Dropped event-loop callbacks of a closed loop")


def _enqueued_some_message(self: Any) -> None:
    async_objs = self._get_async_objs()
    loop = async_objs.eventloop
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:  # on the loop's own thread: no hand-over needed
        async_objs.need_send_data.set()
        return
    if self.__dict__.get("_ta_wake_pending"):
        return
    self._ta_wake_pending = True

    def wake() -> None:
        self._ta_wake_pending = False
        async_objs.need_send_data.set()

    try:
        loop.call_soon_threadsafe(wake)
    except BaseException:
        self._ta_wake_pending = False
        raise


def install() -> bool:
    """Patch Streamlit's AppSession and Runtime (idempotent). False when their internals are not the expected ones."""
    try:
        from streamlit.runtime.app_session import AppSession
        from streamlit.runtime.runtime import Runtime
    except ImportError:
        return False
    if getattr(AppSession, _MARK, False):
        return True
    if not (
        callable(getattr(AppSession, "_call_soon_on_event_loop", None))
        and callable(getattr(Runtime, "_enqueued_some_message", None))
        and callable(getattr(Runtime, "_get_async_objs", None))
    ):
        log.warning("Streamlit's event-loop hand-over is not the expected one; left as shipped")
        return False
    AppSession._call_soon_on_event_loop = _call_soon_on_event_loop  # type: ignore[method-assign]
    Runtime._enqueued_some_message = _enqueued_some_message  # type: ignore[method-assign]
    setattr(AppSession, _MARK, True)
    return True
