#!/usr/bin/env bash
# Builds and runs every test: the debug build (assertions, poisoned frees, warnings as
# errors), then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer, then
# a subset of the debug build under valgrind's memcheck, then the libFuzzer targets' smoke
# runs (clang), then the fresh-machine check (scripts/check_fresh.sh: the release build
# and a tiny main job with the test-only packages hidden).  Installs what is missing first.
# The tsan pass: tests/test_threads (the threaded replay over every thread-safe backend)
# built with clang -fsanitize=thread (the tsan preset); any report fails it.
# Usage: scripts/test.sh [debug|asan|tsan|valgrind|fuzz|fresh ...]   (default: all six)
#
# The valgrind pass: the pool tests, and the collector and replay tests over pool, bump and
# malloc, on the debug build, whose pool and bump backends tell memcheck about their blocks
# (allocators/vg.h), so that a use after free inside their mappings is an error too.  Any
# memcheck error or definitely lost block fails the test.  HB_TEST_QUICK=1 shrinks the
# ten-million-object tests and the random replay and leaves out the workloads of fixed
# cost, which would take minutes under valgrind.  test_allocators is not in the subset:
# under valgrind, malloc is valgrind's, so the malloc and peer backends' footprint checks
# fail, and libgc's conservative scan reads undefined words.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test

passes=("$@")
[[ ${#passes[@]} -gt 0 ]] || passes=(debug asan tsan valgrind fuzz fresh)
jobs=$(nproc 2>/dev/null || echo 2)

vg_tests='^test_(pool|mark_sweep|rc|replay)$'
vg_options=(--tool=memcheck --error-exitcode=1 --leak-check=full
            --errors-for-leak-kinds=definite --show-leak-kinds=definite --num-callers=30)

valgrind_pass() {
  local dir=build/debug
  rm -f "$dir"/Testing/Temporary/MemoryChecker.*.log # so that only this run's are shown
  if ! HB_TEST_QUICK=1 ctest --test-dir "$dir" -R "$vg_tests" -j "$jobs" -T memcheck \
         --overwrite "MemoryCheckCommand=$(command -v valgrind)" \
         --overwrite "MemoryCheckCommandOptions=${vg_options[*]}" --output-on-failure; then
    # ctest keeps valgrind's reports apart, one log per test: show those with errors.
    grep -l -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' \
      "$dir"/Testing/Temporary/MemoryChecker.*.log 2>/dev/null | xargs -r cat >&2
    return 1
  fi
}

for p in "${passes[@]}"; do
  echo "== heapbench tests: $p pass"
  if [[ "$p" == fresh ]]; then
    scripts/check_fresh.sh
    continue
  fi
  preset=$p
  [[ "$p" == valgrind ]] && preset=debug
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  if [[ "$p" == fuzz ]]; then
    ctest --test-dir build/fuzz --output-on-failure -L fuzz
  elif [[ "$p" == valgrind ]]; then
    valgrind_pass
  else
    if [[ "$p" == asan ]]; then
      # The sanitizer pass checks memory errors, not answers: the tests of fixed
      # large cost run shrunk (HB_TEST_QUICK), and the minimum-heap search
      # (dozens of runs, already checked by the debug pass) is left out, so CI
      # stays within its budget.
      HB_TEST_QUICK=1 ctest --preset "$p" -j "$jobs" -E '^cli_minheap$'
    else
      ctest --preset "$p" -j "$jobs"
    fi
  fi
done
