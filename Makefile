# The README's two commands, also as make targets.
.PHONY: run test test-fast lint bank-check
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
test-fast:  ## lint, types and everything but the browser and PostgreSQL tests; no apt-get, no root
	bash scripts/test.sh --fast
lint:  ## ruff check, ruff format --check, mypy
	bash scripts/lint.sh
bank-check:
	.venv/bin/training-app bank check
