"""Settings from the environment; a placeholder secret refused outside demo mode."""

import pytest

from training_app.config import ConfigError, load_settings


def test_defaults(tmp_path):
    s = load_settings(env={}, cwd=tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'training.db'}"
    assert s.session_idle_minutes == 30 and s.study_hours_target == 60 and s.timezone == "Asia/Shanghai"


def test_environment_overrides(tmp_path):
    s = load_settings(
        env={
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "QUESTION_BANK_DIR": "/x",
            "SESSION_IDLE_MINUTES": "15",
            "STUDY_HOURS_TARGET": "40",
        },
        cwd=tmp_path,
    )
    assert s.database_url.startswith("postgresql") and str(s.question_bank_dir) == "/x"
    assert s.session_idle_minutes == 15 and s.study_hours_target == 40


@pytest.mark.parametrize("secret", ["", "change-me", "changethis", "short"])
def test_placeholder_secret_refused_outside_demo(secret, tmp_path):
    s = load_settings(env={"APP_SECRET": secret}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="APP_SECRET"):
        s.check_secret()


def test_demo_mode_and_real_secret_accepted(tmp_path):
    load_settings(env={"DEMO_MODE": "1"}, cwd=tmp_path).check_secret()
    load_settings(env={"APP_SECRET": "x" * 32}, cwd=tmp_path).check_secret()


def test_secret_from_secrets_toml(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('app_secret = "' + "s" * 40 + '"\n', encoding="utf-8")
    s = load_settings(env={}, cwd=tmp_path)
    assert s.app_secret == "s" * 40
    s.check_secret()


def test_bad_number_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="SESSION_IDLE_MINUTES"):
        load_settings(env={"SESSION_IDLE_MINUTES": "abc"}, cwd=tmp_path)


def test_serve_refuses_placeholder_secret(tmp_path):
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "serve"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "APP_SECRET": "change-me", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
    )
    assert r.returncode == 1 and "APP_SECRET" in r.stderr and "Traceback" not in r.stderr
