# plots/frag.gp -- fragmentation per allocator per workload: peak footprint
# over peak live bytes (1 + frag_jw4_peaks, Johnstone & Wilson's measure 4), one
# bar per allocator under one collector (fig_coll in summary.gp), log scale.
# Reads dir/summary.csv; bars are medians over repetitions, whiskers their
# distribution-free intervals (their coverage in the key).  Writes figures/frag.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/summary.csv"

bw = 0.8 / nallocs
xpos(a) = column("work_idx") + 1 + (a - 1 - (nallocs - 1) / 2.0) * bw
# one-thread cells (threads.gp draws the others)
mine(a, v) = (strcol("allocator") eq word(allocs, a) && strcol("collector") eq fig_coll && \
              column("threads") <= 1) ? v : NaN

set xrange [0.5 : nworks + 0.5]
set xtics scale 0 font ",7"
set for [w=1:nworks] xtics add (word(works, w) w)
set boxwidth bw * 0.9 absolute
set logscale y
set ylabel "peak footprint / peak live"
set format y "%g"
set key outside top center horizontal maxrows 2 samplen 1.5 font ",7"

do for [ext in exts] {
    eval term(ext)
    set output out("frag", ext)
    set title sprintf("collector %s", fig_coll) font ",8" offset 0,-0.6
    plot 1 with lines lc rgb "black" lw 0.6 notitle, \
         for [a=1:nallocs] file using (mine(a, xpos(a))):(1 + column("frag_jw4_peaks_median")) \
             with boxes fs solid 1.0 noborder lc rgb alloc_rgb(a) title word(allocs, a), \
         for [a=1:nallocs] file using (mine(a, xpos(a))):(1 + column("frag_jw4_peaks_median")): \
             (1 + column("frag_jw4_peaks_lo")):(1 + column("frag_jw4_peaks_hi")) \
             with yerrorbars lc rgb "black" lw 0.6 pt 7 ps 0.2 notitle, \
         keyentry with yerrorbars lc rgb "black" pt 7 ps 0.2 title "interval of the median (coverage " . median_cov . ")"
    set output
}
