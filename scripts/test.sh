#!/usr/bin/env bash
# Quick start 2: set up with the test extras, install what the tests need that the machine lacks
# (Debian chromium, the PostgreSQL server, CJK fonts, poppler), run the static checks (scripts/lint.sh:
# ruff, ruff format, mypy) and the whole suite: unit, service and store tests on SQLite and on a real
# PostgreSQL started by the run, AppTest page tests, and the Playwright browser tests. Extra arguments go
# to pytest.
#
# --fast (first argument; `make test-fast`): only what a fresh venv needs — no apt-get, no root: the static
# checks and every test but the browser, PostgreSQL and slow ones.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--fast" ]; then
  shift
  bash scripts/setup.sh --test-python
  bash scripts/lint.sh
  exec .venv/bin/python -m pytest -p no:cacheprovider -m "not e2e and not pg and not slow" "$@"
fi
bash scripts/setup.sh --test
bash scripts/lint.sh
mkdir -p test-artifacts
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
