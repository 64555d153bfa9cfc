# plots/claims/series.gp -- a claim's time-series figure (heapbench claims):
# one line per cell over the ops replayed, from repetition 1's series file:
# footprint over live bytes (series_y "ratio") or live bytes in MiB ("live").
# Reads dir/claim_vars.gp (series_files, series_titles relative to dir,
# title, labels, y_log); writes dir/figures/<claim_id>.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "../style.gp"
load dir . "/claim_vars.gp"
if (words(series_files) == 0) { print "series.gp: no series files listed in ", dir, "/claim_vars.gp"; exit }

MiB = 1048576.0
grp_rgb = "#0072B2 #D55E00 #009E73 #E69F00 #CC79A7 #56B4E9 #000000 #B8A200"
tcolor(f) = place_in(word(series_titles, f), pal_allocs, 1) ? alloc_color(word(series_titles, f)) : word(grp_rgb, (f - 1) % 8 + 1)
yval(live, fp) = series_y eq "ratio" ? (live > 0 ? fp / live : NaN) : live / MiB

set title fig_title font ",8" offset 0,-0.6
set xlabel x_label
set ylabel y_label
set key inside left top samplen 2 spacing 0.9 font ",7"
if (y_log) { set logscale y }

do for [ext in exts] {
    eval term(ext)
    set output out(claim_id, ext)
    plot for [f=1:words(series_files)] dir . "/" . word(series_files, f) \
             using (column("ops") / 1e6):(yval(column("live_bytes"), column("footprint_bytes"))) \
             with lines lc rgb tcolor(f) dt alloc_dt(word(series_titles, f)) lw 1.2 title word(series_titles, f)
    set output
}
