# plots/micro.gp -- allocator microbenchmarks from heapbench-micro (Google
# Benchmark JSON, dir/micro.json), preprocessed by `heapbench plot` into
# dir/micro.csv (family, allocator, bytes, ns_per_op: real time per
# iteration, or the median aggregate when the run had repetitions) and
# dir/micro_vars.gp (the allocator list).
# Writes figures/micro_pair.{pdf,png} (alloc+free of one size, by size) and
# figures/micro_churn.{pdf,png} (the churn benchmark, one bar per allocator).
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/micro_vars.gp"
file = dir . "/micro.csv"

pair(a, v) = (strcol("family") eq "alloc_pair" && strcol("allocator") eq word(micro_allocs, a)) ? v : NaN
churn(a, v) = (strcol("family") eq "alloc_churn" && strcol("allocator") eq word(micro_allocs, a)) ? v : NaN
n = words(micro_allocs)

do for [ext in exts] {
    eval term(ext)
    # The churn plot below narrows these; every pass starts from auto.
    set xrange [*:*]
    set yrange [*:*]
    set xtics autofreq scale 0.6 norotate
    set output out("micro_pair", ext)
    set logscale x 2
    set logscale y
    set format x "%.0b%B"
    set xlabel "request size (bytes)"
    set ylabel "ns per alloc + free"
    set format y pow10
    set key outside right top vertical samplen 2 font ",7"
    plot for [a=1:n] file using (pair(a, column("bytes"))):"ns_per_op" \
             with linespoints lc rgb alloc_color(word(micro_allocs, a)) pt alloc_pt(word(micro_allocs, a)) dt alloc_dt(word(micro_allocs, a)) title word(micro_allocs, a)
    unset logscale x
    unset logscale y
    set format x "% h"
    set format y "%g"
    unset xlabel

    set output out("micro_churn", ext)
    set xrange [0.4 : n + 0.6]
    set yrange [0 : *]
    set xtics scale 0 rotate by 30 right
    set for [a=1:n] xtics add (word(micro_allocs, a) a)
    set boxwidth 0.6 absolute
    set ylabel "ns per op (churn, 10,000 live)"
    set key off
    plot for [a=1:n] file using (churn(a, a)):"ns_per_op" with boxes fs solid 1.0 noborder lc rgb alloc_color(word(micro_allocs, a))
    set output
}
