"""Nagle's algorithm off on the server's connections: a script run's messages leave as they are written.

Streamlit binds its listening socket itself (``socket.socket(family=...)``, so its ``proto`` is 0) and hands it to
uvicorn. asyncio turns Nagle off (``TCP_NODELAY``) only on sockets whose ``proto`` is ``IPPROTO_TCP``
(``asyncio.base_events._set_nodelay``), and an accepted socket inherits ``proto`` 0 from its listener: every
connection to the server kept Nagle on (uvicorn has the same on its ``--workers`` path, its issue #3149).

What that cost: a script run sends a burst of small websocket frames (one per element, then "finished"). With Nagle
on, the frames after the first wait until the browser acknowledges the first, and a browser that has just sent a
click acknowledges late (Linux delays such an ACK by 40 ms, Windows by up to 200 ms). Measured with the load
test's protocol client on the bare floor page: a click sent within 40 ms of the previous run's end took 47 ms to
its "finished" message, one sent 40 ms or more after it 5 ms; the strace of the server showed the whole answer
written in 6 ms. On the exam page every tick of a multiple-choice box after the first, and every 下一题 right
after an answer, paid it.

:func:`install` (called by ``ui/asgi.py`` and the floor page's server before they accept a connection) widens
asyncio's check to a stream socket of the internet families whose ``proto`` is 0: such a socket is TCP. Nothing
else changes; if asyncio no longer has the function, nothing is patched (``install`` returns False).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

log = logging.getLogger(__name__)

_MARK = "_training_app_nodelay"
_INET = (socket.AF_INET, socket.AF_INET6)


def _set_nodelay(sock: Any) -> None:
    if sock.family in _INET and sock.type == socket.SOCK_STREAM and sock.proto in (0, socket.IPPROTO_TCP):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def install() -> bool:
    """Patch asyncio's per-connection TCP_NODELAY (idempotent). False when asyncio does not have it."""
    from asyncio import base_events

    current = getattr(base_events, "_set_nodelay", None)
    if getattr(current, _MARK, False):
        return True
    if not callable(current) or not hasattr(socket, "TCP_NODELAY"):
        log.warning("asyncio sets TCP_NODELAY in an unexpected way; left as shipped")
        return False
    setattr(_set_nodelay, _MARK, True)
    _set_nodelay._shipped = current  # type: ignore[attr-defined]  # what it replaced (the tests compare)
    base_events._set_nodelay = _set_nodelay  # type: ignore[attr-defined]
    return True
