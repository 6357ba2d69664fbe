#!/usr/bin/env bash
# Set up everything the hall needs on a fresh Debian machine: system packages (when
# missing and running as root), the Python virtual environment, and front-end packages.
#   scripts/setup.sh demo   what `hall demo` needs
#   scripts/setup.sh test   that, plus what the test suite needs (Chromium, test libraries)
set -euo pipefail
profile="${1:-demo}"
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

# -- system packages ------------------------------------------------------------
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server redis-tools)
command -v npm >/dev/null 2>&1 || need+=(npm)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# the compositor draws camera names (Chinese) and slates on the wall with this font (media/text.py)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ "$profile" = test ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
  dpkg -s fonts-liberation >/dev/null 2>&1 || need+=(fonts-liberation)
  # real peers of the media tests: ffmpeg (the benchmarks' reference), GStreamer's RTSP server
  # (run by the system python3 through python3-gi) as a camera
  for p in ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
           gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi iproute2; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null  # with recommends: as verified
  else
    say "missing system packages: ${need[*]}"
    say "install them (e.g. sudo apt-get install ${need[*]}) and run this again"
    exit 1
  fi
fi

# -- Python ---------------------------------------------------------------------
# Prefer Python 3.12 (then 3.13) (PyAV 19, which fixes a scaler leak, needs it); 3.11 works with PyAV 18.
pick_python() {
  for c in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys, ensurepip; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
  done
  return 1
}
if [ ! -x .venv/bin/python ]; then
  py=$(pick_python) || { say "Python 3.11 or newer is needed (python3 is $(python3 --version 2>&1))"; exit 1; }
  say "creating the virtual environment .venv with $py ($("$py" --version 2>&1))"
  "$py" -m venv .venv
fi
extra=""
[ "$profile" = test ] && extra="[test]"
stamp=".venv/.installed-$profile-$(cat pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "installing Python packages (pip install -e .$extra)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"
  touch "$stamp"
fi

# -- front-end packages (served by our own server; nothing loads from a CDN) -----------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
say "ready"
