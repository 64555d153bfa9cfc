#!/bin/sh
# tests/cli_minheap.sh HEAPBENCH -- `heapbench minheap` against `run`: for
# every registered collector (paired with pool, or with the allocator it
# brings), the minimum heap m it prints must be a limit at which `run` ends
# ok, while 0.97 m must end oom; bad names and values exit 2; a rerun reads
# the answers back (resume) without probing again.
set -u
HB=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
SCALE=0.005
W=gcbench

"$HB" minheap -a nosuch -c rc -w $W --out "$T/x" 2>/dev/null; [ $? -eq 2 ] || fail "unknown allocator not exit 2"
"$HB" minheap -a pool -c rc -w $W --tolerance 0 --out "$T/x" 2>/dev/null; [ $? -eq 2 ] || fail "--tolerance 0 not exit 2"
"$HB" minheap -a pool -c rc -w $W --scale -1 --out "$T/x" 2>/dev/null; [ $? -eq 2 ] || fail "--scale -1 not exit 2"

colls=$("$HB" list | sed -n '/^collectors/,/^workloads/p' | awk 'NR>1 && /^  /{print $1}')
[ -n "$colls" ] || fail "no collectors listed"
allocs=pool,boehm
for c in $colls; do
    out=$("$HB" minheap -a "$allocs" -c "$c" -w $W --scale $SCALE --out "$T/mh" --no-progress 2>"$T/err")
    rc=$?
    if grep -q "skipping .*/$c/" "$T/err" && ! echo "$out" | grep -q " $c "; then
        echo "skip $c: unavailable"; continue
    fi
    [ $rc -eq 0 ] || { cat "$T/err"; fail "minheap -c $c exit $rc"; }
    # the first cell of this collector (pool, or its own allocator)
    line=$(echo "$out" | awk -v c="$c" '$2 == c {print; exit}')
    a=$(echo "$line" | awk '{print $1}')
    m=$(echo "$line" | awk '{print $4}')
    [ -n "$m" ] && [ "$m" -gt 0 ] || fail "$c: no minimum printed: $out"
    st=$("$HB" run -a "$a" -c "$c" -w $W --scale $SCALE --heap-limit "$m" --format csv 2>/dev/null |
         awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="status") k=i} NR==2{print $k}')
    [ "$st" = ok ] || fail "$a/$c: run --heap-limit $m ended '$st', expected ok"
    low=$(awk -v m="$m" 'BEGIN{printf "%d", m*0.97}')
    st=$("$HB" run -a "$a" -c "$c" -w $W --scale $SCALE --heap-limit "$low" --format csv 2>/dev/null |
         awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="status") k=i} NR==2{print $k}')
    [ "$st" = oom ] || fail "$a/$c: run --heap-limit $low (0.97 m) ended '$st', expected oom"
    echo "ok $a/$c: m=$m"
done

# Resume: the answers come back from minheap.csv, no new probe is logged.
n0=$(wc -l < "$T/mh/minheap-probes.csv")
"$HB" minheap -a pool -c rc -w $W --scale $SCALE --out "$T/mh" --no-progress >/dev/null 2>&1 ||
    fail "rerun failed"
n1=$(wc -l < "$T/mh/minheap-probes.csv")
[ "$n0" -eq "$n1" ] || fail "rerun probed again ($n0 -> $n1 probes)"
echo "all ok"
