#!/usr/bin/env bash
# Builds and runs every test: the debug build (assertions, poisoned frees, warnings as
# errors), then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer, then
# the libFuzzer targets' smoke runs (clang).  Installs what is missing first.
# Usage: scripts/test.sh [debug|asan|fuzz ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test

passes=("$@")
[[ ${#passes[@]} -gt 0 ]] || passes=(debug asan fuzz)
jobs=$(nproc 2>/dev/null || echo 2)

for p in "${passes[@]}"; do
  echo "== heapbench tests: $p preset"
  cmake --preset "$p" >/dev/null
  cmake --build --preset "$p" -j "$jobs"
  if [[ "$p" == fuzz ]]; then
    ctest --test-dir build/fuzz --output-on-failure -L fuzz
  else
    ctest --preset "$p" -j "$jobs"
  fi
done
