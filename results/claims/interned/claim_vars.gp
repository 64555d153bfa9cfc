# Written by heapbench claims.
claim_id = "interned"
fig_title = "small-objects with fresh and shared int leaves"
x_label = ""
y_label = "MiB"
x_log = 0
y_log = 0
with_lines = 0
series_y = ""
ngroups = 2
group_1 = "fresh"
group_2 = "shared"
series_files = ""
series_titles = ""
