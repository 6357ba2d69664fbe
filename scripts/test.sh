#!/usr/bin/env bash
# Set up (first run), run the linters (ruff, mypy), then the whole test suite: unit, integration against a real
# redis-server, multi-process, and end-to-end in real headless Chromium.
# Extra arguments go to pytest (e.g. -m "not e2e", -k presets).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# linters first: the house's habits, checked by CI (configuration in pyproject.toml)
.venv/bin/ruff check .
.venv/bin/mypy layouts media  # strict typing of the wall model and the media layer ([tool.mypy])
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "no tests were collected" >&2; exit 1; fi
exit "$rc"
