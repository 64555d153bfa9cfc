# Written by heapbench claims.
claim_id = "large-arrays"
fig_title = "large-arrays: footprint by path, and bytes requested"
x_label = ""
y_label = "MiB"
x_log = 0
y_log = 0
with_lines = 0
series_y = ""
ngroups = 2
group_1 = "peak footprint (MiB)"
group_2 = "bytes allocated (MiB)"
series_files = ""
series_titles = ""
