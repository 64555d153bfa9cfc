#!/bin/sh
# tests/cli_sweep.sh HEAPBENCH -- `heapbench matrix --heap-factors`: for every
# registered collector (on pool, or on the allocator it brings) and every
# factor f, the rows say heap_factor f and the min_heap_bytes m of the cell's
# line in minheap.csv, and the cell ran at limit ceil(f m) (its progress line
# says so; and with a minheap.csv written by hand, f = 1.9 of half the real
# minimum ends oom while f = 2 ends ok, and nothing is searched).  A rerun
# resumes without running or probing again; other factors on the same folder,
# bad factors and --heap-limit beside them exit 2.  The report has a cell per
# heap factor, with the lower-bound overheads and their coverage; the figures
# (gnuplot) and the README's paragraphs (its Pareto front) follow.
set -u
HB=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
W=small-objects
SCALE=0.001
FACTORS="1.5 3"
# The mechanics below run under the growth trigger: boehm under --trigger full
# (the sweep's default) is not monotonic in heaps this small (results/README.md:
# at 1.5x a minimum of 300 KiB it can end oom); the default is checked at the end.
TRIG="--trigger growth"

# col FILE NAME: the 1-based index of column NAME in FILE's header.
col() { head -1 "$1" | tr , '\n' | grep -nx "$2" | cut -d: -f1; }

"$HB" matrix -a pool -c rc -w $W --heap-factors 0.5 --out "$T/x" 2>/dev/null
[ $? -eq 2 ] || fail "--heap-factors 0.5 not exit 2"
"$HB" matrix -a pool -c rc -w $W --heap-factors 2,1.5 --out "$T/x" 2>/dev/null
[ $? -eq 2 ] || fail "decreasing --heap-factors not exit 2"
"$HB" matrix -a pool -c rc -w $W --heap-factors 2 --heap-limit 1M --out "$T/x" 2>/dev/null
[ $? -eq 2 ] || fail "--heap-limit with --heap-factors not exit 2"

# Every collector, each at both factors, minimum heaps searched first.
A="$T/a"
"$HB" matrix -a pool,boehm -w $W --scale $SCALE --reps 2 --heap-factors 1.5,3 $TRIG --out "$A" \
    2>"$T/err" >/dev/null
rc=$?
[ $rc -eq 0 ] || { cat "$T/err"; fail "matrix --heap-factors exit $rc"; }
[ -s "$A/minheap.csv" ] || fail "no minheap.csv"
R="$A/rows.csv"
ca=$(col "$R" allocator); cc=$(col "$R" collector); cf=$(col "$R" heap_factor)
cm=$(col "$R" min_heap_bytes); cs=$(col "$R" status)
[ -n "$cf" ] && [ -n "$cm" ] || fail "rows.csv has no heap_factor or min_heap_bytes column"
M="$A/minheap.csv"
ma=$(col "$M" allocator); mc=$(col "$M" collector); mm=$(col "$M" min_heap_bytes)
colls=$("$HB" list | sed -n '/^collectors/,/^workloads/p' | awk 'NR>1 && /^  /{print $1}')
n=0
for c in $colls; do
    if grep -q "skipping .*/$c/" "$T/err"; then echo "skip $c: unavailable"; continue; fi
    a=$(awk -F, -v c="$c" -v ka="$ca" -v kc="$cc" 'NR>1 && $kc==c {print $ka; exit}' "$R")
    [ -n "$a" ] || fail "no rows of collector $c"
    m=$(awk -F, -v a="$a" -v c="$c" -v ka="$ma" -v kc="$mc" -v km="$mm" \
        'NR>1 && $ka==a && $kc==c {print $km}' "$M")
    [ -n "$m" ] && [ "$m" -gt 0 ] || fail "$a/$c: no minimum heap in minheap.csv"
    for f in $FACTORS; do
        k=$(awk -F, -v a="$a" -v c="$c" -v f="$f" -v m="$m" -v ka="$ca" -v kc="$cc" -v kf="$cf" \
            -v km="$cm" -v ks="$cs" \
            'NR>1 && $ka==a && $kc==c && $kf+0==f+0 && $km==m && $ks=="ok" {k++} END {print k+0}' "$R")
        [ "$k" -eq 2 ] || fail "$a/$c x$f: $k ok rows with heap_factor $f and min_heap_bytes $m, expected 2"
        lim=$(awk -v f="$f" -v m="$m" 'BEGIN {x = f * m; l = int(x); if (l < x) l++; printf "%d", l}')
        grep -q "$a/$c/$W x$f (limit $lim) rep 2: ok" "$T/err" ||
            fail "$a/$c x$f: no progress line with limit $lim = ceil($f x $m)"
    done
    n=$((n + 1))
    echo "ok $a/$c: m=$m"
done
[ $n -gt 0 ] || fail "no collector ran"
rows=$(wc -l < "$R")
[ "$rows" -eq $((n * 2 * 2 + 1)) ] || fail "rows.csv has $rows lines, expected $((n * 4 + 1))"

# Resume: nothing runs, nothing is probed again.
p0=$(wc -l < "$A/minheap-probes.csv")
"$HB" matrix -a pool,boehm -w $W --scale $SCALE --reps 2 --heap-factors 1.5,3 $TRIG --out "$A" \
    2>"$T/err2" >/dev/null || { cat "$T/err2"; fail "rerun failed"; }
grep -q "0 repetitions ran" "$T/err2" || fail "rerun ran repetitions again"
[ "$(wc -l < "$R")" -eq "$rows" ] || fail "rerun added rows"
[ "$(wc -l < "$A/minheap-probes.csv")" -eq "$p0" ] || fail "rerun probed again"
"$HB" matrix -a pool,boehm -w $W --scale $SCALE --reps 2 --heap-factors 1.5,4 $TRIG --out "$A" \
    2>/dev/null >/dev/null
[ $? -eq 2 ] || fail "other heap factors on the same folder not exit 2"

# The report: one cell per heap factor, with the LBO and its coverage (2
# repetitions: [min, max], which covers the median with 1 - 2/4 = 50%).
"$HB" report "$A" --format csv >/dev/null 2>&1 || fail "report --format csv failed"
S="$A/summary.csv"
sf=$(col "$S" heap_factor_median); st=$(col "$S" lbo_time_median); ss=$(col "$S" lbo_space_median)
sl=$(col "$S" lbo_level); sn=$(col "$S" n_ok)
[ -n "$st" ] && [ -n "$ss" ] && [ -n "$sl" ] || fail "summary.csv has no lbo_* columns"
for f in $FACTORS; do
    k=$(awk -F, -v f="$f" -v kf="$sf" -v kt="$st" -v ks="$ss" -v kl="$sl" -v kn="$sn"         'NR>1 && $kf+0==f+0 && $kn==2 && $kt!="" && $ks!="" && $kl+0==0.5 {k++} END {print k+0}' "$S")
    [ "$k" -eq "$n" ] || fail "summary.csv: $k cells at heap factor $f with LBO columns, expected $n"
done
[ -s "$A/timespace.csv" ] || fail "no timespace.csv"
"$HB" report "$A" > "$T/report.txt" 2>&1 || fail "report failed"
grep -q "Lower-bound overhead" "$T/report.txt" || fail "the report has no LBO table"
grep -q "coverage 50.0%" "$T/report.txt" || fail "the report does not state the coverage"
grep -q "pool/mark-sweep x1.5 " "$T/report.txt" || fail "the report does not group by heap factor"

# The figures of a sweep (when gnuplot is there): the time-space ones only.
if command -v gnuplot >/dev/null 2>&1; then
    "$HB" plot "$A" > "$T/plot.txt" 2>&1 || { cat "$T/plot.txt"; fail "plot failed"; }
    for m in time gc p99; do
        [ -s "$A/figures/timespace_${m}_$W.pdf" ] && [ -s "$A/figures/timespace_${m}_$W.png" ] ||
            fail "no timespace_${m}_$W figure"
    done
    [ -s "$A/figures/lbo_$W.png" ] || fail "no lbo_$W figure"
    grep -q "throughput.gp: skipped, a heap-factor sweep" "$T/plot.txt" ||
        fail "plot drew the per-cell figures of a sweep"
fi

# The README's paragraphs on main.sh's sweep (DIR/timespace): its figures and
# the Pareto front of each workload, which must be exactly the points of
# timespace.csv that no other point of the workload beats in both overheads.
P="$T/main"
"$HB" matrix -a pool -c rc -w $W --scale $SCALE --reps 1 --out "$P" >/dev/null 2>&1 ||
    fail "the plain matrix failed"
"$HB" report "$P" --markdown "$T/plain.md" >/dev/null 2>&1 || fail "report --markdown failed"
! grep -q "sweep_" "$T/plain.md" || fail "a folder without a sweep got sweep paragraphs"
cp -r "$A" "$P/timespace"
"$HB" report "$P" --markdown "$T/sweep.md" >/dev/null 2>&1 || fail "report --markdown failed"
grep -q "(plots/figures/sweep_lbo_$W.png)" "$T/sweep.md" || fail "no LBO figure in the markdown"
grep -q "(plots/figures/sweep_timespace_time_$W.png)" "$T/sweep.md" || fail "no time figure in the markdown"
TS="$A/timespace.csv"
front=$(awk -F, -v w=$W -v kw="$(col "$TS" workload)" -v kc="$(col "$TS" combo)" -v kf="$(col "$TS" heap_factor)"         -v kt="$(col "$TS" lbo_time_median)" -v ks="$(col "$TS" lbo_space_median)" '
    NR > 1 && $kw == w { n++; c[n] = $kc; f[n] = $kf; t[n] = $kt + 0; s[n] = $ks + 0 }
    END { for (i = 1; i <= n; i++) { d = 0
            for (j = 1; j <= n; j++) if (j != i && t[j] <= t[i] && s[j] <= s[i] && (t[j] < t[i] || s[j] < s[i])) d = 1
            if (!d) printf "`%s` at %gx\n", c[i], f[i] } }' "$TS")
[ -n "$front" ] || fail "no Pareto front computed from timespace.csv"
said=$(grep "Pareto fronts" "$T/sweep.md" | sed "s/.*\`$W\`: //; s/)\. \`.*/)/" |
      grep -o '`[^`]*` at [0-9.]*x' | sort)
[ "$(echo "$front" | sort)" = "$said" ] ||
    fail "the markdown's Pareto front on $W is '$said', expected '$(echo "$front" | sort)'"

# A minheap.csv written beforehand is read, not searched: half the real
# minimum of pool/mark-sweep, so x1.9 is 0.95 of it (oom) and x2 all of it.
B="$T/b"
mkdir -p "$B"
m=$(awk -F, -v ka="$ma" -v kc="$mc" -v km="$mm" 'NR>1 && $ka=="pool" && $kc=="mark-sweep" {print $km}' "$M")
half=$(( (m + 1) / 2 ))
awk -F, -v OFS=, -v ka="$ma" -v kc="$mc" -v km="$mm" -v h="$half" \
    'NR==1 || ($ka=="pool" && $kc=="mark-sweep") { if (NR > 1) $km = h; print }' "$M" > "$B/minheap.csv"
"$HB" matrix -a pool -c mark-sweep -w $W --scale $SCALE --reps 1 --heap-factors 1.9,2 $TRIG --series \
    --out "$B" 2>"$T/err3" >/dev/null
[ $? -eq 1 ] || { cat "$T/err3"; fail "the x1.9 cell did not make the matrix exit 1"; }
[ ! -e "$B/minheap-probes.csv" ] || fail "a minimum heap in minheap.csv was searched again"
st() { awk -F, -v f="$1" -v h="$half" -v kf="$cf" -v km="$cm" -v ks="$cs" \
       'NR>1 && $kf+0==f+0 && $km==h {print $ks}' "$B/rows.csv"; }
[ "$(st 1.9)" = oom ] || fail "x1.9 of half the minimum ($half) ended '$(st 1.9)', expected oom"
[ "$(st 2)" = ok ] || fail "x2 of half the minimum ($half) ended '$(st 2)', expected ok"
[ -s "$B/series/pool_mark-sweep_${W}_hf2_rep1.csv" ] || fail "no series file named with _hf2"
# The default of a sweep: --trigger full, in meta.json and in the minimum
# heaps' settings ids (other cells than growth's), every tracing collector
# on pool ok at both factors.
F="$T/full"
"$HB" matrix -a pool -c mark-sweep,incremental,gen-copy,rc-cycle -w $W --scale $SCALE --reps 1 \
    --heap-factors 1.5,3 --out "$F" 2>"$T/err4" >/dev/null || { cat "$T/err4"; fail "the full-trigger sweep failed"; }
grep -q '"trigger": "full"' "$F/meta.json" || fail "meta.json of a sweep does not say trigger full"
k=$(awk -F, -v ks="$cs" 'NR>1 && $ks=="ok" {k++} END {print k+0}' "$F/rows.csv")
[ "$k" -eq 8 ] || fail "the full-trigger sweep has $k ok rows, expected 8"
mi=$(col "$M" settings_id)
ga=$(awk -F, -v ka="$ma" -v kc="$mc" -v ki="$mi" 'NR>1 && $ka=="pool" && $kc=="mark-sweep" {print $ki}' "$M")
fa=$(awk -F, -v ka="$ma" -v kc="$mc" -v ki="$mi" 'NR>1 && $ka=="pool" && $kc=="mark-sweep" {print $ki}' "$F/minheap.csv")
[ -n "$fa" ] && [ "$fa" != "$ga" ] || fail "the full trigger's minimum heap shares settings id '$ga' with growth's"
echo "all ok"
