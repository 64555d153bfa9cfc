#!/usr/bin/env bash
# Installs the Debian packages heapbench needs that are not there yet.
# Usage: scripts/deps.sh [--test]     (--test adds what only the tests need)
#        scripts/deps.sh --list main|test
#            prints one list, one package a line, and installs nothing:
#            main = what the main job (scripts/main.sh) needs, test = what
#            only the tests add (scripts/check_fresh.sh hides those).
set -euo pipefail

main_pkgs=(cmake make gcc g++ git libbenchmark-dev gnuplot-nox hyperfine jq python3
           libgc-dev libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev)
test_pkgs=(libcmocka-dev clang libclang-rt-14-dev valgrind)

if [[ "${1:-}" == "--list" ]]; then
  case "${2:-}" in
    main) printf '%s\n' "${main_pkgs[@]}" ;;
    test) printf '%s\n' "${test_pkgs[@]}" ;;
    *) echo "scripts/deps.sh: bad value '${2:-}' for --list, expected main or test" >&2; exit 2 ;;
  esac
  exit 0
fi

pkgs=("${main_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=("${test_pkgs[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "heapbench: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
