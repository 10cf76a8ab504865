"""A click sent right after the previous run's end against one sent after a pause, on the floor page served the
app's way, with Nagle's algorithm on the server's connections (as Streamlit ships) and off (ui/tcp_nodelay.py).

Each round: choose an option (the page's fragment reruns), then press 下一题 either at once or after a pause, and
time the press from its message to the run's "finished" message (the load test's protocol client). With Nagle on,
the frames after the first of a run wait for the client's ACK, which a client that has just sent a message holds
back (40 ms on Linux): the press at once takes that much longer. Finding 25 in benchmarks/README.md.

    python -m benchmarks.click_gap [--rounds 30] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
from pathlib import Path

from training_app.loadtest import scenario
from training_app.loadtest.protocol import CookieJar, Session
from training_app.loadtest.runner import FloorServer


async def _rounds(url: str, rounds: int, gap_s: float) -> list[float]:
    s, _first = await Session.open(url, CookieJar(), timeout=30)
    times = []
    try:
        for k in range(rounds):
            radio = scenario.answer_radio(s)
            if radio is None:
                raise RuntimeError("the floor page shows no question")
            await s.choose(radio, k % 4)
            if gap_s:
                await asyncio.sleep(gap_s)
            nxt = s.button("下一题 →")
            if nxt is None:
                raise RuntimeError("no 下一题 on the floor page")
            times.append((await s.click(nxt)).seconds)
            await asyncio.sleep(0.2)
    finally:
        await s.close()
    return times


def measure(rounds: int, nagle: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="click-gap-") as d:
        old = os.environ.get("FLOOR_KEEP_NAGLE")
        os.environ["FLOOR_KEEP_NAGLE"] = "1" if nagle else "0"
        server = FloorServer(Path(d)).start()
        try:
            at_once = asyncio.run(_rounds(server.url, rounds, 0.0))
            paused = asyncio.run(_rounds(server.url, rounds, 0.1))
        finally:
            server.stop()
            if old is None:
                os.environ.pop("FLOOR_KEEP_NAGLE", None)
            else:
                os.environ["FLOOR_KEEP_NAGLE"] = old
    return {
        "server": "Nagle on (as Streamlit ships)" if nagle else "Nagle off (ui/tcp_nodelay.py)",
        "rounds": rounds,
        "at_once_median_s": statistics.median(at_once),
        "at_once_max_s": max(at_once),
        "after_100ms_median_s": statistics.median(paused),
        "after_100ms_max_s": max(paused),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows = [measure(args.rounds, nagle) for nagle in (True, False)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(
        f"下一题 pressed right after an answer's run, and 100 ms after it ({args.rounds} rounds each, the floor page)"
    )
    print(f"{'server':34} {'at once (median / max)':>26} {'after 100 ms (median / max)':>30}")
    for r in rows:
        a = f"{r['at_once_median_s'] * 1000:.1f} / {r['at_once_max_s'] * 1000:.1f} ms"
        b = f"{r['after_100ms_median_s'] * 1000:.1f} / {r['after_100ms_max_s'] * 1000:.1f} ms"
        print(f"{r['server']:34} {a:>26} {b:>30}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
