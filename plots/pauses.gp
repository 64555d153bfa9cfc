# plots/pauses.gp -- pause-time percentiles (p50, p90, p99, p99.9, max), one
# figure per workload, one panel per collector, one line per allocator
# (colour keyed by name, plots/style.gp), log scale.
# Reads dir/pauses.csv (heapbench report --format csv): medians over
# repetitions, whiskers the distribution-free interval of the median (its
# coverage in the key).  A pair that paused not at all has no line.
# Writes figures/pauses_<workload>.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/pauses.csv"

val(w, c, a, v) = (strcol("workload") eq w && strcol("collector") eq word(colls, c) && \
                   strcol("allocator") eq word(allocs, a) && v > 0) ? v : NaN
# What each panel sets again after the key's plot (style.gp's key_panel).
panel_axes = 'set logscale y; set format y pow10; set ylabel "pause (µs)" offset 1,0; ' . \
             'set xrange [0.7 : 5.3]; set xtics ("p50" 1, "p90" 2, "p99" 3, "p99.9" 4, "max" 5) scale 0 font ",7"'
key_items = "for [a=1:nallocs] keyentry with linespoints lc rgb alloc_rgb(a) dt alloc_dt(word(allocs, a)) pt alloc_pt(word(allocs, a)) ps 0.5 title word(allocs, a)"
key_note = "points: medians over repetitions; whiskers: intervals of the median (coverage " . median_cov . ")"
n_panels = ncolls

do for [w=1:nworks] {
    wname = word(works, w)
    do for [ext in exts] {
        eval term_multi(ext, ncolls)
        set output out("pauses_" . wname, ext)
        set multiplot
        eval key_panel
        do for [c=1:ncolls] {
            eval panel_at(c, ncolls)
            eval panel_axes
            set title wname . ", " . word(colls, c) font ",8" offset 0,-0.8
            plot for [a=1:nallocs] file using (column("pct_idx") + 1):(val(wname, c, a, column("us_median"))) \
                     with linespoints lc rgb alloc_rgb(a) dt alloc_dt(word(allocs, a)) pt alloc_pt(word(allocs, a)) ps 0.5 notitle, \
                 for [a=1:nallocs] file using (column("pct_idx") + 1):(val(wname, c, a, column("us_median"))): \
                     (column("us_lo")):(column("us_hi")) with yerrorbars lc rgb alloc_rgb(a) dt 1 lw 0.6 pt 7 ps 0.1 notitle
        }
        unset multiplot
        set output
    }
}
