# plots/mmu.gp -- minimum mutator utilisation against window length, one curve
# per collector (on the baseline allocator), one figure per workload.
# Reads dir/mmu.csv (heapbench report --format csv): windows of 0.1 ms to
# 1 s computed exactly from each repetition's pause log, plus the whole
# run (the overall mutator fraction) when it lasted over 100 ms; medians over
# repetitions with 95% intervals.
# Writes figures/mmu_<workload>.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/mmu.csv"

val(w, c, v) = (strcol("workload") eq w && strcol("collector") eq c && strcol("allocator") eq base_alloc) ? v : NaN
set logscale x
set xlabel "window (ms)"
set ylabel "minimum mutator utilisation"
set yrange [0 : 1.05]
set ytics 0.2
set key inside right bottom samplen 2 spacing 0.9 font ",7"

do for [w=1:nworks] {
    wname = word(works, w)
    do for [ext in exts] {
        eval term(ext)
        set output out("mmu_" . wname, ext)
        set title sprintf("%s, allocator %s", wname, base_alloc) font ",8" offset 0,-0.6
        plot for [c=1:ncolls] file using "window_ms":(val(wname, word(colls, c), column("mmu_median"))) \
                 with linespoints lt c title word(colls, c), \
             for [c=1:ncolls] file using "window_ms":(val(wname, word(colls, c), column("mmu_median"))): \
                 "mmu_lo":"mmu_hi" with yerrorbars lt c dt 1 lw 0.6 pt 7 ps 0.2 notitle
        set output
    }
}
