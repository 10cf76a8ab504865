"""The server's event-loop hand-over (ui/event_loop_wakeups.py): every callback a session queues runs, in order,
with one wake-up of the loop per burst instead of one per message; a failing callback does not stop the rest."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

from training_app.ui import event_loop_wakeups as w


class FakeSession:
    """What the patched AppSession method uses of a session: its event loop."""

    def __init__(self, loop):
        self._event_loop = loop


class CountingLoop:
    """An event loop whose cross-thread calls are counted."""

    def __init__(self, loop):
        self.loop = loop
        self.threadsafe_calls = 0

    def call_soon_threadsafe(self, *args):
        self.threadsafe_calls += 1
        return self.loop.call_soon_threadsafe(*args)

    def is_closed(self):
        return self.loop.is_closed()

    def call_exception_handler(self, context):
        self.loop.call_exception_handler(context)


def test_install_patches_the_shipped_streamlit():
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.runtime import Runtime

    assert w.install() and w.install()  # idempotent
    assert AppSession._call_soon_on_event_loop is w._call_soon_on_event_loop
    assert Runtime._enqueued_some_message is w._enqueued_some_message


def test_a_burst_from_another_thread_runs_in_order_with_one_wake_up():
    loop = asyncio.new_event_loop()
    counting = CountingLoop(loop)
    session = FakeSession(counting)
    ran: list[int] = []
    errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))

    def boom():
        raise ValueError("one callback fails")

    def burst():
        for i in range(50):
            w._call_soon_on_event_loop(session, lambda i=i: ran.append(i))
            if i == 10:
                w._call_soon_on_event_loop(session, boom)

    t = threading.Thread(target=burst)
    t.start()
    t.join()
    loop.run_until_complete(asyncio.sleep(0.01))
    assert ran == list(range(50))  # all of them, in order, the failure reported and the rest run
    assert len(errors) == 1 and isinstance(errors[0]["exception"], ValueError)
    assert counting.threadsafe_calls == 1  # one wake-up for the burst (the loop did not run in between)

    # after the drain, the next callback schedules a new one
    w._call_soon_on_event_loop(session, lambda: ran.append(99))
    loop.run_until_complete(asyncio.sleep(0.01))
    assert ran[-1] == 99 and counting.threadsafe_calls == 2
    loop.close()


def test_callbacks_of_a_closed_loop_are_dropped():
    loop = asyncio.new_event_loop()
    loop.close()
    session = FakeSession(loop)
    w._call_soon_on_event_loop(session, lambda: None)  # no exception, as Streamlit does
    assert not session._ta_calls and not session._ta_drain_pending


def test_the_ready_signal_is_set_on_the_loop_or_handed_over_once():
    loop = asyncio.new_event_loop()
    counting = CountingLoop(loop)
    event = asyncio.Event()
    objs = SimpleNamespace(eventloop=counting, need_send_data=event)
    runtime = SimpleNamespace(_get_async_objs=lambda: objs)

    # from another thread: handed over once however many messages
    t = threading.Thread(target=lambda: [w._enqueued_some_message(runtime) for _ in range(20)])
    t.start()
    t.join()
    assert counting.threadsafe_calls == 1 and not event.is_set()
    loop.run_until_complete(asyncio.sleep(0.01))
    assert event.is_set() and not runtime._ta_wake_pending
    event.clear()

    # on the loop's own thread: set at once, no hand-over
    async def on_loop():
        objs.eventloop = loop  # the running loop itself
        w._enqueued_some_message(runtime)
        return event.is_set()

    assert loop.run_until_complete(on_loop())
    assert counting.threadsafe_calls == 1
    loop.close()
