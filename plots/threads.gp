# plots/threads.gp -- scalability and blow-up of the allocator workloads run
# on several thread counts (larson, xmalloc, cache-scratch, threaded traces):
# per workload, mean ops/s (left) and mean peak footprint (right) against
# the thread count, one line per allocator.
# Reads dir/rows.csv directly (summary.csv groups cells without the thread
# count); rows with collector "none" and status ok only.
# Writes figures/threads_<workload>.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
file = dir . "/rows.csv"

# The threaded workloads and allocators present, in order of first appearance.
works = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)c[$i]=i;next} $c[\"collector\"]==\"none\" && !s[$c[\"workload\"]]++ {printf \"%s \", $c[\"workload\"]}' '" . file . "'")
allocs = system("awk -F, 'NR==1{for(i=1;i<=NF;i++)c[$i]=i;next} $c[\"collector\"]==\"none\" && !s[$c[\"allocator\"]]++ {printf \"%s \", $c[\"allocator\"]}' '" . file . "'")
if (words(works) == 0) { print "threads.gp: no allocator-workload rows in ", file; exit }

ok(w, a) = strcol("collector") eq "none" && strcol("status") eq "ok" && \
           strcol("workload") eq w && strcol("allocator") eq a
set key outside top center horizontal font ",7" samplen 1.5
set xlabel "threads"
set xtics 1
set logscale y

do for [wi=1:words(works)] {
    w = word(works, wi)
    do for [ext in exts] {
        eval term(ext)
        set output out("threads_" . w, ext)
        set multiplot layout 1, 2 title w font ",8"
        set ylabel "throughput (M ops/s)"
        plot for [ai=1:words(allocs)] file \
             using (column("threads")):(ok(w, word(allocs, ai)) ? column("ops_per_s") / 1e6 : 1/0) \
             smooth unique with linespoints lt ai title word(allocs, ai)
        set ylabel "peak footprint (MiB)"
        plot for [ai=1:words(allocs)] file \
             using (column("threads")):(ok(w, word(allocs, ai)) ? column("peak_footprint_bytes") / 1048576.0 : 1/0) \
             smooth unique with linespoints lt ai notitle
        unset multiplot
        set output
    }
}
