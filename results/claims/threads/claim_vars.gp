# Written by heapbench claims.
claim_id = "threads"
fig_title = "larson allocation throughput"
x_label = ""
y_label = "Mops/s"
x_log = 0
y_log = 0
with_lines = 0
series_y = ""
ngroups = 2
group_1 = "one mutator (GIL model)"
group_2 = "two threads (free-threaded)"
series_files = ""
series_titles = ""
