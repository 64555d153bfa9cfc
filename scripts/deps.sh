#!/usr/bin/env bash
# Installs the Debian packages heapbench needs that are not there yet.
# Usage: scripts/deps.sh [--test]   (--test adds what only the tests need)
set -euo pipefail

pkgs=(cmake make gcc g++ git libbenchmark-dev gnuplot-nox hyperfine jq python3
      libgc-dev libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(libcmocka-dev clang libclang-rt-14-dev valgrind)
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
