"""Every citation in the real bank holds against the official texts (skips when ../shared is absent)."""

import subprocess
import sys

import pytest

from tests.conftest import REAL_BANK, SHARED

CHECKER = SHARED / "tools" / "check_citations.py"


@pytest.mark.skipif(not CHECKER.is_file(), reason="../shared (the law-text corpus) is not present")
def test_check_citations_passes():
    r = subprocess.run([sys.executable, str(CHECKER), str(REAL_BANK)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " 0 failures" in r.stdout.strip().splitlines()[-1]
