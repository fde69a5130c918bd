#!/usr/bin/env bash
# Crawldeck developer entry point (Debian 12).
#   scripts/dev.sh run [crawldeck options...]  install what is missing, build, start the app
#   scripts/dev.sh test                        install what is missing, build, run the test suite
#   scripts/dev.sh deps | build                only that step
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-httpserver-dev qt6-websockets-dev libqt6sql6-sqlite libqt6sql6-psql libqt6svg6 qt6-qpa-plugins libgl-dev
  qcoro-qt6-dev qtkeychain-qt6-dev
  libgtest-dev googletest
  postgresql
  python3 python3-scrapy openssl
  xvfb xauth
  clang libclang-rt-14-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Node.js (RunPod's JavaScript SDK check) from Debian unless a node is already on PATH.
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "crawldeck: installing ${missing[*]}" >&2
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

build() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}

case "${1:-}" in
  deps) deps ;;
  build) deps; build ;;
  test)
    deps; build
    # RunPod's JavaScript SDK, pinned in the lock file, checks the emulator's dialect.
    npm ci --prefix tests/runpod-sdk --no-audit --no-fund --loglevel=error
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"
    ;;
  run)
    shift
    deps; build
    exec "$BUILD_DIR/app/crawldeck" "$@"
    ;;
  *)
    echo "usage: scripts/dev.sh run [crawldeck options...] | test | deps | build" >&2
    exit 2
    ;;
esac
