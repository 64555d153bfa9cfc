# plots/threads.gp -- scalability and blow-up of the allocator workloads
# (larson, xmalloc, cache-scratch, threaded traces: collector "none") run on
# several thread counts: one panel per workload, a line per allocator,
# against the thread count.
# Reads dir/summary.csv (a cell per thread count, heapbench report --format
# csv); draws only when some cell ran on more than one thread.
# Writes figures/threads.{pdf,png} (median ops/s of all threads together)
# and figures/threads_footprint.{pdf,png} (median peak footprint); whiskers:
# the distribution-free interval of the median (coverage printed).
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
file = dir . "/summary.csv"

# Workloads with a cell on more than one thread, and the allocators of
# those workloads' cells, in order of first appearance.
awk_cols = "NR==1{for(i=1;i<=NF;i++)c[$i]=i;next} "
twork_cmd = "awk -F, '" . awk_cols . "$c[\"collector\"]==\"none\" && $c[\"threads\"]>1 && !s[$c[\"workload\"]]++ {printf \"%s \", $c[\"workload\"]}' '" . file . "'"
tworks = system(twork_cmd)
if (words(tworks) == 0) { print "threads.gp: no cell in ", file, " ran on more than one thread"; exit }
talloc_cmd = "awk -F, '" . awk_cols . "$c[\"collector\"]==\"none\" && !s[$c[\"allocator\"]]++ {printf \"%s \", $c[\"allocator\"]}' '" . file . "'"
tallocs = system(talloc_cmd)
tmax = real(system("awk -F, '" . awk_cols . "$c[\"collector\"]==\"none\" && $c[\"threads\"]>m {m=$c[\"threads\"]} END {print m}' '" . file . "'"))

mine(w, a, v) = (strcol("collector") eq "none" && strcol("workload") eq w && \
                 strcol("allocator") eq word(tallocs, a) && column("n_ok") > 0) ? v : NaN
xat(a) = column("threads") * (1 + (a - (words(tallocs) + 1) / 2.0) * 0.03) # side by side

key_items = "for [a=1:words(tallocs)] keyentry with linespoints lc rgb alloc_color(word(tallocs, a)) pt alloc_pt(word(tallocs, a)) ps 0.5 title word(tallocs, a)"
key_note = "lines: medians; whiskers: intervals of the median (coverage " . median_cov . ")"

do for [fig in "threads threads_footprint"] {
    tp = fig eq "threads"
    q = tp ? "ops_per_s" : "peak_footprint_bytes"
    sc = tp ? 1e6 : 1048576.0
    n_panels = words(tworks)
    do for [ext in exts] {
        eval term_multi(ext, n_panels)
        set output out(fig, ext)
        set multiplot
        eval key_panel
        do for [k=1:n_panels] {
            w = word(tworks, k)
            eval panel_at(k, n_panels)
            set title w font ",8" offset 0,-0.8
            set logscale x 2
            set xrange [0.8 : tmax * 1.25]
            set xtics 2 font ",7"
            set xlabel "threads" offset 0,0.6
            set ylabel (tp ? "M ops/s (all threads)" : "peak footprint (MiB)") offset 1,0
            set autoscale y
            set yrange [0 : *]
            plot for [a=1:words(tallocs)] file \
                     using (mine(w, a, xat(a))):(mine(w, a, column(q . "_median") / sc)) smooth unique \
                     with lines lc rgb alloc_color(word(tallocs, a)) lw 0.8 notitle, \
                 for [a=1:words(tallocs)] file \
                     using (mine(w, a, xat(a))):(mine(w, a, column(q . "_median") / sc)): \
                           (mine(w, a, column(q . "_lo") / sc)):(mine(w, a, column(q . "_hi") / sc)) \
                     with yerrorbars lc rgb alloc_color(word(tallocs, a)) pt alloc_pt(word(tallocs, a)) \
                     ps 0.4 lw 0.6 notitle
        }
        unset multiplot
        set output
    }
}
