# Written by heapbench claims.
claim_id = "finalizers"
fig_title = "pause percentiles, cycles: no, empty and costly finalizers"
x_label = ""
y_label = "pause (ms)"
x_log = 0
y_log = 1
with_lines = 1
series_y = ""
ngroups = 6
group_1 = "rc-cycle, no finalizer"
group_2 = "rc-cycle, empty finalizer"
group_3 = "rc-cycle, costly finalizer"
group_4 = "mark-sweep, no finalizer"
group_5 = "mark-sweep, empty finalizer"
group_6 = "mark-sweep, costly finalizer"
series_files = ""
series_titles = ""
