# plots/lbo.gp -- the lower-bound overhead, time against space, per
# workload: one point per allocator x collector x heap factor (colour and
# shape by allocator/collector), medians over repetitions with 95%
# intervals both ways, and the Pareto front (the points no other point
# beats in both time and space) drawn through them.  LBO = cost over the
# workload's least measured memory-management cost (results/README.md,
# timespace.csv).  Reads dir/timespace.csv.  Writes figures/lbo_WORK.*
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
file = dir . "/timespace.csv"

col(name) = sprintf("$%s", system(sprintf("head -1 '%s' | tr , '\\n' | grep -nx '%s' | cut -d: -f1", file, name)))
distinct(name) = system(sprintf("awk -F, 'NR > 1 && !seen[%s]++ {print %s}' '%s' | tr '\\n' ' '", \
                                col(name), col(name), file))
tworks = distinct("workload")
tcombos = distinct("combo")
ntc = words(tcombos)
combo_alloc_of(c) = strstrt(c, "/") > 0 ? c[1:strstrt(c, "/") - 1] : c
tc_rgb(k) = alloc_color(combo_alloc_of(word(tcombos, k)))  # the allocator's colour, as everywhere
tc_pt(k) = int(word("7 5 9 11 13 4 6 8", (k - 1) % 8 + 1))
mine(w, k, v) = (strcol("workload") eq word(tworks, w) && strcol("combo") eq word(tcombos, k)) ? v : NaN
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
        set title word(tworks, w) font ",8" offset 0,-0.6
        plot front(w) using 1:2 with steps lc rgb "#808080" dt 2 lw 0.8 title "Pareto front", \
             for [k=1:ntc] file using (mine(w, k, column("lbo_space_median"))):(column("lbo_time_median")): \
                 (column("lbo_space_lo")):(column("lbo_space_hi")):(column("lbo_time_lo")):(column("lbo_time_hi")) \
                 with xyerrorbars lc rgb tc_rgb(k) pt tc_pt(k) ps 0.5 lw 0.5 title word(tcombos, k)
        set output
    }
}
