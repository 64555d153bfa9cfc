# plots/throughput.gp -- throughput per workload, one panel per collector,
# one bar per allocator (colour keyed by name, plots/style.gp), and the same
# as a speed-up over the baseline allocator.
# Reads dir/summary.csv and dir/summary.gp (heapbench report --format csv).
# Writes figures/throughput.{pdf,png} (median ops/s, whiskers: the
# distribution-free interval of the median, its coverage printed under the
# key) and figures/throughput_ratio.{pdf,png} (speed-up = mean wall time of
# the baseline over the cell's, whiskers: 95% Fieller interval; panels only
# for collectors that have a baseline cell).
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/summary.csv"

bw = 0.84 / nallocs
xpos(a) = column("work_idx") + 1 + (a - 1 - (nallocs - 1) / 2.0) * bw
# one-thread cells (threads.gp draws the others)
mine(cn, a, v) = (strcol("collector") eq cn && strcol("allocator") eq word(allocs, a) && \
                  column("threads") <= 1) ? v : NaN

stats file using (column("ops_per_s_lo")) nooutput
ymin = STATS_min / 1.5
stats file using (column("ops_per_s_hi")) nooutput
ymax = STATS_max * 1.5
stats file using (column("speedup_hi") > column("speedup") ? column("speedup_hi") : column("speedup")) nooutput
rmax = STATS_max * 1.1

key_items = "for [a=1:nallocs] keyentry with boxes fs solid 1.0 noborder lc rgb alloc_rgb(a) title word(allocs, a)"
note_tp = "bars: medians; whiskers: intervals of the median (coverage " . median_cov . ")"
note_sp = "speed-up = ratio of mean wall times (" . base_alloc . "'s over the cell's); whiskers: Fieller " . speedup_cov . " intervals"

do for [fig in "throughput throughput_ratio"] {
    tp = fig eq "throughput"
    pcolls = tp ? colls : sp_colls
    n_panels = words(pcolls)
    key_note = tp ? note_tp : note_sp
    do for [ext in exts] {
        eval term_multi(ext, n_panels)
        set output out(fig, ext)
        set multiplot
        eval key_panel
        do for [c=1:n_panels] {
            cn = word(pcolls, c)
            eval panel_at(c, n_panels)
            set title cn font ",8" offset 0,-0.8
            set xrange [0.5 : nworks + 0.5]
            eval mk_work_tics
            set xtics scale 0 font ",7" rotate by 20 right offset 0,0.2
            set boxwidth bw * 0.9 absolute
            set style fill solid 1.0 noborder
            if (tp) {
                set logscale y
                t_ax = "y"; t_lo = ymin; t_hi = ymax
                eval mk_log_tics
                set yrange [ymin : ymax]
                set ylabel "ops/s" offset 1,0
                plot for [a=1:nallocs] file using (mine(cn, a, xpos(a))):(column("ops_per_s_median")) \
                         with boxes lc rgb alloc_rgb(a) notitle, \
                     for [a=1:nallocs] file using (mine(cn, a, xpos(a))):(column("ops_per_s_median")): \
                         (column("ops_per_s_lo")):(column("ops_per_s_hi")) \
                         with yerrorbars lc rgb "black" lw 0.6 pt 7 ps 0.15 notitle
            } else {
                unset logscale y
                set ytics autofreq
                set format y "%g"
                set yrange [0 : rmax]
                set ylabel sprintf("speed-up over %s", base_alloc) offset 1,0
                plot 1 with lines lc rgb "black" lw 0.6 notitle, \
                     for [a=1:nallocs] file using (mine(cn, a, xpos(a))):(column("speedup")) \
                         with boxes lc rgb alloc_rgb(a) notitle, \
                     for [a=1:nallocs] file using (mine(cn, a, xpos(a))):(column("speedup")): \
                         (column("speedup_lo")):(column("speedup_hi")) \
                         with yerrorbars lc rgb "black" lw 0.6 pt 7 ps 0.15 notitle
            }
        }
        unset multiplot
        set output
    }
}
