# plots/style.gp -- what every figure shares; loaded by each plots/*.gp.
#
# Colour is the allocator, keyed by its NAME (not its place in a run), so an
# allocator has the same colour in every figure of every run: Okabe-Ito
# colours (safe for the common colour blindnesses), each with its own dash
# pattern and point shape, so a greyscale print still tells the lines apart.
# An allocator not in the list below is drawn grey: add it here.
# Collectors are told apart by panel (small multiples: one panel per
# collector), or where they share a panel, by dash pattern keyed by name.
# Log axes are labelled as powers of ten (10^6, not 1x10^6).
# Terminals: PDF at one paper column (3.5 x 2.4 in, 8 pt text) for a single
# panel, wider for small multiples, and PNGs of the same layouts at 300 dpi.
# Every script writes into dir/figures/.

if (!exists("dir")) { print "usage: gnuplot -e \"dir='results/FOLDER'\" ", ARG0; exit }
pal_allocs = "pool malloc bump jemalloc mimalloc tcmalloc boehm snmalloc"
pal_rgb    = "#0072B2 #D55E00 #009E73 #E69F00 #CC79A7 #56B4E9 #000000 #B8A200"
pal_pt     = "7 5 9 11 13 4 6 8"
pal_colls  = "rc rc-cycle mark-sweep boehm gen-copy incremental"
pal_other  = "#888888"
# The 1-based place of name in a space-separated list, 0 when absent.
place_in(name, list, i) = i > words(list) ? 0 : (word(list, i) eq name ? i : place_in(name, list, i + 1))
alloc_color(name) = place_in(name, pal_allocs, 1) ? word(pal_rgb, place_in(name, pal_allocs, 1)) : pal_other
alloc_pt(name) = place_in(name, pal_allocs, 1) ? int(word(pal_pt, place_in(name, pal_allocs, 1))) : 1
alloc_dt(name) = place_in(name, pal_allocs, 1) ? (place_in(name, pal_allocs, 1) - 1) % 5 + 1 : 1
coll_dt(name) = place_in(name, pal_colls, 1) ? (place_in(name, pal_colls, 1) - 1) % 5 + 1 : 1
coll_pt(name) = int(word(pal_pt, (place_in(name, pal_colls, 1) + 7) % 8 + 1))
# By place in the run's lists (summary.gp: allocs, colls), for the scripts.
alloc_rgb(i) = alloc_color(word(allocs, i))
coll_pattern(i) = int(word("3 4 5 1 6 7 2", (i - 1) % 7 + 1))

set datafile separator comma
set datafile columnheaders
set datafile missing ""
fig_dir = dir . "/figures"
system("mkdir -p '" . fig_dir . "'")

pdf_term = "set terminal pdfcairo enhanced size 3.5in,2.4in font 'Helvetica,8' linewidth 1 dashlength 1.5"
png_term = "set terminal pngcairo enhanced size 1050,720 font 'Helvetica,8' fontscale 3 linewidth 3 dashlength 1.5"
# use: do for [ext in exts] { eval term(ext); set output out(name, ext); ... }
exts = "pdf png"
term(ext) = ext eq "pdf" ? pdf_term : png_term
out(name, ext) = fig_dir . "/" . name . "." . ext

# Small multiples: n panels, up to 3 a row, 2.4 x 1.9 in each, and a band
# on top (key_in inches) for the one key of the figure.
# Use: eval term_multi(ext, n); set multiplot; n_panels = n; eval key_panel;
#      then per panel k: eval panel_at(k, n); ...; plot ...; finally unset multiplot.
panel_cols(n) = n < 3 ? n : 3
panel_rows(n) = int((n + 2) / 3)
key_in = 0.6
multi_w(n) = panel_cols(n) * 2.4 + 0.2
multi_h(n) = panel_rows(n) * 1.9 + key_in
term_multi(ext, n) = ext eq "pdf" ? \
    sprintf("set terminal pdfcairo enhanced size %.2fin,%.2fin font 'Helvetica,8' linewidth 1 dashlength 1.5", multi_w(n), multi_h(n)) : \
    sprintf("set terminal pngcairo enhanced size %d,%d font 'Helvetica,8' fontscale 3 linewidth 3 dashlength 1.5", int(multi_w(n) * 300), int(multi_h(n) * 300))
# Panels placed by hand (not `layout`), so that the key can have a plot of
# its own across the whole width: eval panel_at(k, n) before panel k of n.
key_frac(n) = key_in / multi_h(n)
panel_at(k, n) = sprintf("set origin %.4f,%.4f; set size %.4f,%.4f", \
    ((k - 1) % panel_cols(n)) * 1.0 / panel_cols(n), \
    (panel_rows(n) - 1 - int((k - 1) / panel_cols(n))) * (1 - key_frac(n)) / panel_rows(n), \
    1.0 / panel_cols(n), (1 - key_frac(n)) / panel_rows(n))
# eval key_panel: the figure's key (the plot elements in key_items, a
# string of `keyentry ...` clauses) and one line of text (key_note) in the
# band above the panels; restores what it changed.
key_panel = 'set origin 0, 1 - key_frac(n_panels); set size 1, key_frac(n_panels); ' . \
    'unset logscale; unset border; unset xtics; unset ytics; unset xlabel; unset ylabel; unset title; unset grid; ' . \
    'set lmargin 0; set rmargin 0; set tmargin 0; set bmargin 0; ' . \
    'set key at graph 0.5, graph 0.98 center top horizontal maxrows 2 samplen 1.5 spacing 0.9 width 0 font ",7"; ' . \
    'set label 1 key_note at graph 0.5, graph 0.08 center font ",7"; ' . \
    'plot [0:1] [0:1] NaN notitle, @key_items; ' . \
    'unset label 1; set key off; set border 3 lw 0.8; set xtics; set ytics; set tics nomirror out scale 0.6; set grid ytics; ' . \
    'unset lmargin; unset rmargin; unset tmargin; unset bmargin'

set border 3 lw 0.8
set tics nomirror out scale 0.6
set grid ytics lw 0.5 lc rgb "#d0d0d0"
set key noautotitle
pow10 = "10^{%T}"
# Tics of a log axis from t_lo to t_hi (set t_ax, t_lo, t_hi, then
# eval mk_log_tics): each power of ten as "10^{k}" and, when the axis spans
# under two decades, 2 and 5 times each as "2×10^{k}", so that a narrow
# axis still has labels.
mk_log_tics = 'tl = ""; do for [k=floor(log10(t_lo)):ceil(log10(t_hi))] { tl = tl . sprintf("\"10^{%d}\" %g,", k, 10.0**k); if (log10(t_hi / t_lo) < 2) { tl = tl . sprintf("\"2×10^{%d}\" %g, \"5×10^{%d}\" %g,", k, 2 * 10.0**k, k, 5 * 10.0**k) } }; eval "set " . t_ax . "tics (" . tl[1:strlen(tl) - 1] . ")"'
# The x tics of a per-workload axis: the workloads' names at 1..nworks.
mk_work_tics = 'tl = ""; do for [w=1:nworks] { tl = tl . sprintf("\"%s\" %d,", word(works, w), w) }; eval "set xtics (" . tl[1:strlen(tl) - 1] . ")"'
