# plots/timespace.gp -- the time-space trade-off: wall time, gc time and
# pause p99 against the heap factor (the limit over the cell's minimum
# heap, log scale), one line per allocator/collector, per workload.  Reads
# dir/timespace.csv (heapbench report); points are medians over
# repetitions, bars their distribution-free intervals of the median (the
# coverage they reached, ci_level, is printed under the title, with the
# trigger of meta.json: heap full or growth policy).  Colour is
# the allocator (style.gp), dash and point shape the collector, named in
# the key (labels at the lines' right ends overlapped wherever collectors
# tie, which at equal heap is the common case).  Rows without a
# heap factor (0) are left out.  Writes figures/timespace_{time,gc,p99}_WORK.*
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
file = dir . "/timespace.csv"

# The workloads and the combinations with heap factors, first-seen order.
col(name) = sprintf("$%s", system(sprintf("head -1 '%s' | tr , '\\n' | grep -nx '%s' | cut -d: -f1", file, name)))
distinct(name) = system(sprintf("awk -F, 'NR > 1 && %s > 0 && !seen[%s]++ {print %s}' '%s' | tr '\\n' ' '", \
                                col("heap_factor"), col(name), col(name), file))
# An awk reduction over the rows with heap factors (min or max of a column).
reduce(name, op) = real(system(sprintf("awk -F, 'NR > 1 && %s > 0 && %s != \"\" {v = %s + 0; if (n++ == 0 || v %s r) r = v} END {print n ? r : 1}' '%s'", \
                                col("heap_factor"), col(name), col(name), op, file)))
tworks = distinct("workload")
tcombos = distinct("combo")
ntc = words(tcombos)
if (words(tworks) == 0) { print "timespace.gp: no rows with heap factors in ", file; exit }
fmin = reduce("heap_factor", "<"); fmax = reduce("heap_factor", ">")
# The coverage the intervals reached (a timespace.csv older than ci_level: unknown).
has_cov = col("ci_level") ne "$"
cov_lo = has_cov ? reduce("ci_level", "<") : NaN; cov_hi = has_cov ? reduce("ci_level", ">") : NaN
cov = !has_cov ? "unknown" : (cov_lo == cov_hi ? sprintf("%.1f%%", 100 * cov_lo) : sprintf("%.1f-%.1f%%", 100 * cov_lo, 100 * cov_hi))
# What started the collections (meta.json's settings.trigger; unset: growth).
trig = system(sprintf("grep -o '\"trigger\": *\"[a-z]*\"' '%s/meta.json' 2>/dev/null | sed 's/.*: *\"//; s/\"//'", dir))
trig_text = trig eq "full" ? "collected when the heap is full (--trigger full)" : \
            "collected by growth policy (--trigger growth)"
combo_alloc_of(c) = strstrt(c, "/") > 0 ? c[1:strstrt(c, "/") - 1] : c
combo_coll_of(c) = strstrt(c, "/") > 0 ? c[strstrt(c, "/") + 1:] : c
tc_rgb(k) = alloc_color(combo_alloc_of(word(tcombos, k)))  # the allocator's colour, as everywhere
tc_dt(k) = coll_dt(combo_coll_of(word(tcombos, k)))
tc_pt(k) = coll_pt(combo_coll_of(word(tcombos, k)))
is_mine(w, k) = strcol("workload") eq word(tworks, w) && strcol("combo") eq word(tcombos, k) && \
                column("heap_factor") > 0
mine(w, k, v) = is_mine(w, k) ? v : NaN

set xlabel "heap limit / minimum heap"
set logscale x 2
set xrange [fmin / 1.08 : fmax * 1.08]
set xtics ("1" 1, "1.25" 1.25, "1.5" 1.5, "2" 2, "3" 3, "4" 4, "6" 6, "8" 8)
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
            set title sprintf("%s\n{/*0.8 %s}\n{/*0.8 medians; bars: intervals of the median (coverage %s)}", word(tworks, w), trig_text, cov) \
                font ",8" offset 0,-0.6
            plot for [k=1:ntc] file using (mine(w, k, column("heap_factor"))):(mine(w, k, column(q . "_median"))) \
                     with linespoints lc rgb tc_rgb(k) dt tc_dt(k) pt tc_pt(k) ps 0.6 lw 0.8 \
                     title word(tcombos, k), \
                 for [k=1:ntc] file using (mine(w, k, column("heap_factor"))):(mine(w, k, column(q . "_median"))): \
                     (mine(w, k, column(q . "_lo"))):(mine(w, k, column(q . "_hi"))) \
                     with yerrorbars lc rgb tc_rgb(k) pt 0 lw 0.5 notitle
            set output
        }
    }
}
