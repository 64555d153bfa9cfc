# plots/style.gp -- what every figure shares; loaded by each plots/*.gp.
#
# Okabe-Ito colours (safe for the common colour blindnesses), each with its
# own dash pattern and point shape, so a greyscale print still tells the
# lines apart.  Bars: colour = allocator, fill pattern = collector.
# Terminals: PDF at one paper column (3.5 x 2.4 in, 8 pt text) and a PNG of
# the same layout at 300 dpi.  Every script writes into dir/figures/.

if (!exists("dir")) { print "usage: gnuplot -e \"dir='results/FOLDER'\" ", ARG0; exit }
okabe = "#0072B2 #E69F00 #009E73 #D55E00 #CC79A7 #56B4E9 #000000 #F0E442"
ndash = 8
do for [i=1:8] {
    set linetype i lc rgb word(okabe, i) lw 1.2 dt i pt int(word("7 5 9 11 13 4 6 8", i)) ps 0.6
}
# A fill pattern per collector (1-based): solid (3), then hatchings.
coll_pattern(i) = int(word("3 4 5 1 6 7 2", (i - 1) % 7 + 1))
alloc_lt(i) = (i - 1) % 8 + 1
# Lines of an allocator/collector pair k (lists from summary.gp): colour by
# allocator, dash pattern and point shape by collector.
combo_rgb(k) = word(okabe, alloc_lt(int(word(combo_alloc, k))))
combo_dt(k) = (int(word(combo_coll, k)) - 1) % 5 + 1
combo_pt(k) = int(word("7 5 9 11 13 4 6 8", (int(word(combo_coll, k)) - 1) % 8 + 1))
alloc_rgb(i) = word(okabe, alloc_lt(i))

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

set border 3 lw 0.8
set tics nomirror out scale 0.6
set grid ytics lw 0.5 lc rgb "#d0d0d0"
set key noautotitle
