#!/usr/bin/env bash
# tests/readme_claims.sh -- README.md's claims block is the committed claims
# run's: the text between `<!-- claims:begin DIR -->` and `<!-- claims:end -->`
# is DIR/readme_section.md (written by `heapbench claims` from the run), its
# answers and time are those of DIR/claims.md (the same run's report), every
# claim of the report is in it, and every figure it shows exists.
# scripts/update_readme_claims.sh DIR rewrites it.  Usage: readme_claims.sh SOURCE_DIR
set -euo pipefail
cd "$1"
dir=$(sed -n 's/^<!-- claims:begin \(.*\) -->$/\1/p' README.md)
[[ -n $dir ]] || { echo "README.md has no <!-- claims:begin DIR --> marker"; exit 1; }
[[ -s $dir/readme_section.md && -s $dir/claims.md ]] || { echo "$dir has no readme_section.md or claims.md"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^<!-- claims:begin / { on = 1; next } /^<!-- claims:end -->/ { on = 0 } on' README.md > "$tmp/have.md"
if ! diff -u "$dir/readme_section.md" "$tmp/have.md"; then
  echo "README.md's claims block is not $dir/readme_section.md (- the run's, + README); run scripts/update_readme_claims.sh $dir"
  exit 1
fi
# The same answers and times as the report: rows "| [title](...) | answer | time |".
rows() { sed -n 's/^| \[\([^]]*\)\]([^)]*) | \(.*\) |$/\1 | \2/p' "$1"; }
rows "$dir/claims.md" > "$tmp/report"
rows "$tmp/have.md" > "$tmp/readme"
[[ -s $tmp/report ]] || { echo "$dir/claims.md has no summary table"; exit 1; }
if ! diff -u "$tmp/report" "$tmp/readme"; then
  echo "README.md's claims table differs from $dir/claims.md's (- report, + README)"
  exit 1
fi
n=$(grep -c '^<a id="' "$dir/claims.md")
[[ $(wc -l < "$tmp/readme") -eq $n ]] || { echo "README.md's claims table has not every one of the $n claims"; exit 1; }
took=$(grep -o 'The runs took [^(]*' "$dir/claims.md")
grep -qF "$took" "$tmp/have.md" || { echo "README.md's claims block does not state the run's time ($took)"; exit 1; }
fail=0
for f in $(grep -o '([^)]*\.png)' "$tmp/have.md" | tr -d '()' | sort -u); do
  [[ -s $f ]] || { echo "README shows $f, which is missing"; fail=1; }
done
[[ $fail == 0 ]] && echo "readme_claims: README.md's claims block is $dir's ($n claims)"
exit $fail
