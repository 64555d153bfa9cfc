# Written by heapbench claims.
claim_id = "disable-gc"
fig_title = "live bytes over the run, cycles"
x_label = "ops replayed (millions)"
y_label = "live (MiB)"
x_log = 0
y_log = 1
with_lines = 0
series_y = "live"
ngroups = 2
group_1 = "rc"
group_2 = "rc-cycle"
series_files = "run/series/pool_rc-cycle_cycles_rep1.csv run/series/pool_rc_cycles_rep1.csv"
series_titles = "rc-cycle rc"
