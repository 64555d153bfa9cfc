# plots/mmu.gp -- minimum mutator utilisation against window length, one
# figure per workload, one panel per collector, one curve per allocator
# (colour keyed by name, plots/style.gp).
# Reads dir/mmu.csv (heapbench report --format csv): windows of 0.1 ms to
# 1 s computed exactly from each repetition's pause log, plus the whole
# run (the overall mutator fraction) when it lasted over 100 ms; medians over
# repetitions, whiskers the interval of the median (coverage in the key).
# Writes figures/mmu_<workload>.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/mmu.csv"

val(w, c, a, v) = (strcol("workload") eq w && strcol("collector") eq word(colls, c) && \
                   strcol("allocator") eq word(allocs, a)) ? v : NaN
# What each panel sets again after the key's plot (style.gp's key_panel).
panel_axes = 'set logscale x; set format x pow10; set xlabel "window (ms)" offset 0,0.5; ' . \
             'set ylabel "MMU" offset 1,0; set yrange [0 : 1.05]; set ytics 0.2'
key_items = "for [a=1:nallocs] keyentry with linespoints lc rgb alloc_rgb(a) dt alloc_dt(word(allocs, a)) pt alloc_pt(word(allocs, a)) ps 0.5 title word(allocs, a)"
key_note = "points: medians over repetitions; whiskers: intervals of the median (coverage " . median_cov . ")"
n_panels = ncolls

do for [w=1:nworks] {
    wname = word(works, w)
    do for [ext in exts] {
        eval term_multi(ext, ncolls)
        set output out("mmu_" . wname, ext)
        set multiplot
        eval key_panel
        do for [c=1:ncolls] {
            eval panel_at(c, ncolls)
            eval panel_axes
            set title wname . ", " . word(colls, c) font ",8" offset 0,-0.8
            plot for [a=1:nallocs] file using "window_ms":(val(wname, c, a, column("mmu_median"))) \
                     with linespoints lc rgb alloc_rgb(a) dt alloc_dt(word(allocs, a)) pt alloc_pt(word(allocs, a)) ps 0.5 notitle, \
                 for [a=1:nallocs] file using "window_ms":(val(wname, c, a, column("mmu_median"))): \
                     "mmu_lo":"mmu_hi" with yerrorbars lc rgb alloc_rgb(a) dt 1 lw 0.6 pt 7 ps 0.1 notitle
        }
        unset multiplot
        set output
    }
}
