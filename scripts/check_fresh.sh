#!/usr/bin/env bash
# scripts/check_fresh.sh -- proves that the main job needs nothing that only
# the tests need: configures and builds the release preset, and runs a tiny
# main job (list, matrix, report, plot), on this machine with every file of
# the test-only packages hidden.  Run by scripts/test.sh.
#
# How it works.  `scripts/deps.sh --list main|test` gives the two package
# lists (never written down here).  The packages to hide are the installed
# closure of the test list (its packages and everything they depend on,
# recursively: clang brings clang-14, libllvm14, ...) less the installed
# closure of the main list (what the main job needs stays, even if a test
# package also pulls it in).  Their files are taken from dpkg.  Then, in a
# private mount namespace (unshare -m --propagation private: nothing leaks
# to the rest of the machine, and it all goes away when the script ends),
# an overlay is mounted over /usr whose upper folder holds, for each hidden
# file, a whiteout: a character device 0/0, which makes overlayfs show the
# file as absent.  (Debian's /lib, /bin are links into /usr, so /usr holds
# every file that matters.)  Inside, the check confirms that cmocka.h and
# clang are really gone, then builds in a fresh folder outside the tree and
# runs the sequence; any failing step fails the check, loudly.
#
# Needs root (mount namespaces, overlayfs, mknod): otherwise it says SKIPPED
# and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

if [[ "${1:-}" != "--inside" ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null ||
     ! grep -qw overlay /proc/filesystems 2>/dev/null && ! modprobe -q overlay 2>/dev/null; then
    echo "check_fresh: SKIPPED (needs root, unshare and overlayfs to hide the test packages)"
    exit 0
  fi
  if ! unshare -m --propagation private true 2>/dev/null; then
    echo "check_fresh: SKIPPED (unshare -m is not allowed here)"
    exit 0
  fi
  exec unshare -m --propagation private "$0" --inside
fi

fail() { echo "check_fresh: FAILED: $*" >&2; exit 1; }

# The installed packages among a list and everything they depend on.
closure() {
  apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances "$@" 2>/dev/null |
    grep -E '^[a-z0-9]' | sort -u |
    while read -r p; do
      [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] && echo "$p"
    done || true
}

mapfile -t main < <(scripts/deps.sh --list main)
mapfile -t test < <(scripts/deps.sh --list test)
hide=$(comm -23 <(closure "${test[@]}") <(closure "${main[@]}"))
[[ -n "$hide" ]] || { echo "check_fresh: no test-only package is installed: nothing to hide"; }
echo "check_fresh: hiding" $hide

tmp=$(mktemp -d /tmp/hb-fresh.XXXXXX)
trap 'umount /usr 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/upper" "$tmp/work" "$tmp/out"
n=0
for p in $hide; do
  while read -r f; do
    [[ -n "$f" ]] || continue
    real=$(realpath -m "$f")                 # /lib/x -> /usr/lib/x on a merged /usr
    [[ "$real" == /usr/* && ( -f "$real" || -L "$real" ) ]] || continue
    rel=${real#/usr/}
    mkdir -p "$tmp/upper/$(dirname "$rel")"
    [[ -e "$tmp/upper/$rel" ]] || { mknod "$tmp/upper/$rel" c 0 0; n=$((n + 1)); }
  done < <(dpkg -L "$p" 2>/dev/null)
done
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$tmp/upper,workdir=$tmp/work" /usr ||
  fail "cannot mount the overlay over /usr"
echo "check_fresh: $n files hidden"

# The hiding must be real, or the check proves nothing.
for gone in /usr/include/cmocka.h; do
  [[ ! -e "$gone" ]] || fail "$gone is still visible"
done
if printf '%s\n' $hide | grep -qx clang && command -v clang >/dev/null; then
  fail "clang is still on PATH"
fi

build=$tmp/build
step() { echo "check_fresh: $*" >&2; "$@" || fail "$* (exit $?)"; }
step cmake --preset release -B "$build" -S "$src" >/dev/null
step cmake --build "$build" -j 2 >/dev/null
hb=$build/heapbench
step "$hb" list >/dev/null
"$hb" matrix -a malloc,pool -c mark-sweep -w small-objects --scale 0.003 --reps 1 --warmup 0 \
     --out "$tmp/out/r" >/dev/null 2>&1 || fail "heapbench matrix (exit $?)"
step "$hb" report "$tmp/out/r" >/dev/null
step "$hb" plot "$tmp/out/r" >/dev/null
[[ -s "$tmp/out/r/figures/throughput.pdf" ]] || fail "plot drew no throughput figure"
echo "check_fresh: ok (release build and a tiny main job without the test packages)"
