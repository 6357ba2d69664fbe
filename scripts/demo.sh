#!/usr/bin/env bash
# Set up (first run) and start the whole hall on the demo district, with its own Redis.
# Extra arguments go to `hall demo` (e.g. --port 8081 --host 0.0.0.0 --data-dir /srv/hall).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh demo
exec .venv/bin/hall demo "$@"
