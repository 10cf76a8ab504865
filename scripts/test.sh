#!/usr/bin/env bash
# Quick start 2: set up with the test extras, install what the tests need that the machine lacks
# (Debian chromium, the PostgreSQL server, CJK fonts, poppler), and run the whole suite:
# unit, service and store tests on SQLite and on a real PostgreSQL started by the run, AppTest page
# tests, and the Playwright browser tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
mkdir -p test-artifacts
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
