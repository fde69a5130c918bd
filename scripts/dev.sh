#!/usr/bin/env bash
# Crawldeck developer entry point (Debian 12).
#   scripts/dev.sh run [crawldeck options...]  install what running needs, build (build-run/), start the app
#   scripts/dev.sh test                        install what the tests need, build (build/), run the test suite
#   scripts/dev.sh package                     install what packaging needs, build (build-run/), write the .deb
#   scripts/dev.sh deps | build                only that step, for the test build
set -euo pipefail
cd "$(dirname "$0")/.."

# The test build's folder; the app alone (run, package) builds in build-run/.
BUILD_DIR=${BUILD_DIR:-build}

# Building and running the app: compiler, Qt and its plugins, icons for the package.
RUN_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-httpserver-dev qt6-websockets-dev libqt6sql6-sqlite libqt6sql6-psql libqt6svg6 qt6-qpa-plugins libgl-dev
  qcoro-qt6-dev qtkeychain-qt6-dev
  librsvg2-bin
)
# The .deb: shlibdeps computes its dependencies.
PACKAGE_PACKAGES=(dpkg-dev)
# The test suite on top: GoogleTest, a throwaway PostgreSQL, sample workers, a display for the GUI
# tests, the fuzzers, the tools the package test reads the package with, and what the benchmark
# smoke run compares against (wrk, nginx, the seed's FastAPI backend).
TEST_PACKAGES=(
  libgtest-dev googletest
  postgresql
  python3 python3-scrapy openssl
  xvfb xauth
  clang libclang-rt-14-dev
  appstream desktop-file-utils groff-base man-db systemd
  wrk nginx-light python3-fastapi python3-uvicorn
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# install PACKAGE... : those not installed yet, in one apt-get run.
install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "crawldeck: installing ${missing[*]}" >&2
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

deps_test() {
  local node=()
  # Node.js (RunPod's JavaScript SDK check) from Debian unless a node is already on PATH.
  command -v node >/dev/null 2>&1 || node+=(nodejs)
  command -v npm >/dev/null 2>&1 || node+=(npm)
  install_missing "${RUN_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${node[@]}"
}

# The test build: everything, with debug info.
build_test() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}

# The app alone, optimised, in a folder of its own so it never disturbs the test build.
build_run() {
  cmake -S . -B build-run -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRAWLDECK_BUILD_TESTS=OFF -DCRAWLDECK_BUILD_BENCH=OFF
  cmake --build build-run -j"$(nproc)"
}

case "${1:-}" in
  deps) deps_test ;;
  build) deps_test; build_test ;;
  test)
    deps_test; build_test
    # RunPod's JavaScript SDK, pinned in the lock file, checks the emulator's dialect.
    npm ci --prefix tests/runpod-sdk --no-audit --no-fund --loglevel=error
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"
    ;;
  run)
    shift
    install_missing "${RUN_PACKAGES[@]}"
    build_run
    exec build-run/app/crawldeck "$@"
    ;;
  package)
    install_missing "${RUN_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
    build_run
    cpack -G DEB --config build-run/CPackConfig.cmake -B build-run
    ls build-run/crawldeck_*.deb
    ;;
  *)
    echo "usage: scripts/dev.sh run [crawldeck options...] | test | package | deps | build" >&2
    exit 2
    ;;
esac
