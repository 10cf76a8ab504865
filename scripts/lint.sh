#!/usr/bin/env bash
# The static checks the test command runs before pytest; any finding fails it.
#   ruff check          lint (rules in pyproject.toml [tool.ruff.lint])
#   ruff format --check formatting (settings in pyproject.toml [tool.ruff])
#   mypy                types (strict on the modules listed in [tool.mypy] files)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV_BIN:-.venv/bin}
"$BIN/ruff" check training_app tests benchmarks
"$BIN/ruff" format --check training_app tests benchmarks
"$BIN/mypy"
