# Written by heapbench claims.
claim_id = "finalizers"
fig_title = "pause percentiles with and without finalizers, cycles"
x_label = ""
y_label = "pause (ms)"
x_log = 0
y_log = 1
with_lines = 1
series_y = ""
ngroups = 4
group_1 = "rc-cycle, finalizers"
group_2 = "rc-cycle, none"
group_3 = "mark-sweep, finalizers"
group_4 = "mark-sweep, none"
series_files = ""
series_titles = ""
