"""The floor page served the way `training-app serve` serves the app: Streamlit's st.App around
benchmarks/floor_page.py, with the same event-loop hand-over (training_app/ui/event_loop_wakeups.py) and the same
TCP_NODELAY (training_app/ui/tcp_nodelay.py) installed before the runtime is built. The floor is then bare Streamlit
in the app's own server shape, so the ratio measures the app's pages and services, not a difference between two
ways of running Streamlit.

    FLOOR_DB=/tmp/floor.db streamlit run benchmarks/floor_asgi.py --server.port 8632
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import streamlit as st  # noqa: E402

from training_app.ui import event_loop_wakeups, tcp_nodelay  # noqa: E402

event_loop_wakeups.install()
if os.environ.get("FLOOR_KEEP_NAGLE") != "1":  # benchmarks/click_gap.py serves it once as Streamlit ships it
    tcp_nodelay.install()

app = st.App(str(HERE / "floor_page.py"))
