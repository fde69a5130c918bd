#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in a build directory of their own and runs each one for
# a bounded time from its seed corpus (tests/fuzz/corpus/<target>). New inputs the fuzzer finds go
# to a scratch directory, not into the repository. A crash fails the run and leaves the input as
# crash-* in the current directory.
#   FUZZ_SECONDS=5 tests/fuzz/run.sh       a quick local smoke run (default: 60 s per target)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${FUZZ_BUILD_DIR:-$here/../../build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-2}"

CC=clang CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs"

for target in framer logparser; do
  scratch="$(mktemp -d)"
  echo "fuzz: ${target} for ${seconds} s"
  "$build/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 "$scratch" "$here/corpus/$target"
  rm -rf "$scratch"
done
