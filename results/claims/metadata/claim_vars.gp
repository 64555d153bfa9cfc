# Written by heapbench claims.
claim_id = "metadata"
fig_title = "bytes per object, small-objects"
x_label = ""
y_label = "bytes"
x_log = 0
y_log = 0
with_lines = 0
series_y = ""
ngroups = 2
group_1 = "header bytes (16 + collector's)"
group_2 = "peak footprint per live object"
series_files = ""
series_titles = ""
