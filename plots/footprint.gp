# plots/footprint.gp -- memory held from the OS (footprint) and live bytes
# over the server workload, one footprint line per allocator, under one
# collector (fig_coll in summary.gp: the baseline's, or the first).
# Reads the series files listed in dir/summary.gp (repetition 1 of each).
# The x axis is ops replayed, so every allocator is at the same point of the
# same program; live bytes are the same program's, drawn once (black, dashed).
# Colour is the allocator's, keyed by name (plots/style.gp).
# Writes figures/footprint_server.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
load dir . "/summary.gp"
if (words(fp_files) == 0) { print "footprint.gp: no series files of the server workload in ", dir, " (heapbench matrix --series)"; exit }

MiB = 1048576.0
set xlabel "ops replayed (millions)"
set ylabel "MiB"
set format y pow10
set key inside right bottom samplen 2 spacing 0.9 font ",7"
# Log scale: bump, which never reuses memory, would flatten every other line.
set logscale y
set yrange [1:*]

do for [ext in exts] {
    eval term(ext)
    set output out("footprint_server", ext)
    set title sprintf("server workload, collector %s", fig_coll) font ",8" offset 0,-0.6
    plot for [f=1:words(fp_files)] dir . "/" . word(fp_files, f) using (column("ops") / 1e6):(column("footprint_bytes") / MiB) \
             with lines lc rgb alloc_color(word(fp_titles, f)) dt 1 lw 1.2 title word(fp_titles, f) . " footprint", \
         dir . "/" . word(fp_files, 1) using (column("ops") / 1e6):(column("live_bytes") / MiB) \
             with lines lc rgb "black" dt 2 lw 1 title "live bytes"
    set output
}
