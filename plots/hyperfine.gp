# plots/hyperfine.gp -- whole-process time of `heapbench run` per allocator/
# collector (start-up and exit included), from hyperfine's CSV export
# (dir/hyperfine.csv, written by scripts/hyperfine.sh): mean wall time with
# whiskers of one standard deviation, as hyperfine reports them.
# Writes figures/hyperfine.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "style.gp"
file = dir . "/hyperfine.csv"

set style fill pattern 3 border
set boxwidth 0.6 relative
set yrange [0 : *]
set ylabel "wall time per process (s)"
set xtics rotate by 30 right scale 0 font ",7"
set key off

do for [ext in exts] {
    eval term(ext)
    set output out("hyperfine", ext)
    plot file using 0:"mean":xticlabels(strcol("parameter_combo")) with boxes lt 1, \
         file using 0:"mean":(column("mean") - column("stddev")):(column("mean") + column("stddev")) \
             with yerrorbars lc rgb "black" dt 1 lw 0.6 pt 7 ps 0.2
    set output
}
