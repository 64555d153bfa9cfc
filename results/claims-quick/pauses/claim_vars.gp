# Written by heapbench claims.
claim_id = "pauses"
fig_title = "pause percentiles, server"
x_label = ""
y_label = "pause (ms)"
x_log = 0
y_log = 1
with_lines = 1
series_y = ""
ngroups = 6
group_1 = "rc"
group_2 = "rc-cycle"
group_3 = "mark-sweep"
group_4 = "incremental"
group_5 = "gen-copy"
group_6 = "boehm"
series_files = ""
series_titles = ""
