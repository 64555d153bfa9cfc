# plots/claims/intervals.gp -- a claim's figure (heapbench claims): medians
# with the interval of the median, one colour per group (a line or a row of
# points), at numeric x (a sweep, log axis with x_log) or at categories
# (tic labels from the xlabel column).
# Reads dir/claim.csv (group,gi,x,xlabel,median,lo,hi) and dir/claim_vars.gp
# (title, axis labels, x_log, y_log, with_lines, ngroups, group_<k>), both
# written by heapbench claims; writes dir/figures/<claim_id>.{pdf,png}.
sdir = ARG0; i = strlen(sdir); while (i > 0 && sdir[i:i] ne "/") { i = i - 1 }
load (i > 0 ? sdir[1:i] : "") . "../style.gp"
load dir . "/claim_vars.gp"
file = dir . "/claim.csv"
set datafile separator comma

# A group's colour: an allocator's own (style.gp) when the group is named
# after one, else the Okabe-Ito colours by place.
grp_rgb = "#0072B2 #D55E00 #009E73 #E69F00 #CC79A7 #56B4E9 #000000 #B8A200"
gname(k) = value(sprintf("group_%d", k))
gcolor(k) = place_in(gname(k), pal_allocs, 1) ? alloc_color(gname(k)) : word(grp_rgb, (k - 1) % 8 + 1)
# Groups side by side at one x: a small shift each (a factor on a log axis).
shift(k) = (k - (ngroups + 1) / 2.0) * (ngroups > 1 ? 0.6 / ngroups : 0)
xpos(x, k) = x_log ? x * 10 ** (shift(k) * 0.25) : x + shift(k)
sel(k, v) = column("gi") == k ? v : NaN

set title fig_title font ",8" offset 0,-0.6
set xlabel x_label
set ylabel y_label
set key outside top center horizontal samplen 1.5 spacing 0.9 font ",6" maxrows 3
if (x_log) { set logscale x; set format x pow10 }
if (y_log) { set logscale y }
if (!x_log) { set offsets 0.5, 0.5, 0, 0; set xtics font ",6" }
set grid ytics

do for [ext in exts] {
    eval term(ext)
    set output out(claim_id, ext)
    if (x_log) {
        plot for [k=1:ngroups] file using (xpos(column("x"), k)):(sel(k, column("median"))):"lo":"hi" \
                 with yerrorbars lc rgb gcolor(k) pt 7 ps 0.4 lw 0.8 title gname(k), \
             for [k=1:ngroups] file using (xpos(column("x"), k)):(sel(k, column("median"))) \
                 with lines lc rgb gcolor(k) lw 1 notitle
    } else {
        if (with_lines) {
            plot file using "x":(NaN):xtic(4) notitle, \
                 for [k=1:ngroups] file using (xpos(column("x"), k)):(sel(k, column("median"))):"lo":"hi" \
                     with yerrorbars lc rgb gcolor(k) pt 7 ps 0.4 lw 0.8 title gname(k), \
                 for [k=1:ngroups] file using (xpos(column("x"), k)):(sel(k, column("median"))) \
                     with lines lc rgb gcolor(k) lw 1 notitle
        } else {
            plot file using "x":(NaN):xtic(4) notitle, \
                 for [k=1:ngroups] file using (xpos(column("x"), k)):(sel(k, column("median"))):"lo":"hi" \
                     with yerrorbars lc rgb gcolor(k) pt 7 ps 0.6 lw 0.8 title gname(k)
        }
    }
    set output
}
