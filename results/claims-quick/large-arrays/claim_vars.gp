# Written by heapbench claims.
claim_id = "large-arrays"
fig_title = "where large-arrays' bytes go"
x_label = ""
y_label = "MiB"
x_log = 0
y_log = 0
with_lines = 0
series_y = ""
ngroups = 1
group_1 = "MiB"
series_files = ""
series_titles = ""
