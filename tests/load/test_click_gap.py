"""benchmarks/click_gap.py runs: it serves the floor page with Nagle on and off, presses 下一题 at once and after a
pause through Streamlit's protocol, and reports both servers. No time is asserted (finding 25 has the figures)."""

from __future__ import annotations

import json

import pytest

from benchmarks import click_gap

pytestmark = pytest.mark.slow


def test_click_gap_measures_both_servers(capsys):
    assert click_gap.main(["--rounds", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["server"].split(" (")[0] for r in rows] == ["Nagle on", "Nagle off"]
    for r in rows:
        assert r["rounds"] == 2
        for key in ("at_once_median_s", "at_once_max_s", "after_100ms_median_s", "after_100ms_max_s"):
            assert 0 < r[key] < 30  # a press that finished (the client's own timeout is 30 s)
