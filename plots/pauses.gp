# plots/pauses.gp -- pause-time percentiles (p50, p90, p99, p99.9, max) of each
# allocator/collector, one figure per workload, log scale.
# Reads dir/pauses.csv (heapbench report --format csv): medians over
# repetitions with 95% intervals.  A pair that paused not at all has no line.
# Writes figures/pauses_<workload>.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/pauses.csv"

pos(p) = (column("combo_idx") == p ? 1 : 0)
val(w, k, v) = (strcol("workload") eq w && column("combo_idx") == k - 1 && v > 0) ? v : NaN
set logscale y
set ylabel "pause (µs)"
set xrange [0.7 : 5.3]
set xtics ("p50" 1, "p90" 2, "p99" 3, "p99.9" 4, "max" 5) scale 0
set key outside top center horizontal maxrows 2 samplen 2 spacing 0.9 width -1 font ",7"
# Key: colour per allocator, dash and point per collector (11 entries, not 19).
# combo_dt and combo_pt take a combination's index; find one per collector.
array first_combo[ncolls]
do for [c=1:ncolls] {
    first_combo[c] = 1
    do for [k=ncombos:1:-1] { if (int(word(combo_coll, k)) == c) { first_combo[c] = k } }
}
keys = "for [a=1:nallocs] keyentry with lines lc rgb alloc_rgb(a) dt 1 lw 2 title word(allocs, a), " . \
       "for [c=1:ncolls] keyentry with linespoints lc rgb 'black' dt combo_dt(first_combo[c]) pt combo_pt(first_combo[c]) title word(colls, c)"

do for [w=1:nworks] {
    wname = word(works, w)
    do for [ext in exts] {
        eval term(ext)
        set output out("pauses_" . wname, ext)
        set title wname font ",8" offset 0,-0.6
        plot for [k=1:ncombos] file using (column("pct_idx") + 1):(val(wname, k, column("us_median"))) \
                 with linespoints lc rgb combo_rgb(k) dt combo_dt(k) pt combo_pt(k) notitle, \
             for [k=1:ncombos] file using (column("pct_idx") + 1):(val(wname, k, column("us_median"))): \
                 (column("us_lo")):(column("us_hi")) with yerrorbars lc rgb combo_rgb(k) dt 1 lw 0.6 pt 7 ps 0.2 notitle, \
             @keys
        set output
    }
}
