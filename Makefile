# The README's two commands, also as make targets.
.PHONY: run test test-fast bank-check
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
test-fast:  ## everything but the browser and PostgreSQL tests
	bash scripts/test.sh -m "not e2e and not pg and not slow"
bank-check:
	.venv/bin/training-app bank check
