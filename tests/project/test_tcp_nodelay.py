"""Nagle off on the server's connections (ui/tcp_nodelay.py): a socket bound the way Streamlit binds its listener
(proto 0) hands asyncio connections with TCP_NODELAY set once installed; the served app and the floor install it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from training_app.ui import tcp_nodelay

REPO = Path(__file__).resolve().parents[2]


def _streamlit_listener() -> socket.socket:
    """The listening socket as Streamlit's server binds it (its own function where it has one)."""
    try:
        from streamlit.web.server.starlette.starlette_server import _bind_socket
    except ImportError:  # pragma: no cover - Streamlit moved it: bind as it did
        sock = socket.socket(family=socket.AF_INET)
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        return sock
    return _bind_socket("127.0.0.1", 0, 8)


def _accepted_nodelay(listener: socket.socket) -> tuple[int, int]:
    """(proto, TCP_NODELAY) of the server side of one connection accepted by asyncio on `listener`."""
    seen: list[tuple[int, int]] = []

    async def main() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append((sock.proto, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
            writer.close()

        server = await asyncio.start_server(handle, sock=listener)
        port = listener.getsockname()[1]
        async with server:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(200):
                if seen:
                    break
                await asyncio.sleep(0.01)
            w.close()

    asyncio.run(main())
    assert seen, "no connection was accepted"
    return seen[0]


def test_a_connection_on_streamlits_listener_has_nagle_off():
    assert tcp_nodelay.install() and tcp_nodelay.install()  # idempotent
    listener = _streamlit_listener()
    proto, nodelay = _accepted_nodelay(listener)
    assert nodelay != 0, f"TCP_NODELAY not set on an accepted connection (listener proto {proto})"


def test_without_it_asyncio_leaves_nagle_on_for_a_proto_0_listener(monkeypatch):
    """What install() is for: asyncio's own check skips a socket whose proto is 0 (Streamlit's listener)."""
    from asyncio import base_events

    original = getattr(tcp_nodelay._set_nodelay, "_shipped", None)
    if original is None:
        pytest.skip("the shipped asyncio function was not kept")
    monkeypatch.setattr(base_events, "_set_nodelay", original)
    sock = socket.socket(family=socket.AF_INET)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    proto, nodelay = _accepted_nodelay(sock)
    if proto != 0 or nodelay:
        pytest.skip("this Python's asyncio sets TCP_NODELAY on such a socket itself")
    assert nodelay == 0


@pytest.mark.parametrize("entry", ["training_app/ui/asgi.py", "benchmarks/floor_asgi.py"])
def test_the_served_app_and_the_floor_install_it(entry, tmp_path):
    code = (
        "import runpy, sys; from asyncio import base_events; "
        f"runpy.run_path({str(REPO / entry)!r}, run_name='served'); "
        "from training_app.ui import tcp_nodelay; "
        "sys.exit(0 if base_events._set_nodelay is tcp_nodelay._set_nodelay else 3)"
    )
    env_db = f"sqlite:///{tmp_path / 'x.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": env_db, "FLOOR_DB": str(tmp_path / "f.db")},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
