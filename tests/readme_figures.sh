#!/usr/bin/env bash
# tests/readme_figures.sh -- README.md's figures section is the committed
# run's: regenerates it from the results folder named in the
# `<!-- figures:begin DIR -->` marker (heapbench report DIR --markdown, then
# scripts/compare_tables.py readme DIR for heapbench's own cost) and
# fails when the README's text between the markers differs, or when a figure
# it links is missing from plots/figures/.  scripts/update_readme.sh DIR
# rewrites it.  Usage: readme_figures.sh HEAPBENCH SOURCE_DIR
set -euo pipefail
hb=$1
cd "$2"
dir=$(sed -n 's/^<!-- figures:begin \(.*\) -->$/\1/p' README.md)
[[ -n $dir ]] || { echo "README.md has no <!-- figures:begin DIR --> marker"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$hb" report "$dir" --markdown "$tmp/want.md"
python3 scripts/compare_tables.py readme "$dir" >> "$tmp/want.md"
awk '/^<!-- figures:begin / { on = 1; next } /^<!-- figures:end -->/ { on = 0 } on' README.md > "$tmp/have.md"
if ! diff -u "$tmp/want.md" "$tmp/have.md"; then
  echo "README.md's figures section is not what $dir gives (- computed, + README); run scripts/update_readme.sh $dir"
  exit 1
fi
fail=0
for f in $(grep -o 'plots/figures/[A-Za-z0-9_.-]*\.png' "$tmp/have.md" | sort -u); do
  [[ -s $f ]] || { echo "README links $f, which is missing"; fail=1; }
done
[[ $fail == 0 ]] && echo "readme_figures: README.md's figures section is $dir's"
exit $fail
