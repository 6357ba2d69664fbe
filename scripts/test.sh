#!/usr/bin/env bash
# Set up (first run), run the linters (ruff, mypy), then the whole test suite: unit, integration against a real
# redis-server, multi-process, and end-to-end in real headless Chromium.
# The suite runs on two workers (pytest-xdist, a test file to a worker), then the tests marked `solo` (six
# browsers in one room want the whole machine) run alone. Extra arguments go to both pytest runs (e.g. -k presets);
# HALL_TEST_WORKERS sets the number of workers (default 2; 0 runs everything in this process).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# linters first: the house's habits, checked by CI (configuration in pyproject.toml)
.venv/bin/ruff check .
.venv/bin/mypy layouts media  # strict typing of the wall model and the media layer ([tool.mypy])
workers="${HALL_TEST_WORKERS:-2}"
parallel=()
[ "$workers" != 0 ] && parallel=(-n "$workers" --dist loadfile)
status=0
run() {
  set +e
  .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
  local rc=$?
  set -e
  # 5: nothing collected here (e.g. -k chose only solo tests, or none of them): fine unless both find nothing
  if [ "$rc" = 5 ]; then collected_none=$((collected_none + 1)); elif [ "$rc" != 0 ]; then status=$rc; fi
}
collected_none=0
own_marks=0
for a in "$@"; do [ "$a" = -m ] && own_marks=1; done
if [ "$own_marks" = 1 ]; then  # the caller chose the marks (e.g. -m "not e2e"): one run, in parallel
  run "${parallel[@]}" "$@"
  [ "$collected_none" = 1 ] && { echo "no tests were collected" >&2; exit 1; }
  exit "$status"
fi
run "${parallel[@]}" -m "not solo" "$@"
run -m solo "$@"
if [ "$collected_none" = 2 ]; then echo "no tests were collected" >&2; exit 1; fi
exit "$status"
