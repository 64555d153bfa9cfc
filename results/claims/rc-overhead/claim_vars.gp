# Written by heapbench claims.
claim_id = "rc-overhead"
fig_title = "mutator and whole-run time, gcbench"
x_label = ""
y_label = "seconds"
x_log = 0
y_log = 0
with_lines = 0
series_y = ""
ngroups = 2
group_1 = "rc"
group_2 = "mark-sweep"
series_files = ""
series_titles = ""
