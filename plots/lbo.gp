# plots/lbo.gp -- the lower-bound overhead, time against space, per
# workload: one point per allocator x collector x heap factor (colour the
# allocator, shape the collector; each point labelled with its heap factor
# when it has one), medians over repetitions with intervals of the median
# both ways (the coverage they reached, ci_level, printed under the
# title), and the Pareto front (the points no other point beats in both
# time and space) drawn through them as a staircase.  LBO = cost over the
# workload's least measured memory-management cost (results/README.md,
# timespace.csv).  Reads dir/timespace.csv.  Writes figures/lbo_WORK.*
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
file = dir . "/timespace.csv"

col(name) = sprintf("$%s", system(sprintf("head -1 '%s' | tr , '\\n' | grep -nx '%s' | cut -d: -f1", file, name)))
distinct(name) = system(sprintf("awk -F, 'NR > 1 && !seen[%s]++ {print %s}' '%s' | tr '\\n' ' '", \
                                col(name), col(name), file))
reduce(name, op) = real(system(sprintf("awk -F, 'NR > 1 && %s != \"\" {v = %s + 0; if (n++ == 0 || v %s r) r = v} END {print n ? r : 0}' '%s'", \
                                col(name), col(name), op, file)))
tworks = distinct("workload")
tcombos = distinct("combo")
ntc = words(tcombos)
# The coverage the intervals reached (a timespace.csv older than ci_level: unknown).
has_cov = col("ci_level") ne "$"
cov_lo = has_cov ? reduce("ci_level", "<") : NaN; cov_hi = has_cov ? reduce("ci_level", ">") : NaN
cov = !has_cov ? "unknown" : (cov_lo == cov_hi ? sprintf("%.1f%%", 100 * cov_lo) : sprintf("%.1f-%.1f%%", 100 * cov_lo, 100 * cov_hi))
combo_alloc_of(c) = strstrt(c, "/") > 0 ? c[1:strstrt(c, "/") - 1] : c
combo_coll_of(c) = strstrt(c, "/") > 0 ? c[strstrt(c, "/") + 1:] : c
tc_rgb(k) = alloc_color(combo_alloc_of(word(tcombos, k)))  # the allocator's colour, as everywhere
tc_pt(k) = coll_pt(combo_coll_of(word(tcombos, k)))
mine(w, k, v) = (strcol("workload") eq word(tworks, w) && strcol("combo") eq word(tcombos, k)) ? v : NaN
in_work(w, v) = strcol("workload") eq word(tworks, w) ? v : NaN
factor_label(f) = f > 0 ? sprintf("%g", f) : ""
# The front of workload w: by space ascending, each point faster than all before it
# (with a header line: style.gp reads the first line of data as column names).
front(w) = sprintf("< awk -F, 'NR > 1 && %s == \"%s\" && %s != \"\" && %s != \"\" {print %s \",\" %s}' '%s' | sort -t, -g -k1,1 -k2,2 | awk -F, 'BEGIN {print \"space,time\"} NR == 1 || $2 < best {print; best = $2}'", \
                   col("workload"), word(tworks, w), col("lbo_space_median"), col("lbo_time_median"), \
                   col("lbo_space_median"), col("lbo_time_median"), file)

set xlabel "space overhead (footprint / least live - 1)"
set ylabel "time overhead (LBO)"
set key outside top center horizontal samplen 1 font ",6" maxrows 3
set datafile separator comma

do for [w=1:words(tworks)] {
    do for [ext in exts] {
        eval term(ext)
        set output out(sprintf("lbo_%s", word(tworks, w)), ext)
        set title sprintf("%s\n{/*0.8 bars: intervals of the median (coverage %s); labels: heap factor}", \
                          word(tworks, w), cov) font ",8" offset 0,-0.6
        plot front(w) using 1:2 with steps lc rgb "#909090" dt 1 lw 2 title "Pareto front", \
             for [k=1:ntc] file using (mine(w, k, column("lbo_space_median"))):(mine(w, k, column("lbo_time_median"))): \
                 (mine(w, k, column("lbo_space_lo"))):(mine(w, k, column("lbo_space_hi"))):(mine(w, k, column("lbo_time_lo"))):(mine(w, k, column("lbo_time_hi"))) \
                 with xyerrorbars lc rgb tc_rgb(k) pt tc_pt(k) ps 0.7 lw 0.5 title word(tcombos, k), \
             file using (in_work(w, column("lbo_space_median"))):(in_work(w, column("lbo_time_median"))): \
                 (factor_label(column("heap_factor"))) with labels left offset 0.4,0.35 font ",4" tc rgb "#404040" notitle
        set output
    }
}
