#!/usr/bin/env bash
# Makes README.md's claims block that of the claims run in DIR: copies
# DIR/readme_section.md (written by `heapbench claims` from the run: its
# time, its answers, its first figures) between `<!-- claims:begin DIR -->`
# and `<!-- claims:end -->`.  tests/readme_claims.sh (ctest readme_claims)
# fails when they differ or disagree with DIR/claims.md.
#
# Usage: scripts/update_readme_claims.sh results/claims-quick   (after heapbench claims)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: scripts/update_readme_claims.sh results/CLAIMS-FOLDER}
dir=${dir%/}
frag=$dir/readme_section.md
[[ -s $frag ]] || { echo "update_readme_claims.sh: $frag is missing or empty, expected a heapbench claims folder" >&2; exit 2; }
grep -q '^<!-- claims:begin ' README.md && grep -q '^<!-- claims:end -->' README.md || {
  echo "update_readme_claims.sh: README.md lacks the <!-- claims:begin DIR --> / <!-- claims:end --> markers" >&2; exit 2; }
trap 'rm -f README.md.tmp' EXIT
awk -v dir="$dir" -v frag="$frag" '
  /^<!-- claims:begin / { print "<!-- claims:begin " dir " -->"
                          while ((getline line < frag) > 0) print line
                          skip = 1; next }
  /^<!-- claims:end -->/ { skip = 0 }
  !skip { print }' README.md > README.md.tmp
mv README.md.tmp README.md
echo "update_readme_claims.sh: README.md's claims block is now $dir's"
