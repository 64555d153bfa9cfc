# Written by heapbench claims.
claim_id = "cycles-delay"
fig_title = "peak live bytes against the generation-0 threshold, cycles"
x_label = "generation-0 threshold"
y_label = "peak live (MiB)"
x_log = 1
y_log = 0
with_lines = 1
series_y = ""
ngroups = 2
group_1 = "rc-cycle"
group_2 = "rc (no detector)"
series_files = ""
series_titles = ""
