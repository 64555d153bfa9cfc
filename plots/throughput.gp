# plots/throughput.gp -- throughput per workload: one bar per allocator/collector
# with its 95% interval, and the same as a ratio to the baseline.
# Reads dir/summary.csv and dir/summary.gp (heapbench report --format csv).
# Writes figures/throughput.{pdf,png} (median ops/s, distribution-free
# interval of the median) and figures/throughput_ratio.{pdf,png} (ratio of
# mean ops/s to the baseline, Fieller interval).
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/summary.csv"

bw = 0.84 / ncombos
xpos(k) = column("work_idx") + 1 + (k - 1 - (ncombos - 1) / 2.0) * bw
mine(k, v) = column("combo_idx") == k - 1 ? v : NaN
rgb_of(k) = alloc_rgb(int(word(combo_alloc, k)))
pat_of(k) = coll_pattern(int(word(combo_coll, k)))

set xrange [0.5 : nworks + 0.5]
set xtics scale 0 font ",7"
set for [w=1:nworks] xtics add (word(works, w) w)
set boxwidth bw * 0.9 absolute
set key outside top center horizontal maxrows 2 samplen 1.5 spacing 0.9 width -1 font ",7"
# One key entry per allocator (colour) and per collector (fill pattern), not
# one per combination: 11 entries instead of 19, readable at column width.
keys = "for [a=1:nallocs] keyentry with boxes fs solid 1.0 noborder lc rgb alloc_rgb(a) title word(allocs, a), " . \
       "for [c=1:ncolls] keyentry with boxes fs pattern coll_pattern(c) border lc rgb 'black' lc rgb 'black' title word(colls, c)"

stats file using (column("ops_per_s_lo") / 1e6) nooutput
ymin = STATS_min / 1.5
stats file using (column("ops_per_s_hi") / 1e6) nooutput
ymax = STATS_max * 1.5
stats file using "ratio_hi" nooutput
rmax = STATS_max * 1.1

do for [ext in exts] {
    eval term(ext)
    set output out("throughput", ext)
    set logscale y
    set yrange [ymin : ymax]
    set ylabel "throughput (M ops/s)"
    plot for [k=1:ncombos] file using (mine(k, xpos(k))):(column("ops_per_s_median") / 1e6) \
             with boxes fs pattern pat_of(k) border lc rgb rgb_of(k) lc rgb rgb_of(k) dt 1 lw 0.8 notitle, \
         for [k=1:ncombos] file using (mine(k, xpos(k))):(column("ops_per_s_median") / 1e6): \
             (column("ops_per_s_lo") / 1e6):(column("ops_per_s_hi") / 1e6) \
             with yerrorbars lc rgb "black" dt 1 lw 0.6 pt 7 ps 0.2 notitle, \
         @keys
    unset logscale y
    set yrange [0 : rmax]

    set output out("throughput_ratio", ext)
    set ylabel sprintf("throughput / %s (ratio of means)", base_alloc)
    plot 1 with lines lc rgb "black" dt 1 lw 0.6 notitle, \
         for [k=1:ncombos] file using (mine(k, xpos(k))):(column("ratio")) \
             with boxes fs pattern pat_of(k) border lc rgb rgb_of(k) lc rgb rgb_of(k) dt 1 lw 0.8 notitle, \
         for [k=1:ncombos] file using (mine(k, xpos(k))):(column("ratio")): \
             (column("ratio_lo")):(column("ratio_hi")) \
             with yerrorbars lc rgb "black" dt 1 lw 0.6 pt 7 ps 0.2 notitle, \
         @keys
    set output
}
