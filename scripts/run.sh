#!/usr/bin/env bash
# Quick start 1: set up, migrate the embedded SQLite database (./data/), seed the demo district when the
# database is empty, print the demo logins, and serve the app on http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DEMO_MODE=${DEMO_MODE:-1}
exec .venv/bin/training-app serve --seed-demo --port "${PORT:-8501}"
