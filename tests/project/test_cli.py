"""The command line: clear refusals, the first admin, bank stats."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(args, env, cwd):
    """`python -m training_app.cli` on this checkout's code (PYTHONPATH), whatever package is installed."""
    return subprocess.run(
        [sys.executable, "-m", "training_app.cli", *args],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_seed_demo_refused_outside_demo_mode(tmp_path, small_bank_dir):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "QUESTION_BANK_DIR": str(small_bank_dir)}
    r = run(["seed-demo"], env, tmp_path)
    assert r.returncode == 1 and "DEMO_MODE=1" in r.stderr and "Traceback" not in r.stderr


def test_create_first_admin_then_refuse_a_second_from_the_cli(tmp_path, small_bank_dir):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "QUESTION_BANK_DIR": str(small_bank_dir),
        "TRAINING_APP_ADMIN_PASSWORD": "weak",
    }
    r = run(["create-admin", "root", "--password-from-env"], env, tmp_path)
    assert r.returncode == 1 and "至少 8 位" in r.stderr
    env["TRAINING_APP_ADMIN_PASSWORD"] = "Liunan#Admin2026"
    r = run(["create-admin", "root", "--password-from-env"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    r = run(["create-admin", "root2", "--password-from-env"], env, tmp_path)
    assert r.returncode == 1 and "已存在系统管理员" in r.stderr


def test_bank_stats_json(tmp_path, small_bank_dir):
    r = run(["bank", "stats", str(small_bank_dir), "--json"], {}, tmp_path)
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats["total"] == 108 and not stats["all_targets_met"]
    assert stats["coverage"] == []  # none of the core enforcement texts is in the small bank
    overlap = {row["blueprint"]: row for row in stats["overlap"]}
    assert set(overlap) == {"small_exam", "leaders_quiz"}
    assert overlap["small_exam"]["pairs"] == 300 and 0 < overlap["small_exam"]["mean"] < 1
    assert overlap["small_exam"]["target"] is None and overlap["small_exam"]["met"] is None
    text = run(["bank", "stats", str(small_bank_dir)], {}, tmp_path).stdout
    assert "试卷重合率" in text and "small_exam" in text
    strict = run(["bank", "stats", str(small_bank_dir), "--strict"], {}, tmp_path)
    assert strict.returncode == 1 and "未达到的目标" in strict.stdout


def test_serve_refuses_a_broken_bank(tmp_path, small_bank_dir):
    import shutil

    bank = tmp_path / "bank"
    shutil.copytree(small_bank_dir, bank)
    (bank / "laws" / "law_a.yaml").write_text("law: law_a\nquestions: [\n", encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "QUESTION_BANK_DIR": str(bank), "DEMO_MODE": "1"}
    r = run(["serve", "--port", "1"], env, tmp_path)
    assert r.returncode == 1 and "bank/laws/law_a.yaml:" in r.stderr and "拒绝启动" in r.stderr
