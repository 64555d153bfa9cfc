# Written by heapbench claims.
claim_id = "fragmentation"
fig_title = "footprint over live bytes, server, rc"
x_label = "ops replayed (millions)"
y_label = "footprint / live"
x_log = 0
y_log = 1
with_lines = 0
series_y = "ratio"
ngroups = 1
group_1 = "growth"
series_files = "run/series/bump_rc_server_rep1.csv run/series/jemalloc_rc_server_rep1.csv run/series/malloc_rc_server_rep1.csv run/series/mimalloc_rc_server_rep1.csv run/series/pool_rc_server_rep1.csv run/series/tcmalloc_rc_server_rep1.csv"
series_titles = "bump jemalloc malloc mimalloc pool tcmalloc"
