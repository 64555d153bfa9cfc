# plots/timespace.gp -- the time-space trade-off: wall time, gc time and
# pause p99 against the heap factor (the limit over the cell's minimum
# heap), one line per allocator/collector, per workload.  Reads
# dir/timespace.csv (heapbench report); points are medians over
# repetitions, bars their 95% distribution-free intervals.  Rows without a
# heap factor (0) are left out.  Writes figures/timespace_{time,gc,p99}_WORK.*
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
file = dir . "/timespace.csv"

# The workloads and the combinations with heap factors, first-seen order.
col(name) = sprintf("$%s", system(sprintf("head -1 '%s' | tr , '\\n' | grep -nx '%s' | cut -d: -f1", file, name)))
distinct(name) = system(sprintf("awk -F, 'NR > 1 && %s > 0 && !seen[%s]++ {print %s}' '%s' | tr '\\n' ' '", \
                                col("heap_factor"), col(name), col(name), file))
tworks = distinct("workload")
tcombos = distinct("combo")
ntc = words(tcombos)
combo_alloc_of(c) = strstrt(c, "/") > 0 ? c[1:strstrt(c, "/") - 1] : c
tc_rgb(k) = alloc_color(combo_alloc_of(word(tcombos, k)))  # the allocator's colour, as everywhere
tc_dt(k) = (k - 1) % 5 + 1
tc_pt(k) = int(word("7 5 9 11 13 4 6 8", (k - 1) % 8 + 1))
mine(w, k, v) = (strcol("workload") eq word(tworks, w) && strcol("combo") eq word(tcombos, k) && \
                 column("heap_factor") > 0) ? v : NaN

set xlabel "heap size / minimum heap"
set logscale x 2
set key outside top center horizontal samplen 2 font ",6" maxrows 3
set datafile separator comma

do for [m in "time gc p99"] {
    q = m eq "time" ? "wall_s" : (m eq "gc" ? "gc_s" : "pause_p99_us")
    set ylabel (m eq "time" ? "wall time (s)" : (m eq "gc" ? "gc time (s)" : "pause p99 (us)"))
    if (m eq "p99") { set logscale y } else { unset logscale y }
    do for [w=1:words(tworks)] {
        do for [ext in exts] {
            eval term(ext)
            set output out(sprintf("timespace_%s_%s", m, word(tworks, w)), ext)
            set title word(tworks, w) font ",8" offset 0,-0.6
            plot for [k=1:ntc] file using (mine(w, k, column("heap_factor"))):(column(q . "_median")) \
                     with linespoints lc rgb tc_rgb(k) dt tc_dt(k) pt tc_pt(k) ps 0.5 lw 0.8 \
                     title word(tcombos, k), \
                 for [k=1:ntc] file using (mine(w, k, column("heap_factor"))):(column(q . "_median")): \
                     (column(q . "_lo")):(column(q . "_hi")) \
                     with yerrorbars lc rgb tc_rgb(k) pt 0 lw 0.5 notitle
            set output
        }
    }
}
