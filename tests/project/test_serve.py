"""The README's run path: `training-app serve --seed-demo` migrates, seeds, prints logins and serves health `ok`."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import REAL_BANK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_seeds_prints_logins_and_answers_health(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEMO_MODE": "1",
        "TRAINING_APP_DATA_DIR": str(tmp_path / "data"),
        "QUESTION_BANK_DIR": str(REAL_BANK),
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "training_app.cli",
            "serve",
            "--seed-demo",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 240
        body = b""
        while time.time() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("serve exited: " + proc.stdout.read())
                time.sleep(1)
        assert body == b"ok"
        # the app's own login-cookie route is served beside Streamlit (st.App): an unknown code is refused
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/_app/session",
            data=b'{"code": "nope"}',
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=5)
        assert refused.value.code == 403
        assert (tmp_path / "data" / "training.db").is_file()
        logins = (tmp_path / "data" / "demo-logins.csv").read_text(encoding="utf-8-sig")
        assert "coordinator" in logins and logins.count("officer") > 476
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=30)[0]
    assert "演示账号" in out and "coordinator" in out
