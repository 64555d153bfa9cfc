#!/usr/bin/env bash
# Makes README.md's figures section that of the run in DIR, in one command:
# writes DIR's report and figures (heapbench report, heapbench plot), copies
# the PNGs to plots/figures/ (where README links them), and rewrites the
# README between `<!-- figures:begin DIR -->` and `<!-- figures:end -->`
# with `heapbench report DIR --markdown` followed by `scripts/compare_tables.py
# readme DIR` (heapbench's own cost, from DIR/compare/*.csv, when main.sh ran
# compare.sh parts d and e): every number there is computed from DIR's
# rows.csv, meta.json, times.csv and compare/ samples.  tests/readme_figures.sh (ctest
# readme_figures) fails when the README's text differs from what DIR gives.
#
# Usage: scripts/update_readme.sh results/FOLDER   (after scripts/main.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: scripts/update_readme.sh results/FOLDER}
dir=${dir%/}
[[ -s $dir/rows.csv ]] || { echo "update_readme.sh: $dir/rows.csv is missing or empty, expected a results folder" >&2; exit 2; }
hb=${HB_BIN:-build/release/heapbench}
if [[ ! -x $hb ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)"
fi

"$hb" report "$dir" > "$dir/report.txt"
"$hb" report "$dir" --format csv 2>/dev/null
"$hb" plot "$dir"
mkdir -p plots/figures
rm -f plots/figures/*.png
cp "$dir"/figures/*.png plots/figures/
# main.sh's time-space sweep, a folder of its own inside DIR: its figures as sweep_*.
for f in "$dir"/timespace/figures/*.png; do
  [[ -e $f ]] && cp "$f" "plots/figures/sweep_$(basename "$f")"
done

frag=$(mktemp)
trap 'rm -f "$frag" README.md.tmp' EXIT
"$hb" report "$dir" --markdown "$frag"
# heapbench's own cost (main.sh's compare.sh parts d and e, DIR/compare):
# the tables computed from its samples; nothing when the run has none.
python3 scripts/compare_tables.py readme "$dir" >> "$frag"
scripts/readme_block.sh figures "$dir" "$frag"
echo "update_readme.sh: README.md's figures section and plots/figures/ are now those of $dir"
