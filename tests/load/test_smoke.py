"""A short load run in CI: about 50 simulated officers for about a minute through Streamlit's websocket protocol
(`training-app loadtest`), with short think times, a reload mid-exam and two coordinators refreshing 完成情况.

It asserts what must hold at any speed: no error of any kind (exceptions, st.error, a lost login, a disconnect, a
run that never finishes) and no lost answer (every acknowledged answer is in the database). It never asserts a time:
the figures are printed, and measured properly by benchmarks/capacity.py (benchmarks/README.md).
"""

from __future__ import annotations

import pytest

from training_app.loadtest.runner import build_parser, execute, print_table

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Found by this test (December 2026): auth.login verified the password (argon2) inside its write transaction, i.e.
# while holding SQLite's write lock, so fifty officers logging in queued every write behind the hashes ("database is
# locked" past the busy timeout). Fixed in services/auth.py (verify before the write transaction);
# tests/services/test_login_security.py::test_the_password_is_verified_outside_the_write_lock keeps it so.


# Found by this test (December 2026, after the exam page moved into an st.fragment): now and then one acknowledged
# multiple-choice answer was stored without some of its ticks, or cleared. The client kept a question's old
# checkboxes after a fragment run and sent their values on; Streamlit keeps a removed widget's callback, saw the
# values as changes and called the old question's on_multi, which saved what it could read (nothing). Fixed on both
# sides: the client prunes after fragment runs as the frontend does, and the exam page ignores a change for any
# question but the one on screen (tests/load/test_stale_widgets.py fails on the old page).
def test_fifty_officers_for_a_minute_lose_nothing(sqlite_site):
    site = sqlite_site
    server = site.server().start()
    args = build_parser().parse_args(
        [
            "--url",
            server.url,
            "--officers",
            "50",
            "--credentials",
            str(site.data_dir / "logins.csv"),
            "--database-url",
            site.database_url,
            "--coordinators",
            "2",
            "--ramp-s",
            "30",
            "--think-s",
            "1-3",
            "--dashboard-every-s",
            "3-6",
            "--duration-s",
            "90",
            "--reload-after",
            "3-8",
            "--timeout-s",
            "150",
            "--floor",  # and the same sessions on the floor page, in the app's server shape (benchmarks/floor_asgi.py)
        ]
    )
    report = execute(args)
    print_table(report)

    samples = {name: r["error_samples"] for name, r in report["interactions"].items() if r["errors"]}
    assert report["errors"] == 0, samples
    assert report["lost"] == 0, report["lost_check"]["samples"]
    # The run did what it says: logins, answers checked against the database, reloads that resumed, dashboards.
    counts = {name: r["count"] for name, r in report["interactions"].items()}
    assert counts.get("login", 0) >= 52
    # how many starts finish inside the run depends on the machine's speed (this is no timed test): at least half
    assert counts.get("start", 0) >= 25
    assert report["lost_check"]["checked"] >= 50
    assert counts.get("reload_resume", 0) >= 1
    assert counts.get("sheet_open", 0) >= 1 and counts.get("sheet_jump", 0) >= 1  # the folded sheet, opened and used
    assert counts.get("dashboard", 0) >= 1
    assert report["lost_check"]["users_in_two_attempts"] == 0
    # the floor served and was driven the same way, without an error or a lost answer
    floor = report["floor"]
    assert floor["errors"] == 0 and floor["lost"] == 0, floor
    assert floor["interactions"]["answer"]["count"] >= 50
