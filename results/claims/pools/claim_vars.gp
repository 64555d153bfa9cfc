# Written by heapbench claims.
claim_id = "pools"
fig_title = "small-objects under rc, relative to malloc"
x_label = ""
y_label = "relative to malloc"
x_log = 0
y_log = 0
with_lines = 0
series_y = ""
ngroups = 2
group_1 = "time"
group_2 = "peak footprint"
series_files = ""
series_titles = ""
