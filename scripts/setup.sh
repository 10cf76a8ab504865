#!/usr/bin/env bash
# Make .venv and install the project. With --test: the test extras and the system packages the whole suite
# needs that the machine lacks (apt); with --test-python: the test extras only (no apt, no root).
# Runs on a fresh Debian machine with only Python 3.11+ (and root for --test); idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WITH_TEST=0
SYSTEM_PACKAGES=0
case "${1:-}" in
  --test) WITH_TEST=1; SYSTEM_PACKAGES=1 ;;
  --test-python) WITH_TEST=1 ;;
esac

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    echo "need root to apt-get install $* (or install them yourself)" >&2
    return 1
  fi
  if [ ! -f /tmp/.training-app-apt-updated ]; then
    apt-get update -qq && touch /tmp/.training-app-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Python 3.11 or newer is required ($PY is $("$PY" --version 2>&1))" >&2
  exit 1
fi
if ! "$PY" -m venv --help >/dev/null 2>&1 || ! "$PY" -c 'import ensurepip' >/dev/null 2>&1; then
  ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  apt_install "python${ver}-venv" || apt_install python3-venv
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$( (cat pyproject.toml; echo "$WITH_TEST") | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  if [ "$WITH_TEST" = 1 ]; then
    .venv/bin/python -m pip install -q -e ".[test,postgres]"
  else
    .venv/bin/python -m pip install -q -e ".[postgres]"
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if [ "$SYSTEM_PACKAGES" = 1 ]; then
  need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  fc-list 2>/dev/null | grep -qi "noto.*cjk" || need+=(fonts-noto-cjk)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)  # benchmarks/capacity.py (2 replicas)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing system packages for the tests: ${need[*]}"
    apt_install "${need[@]}"
  fi
fi
