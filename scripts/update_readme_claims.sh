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
scripts/readme_block.sh claims "$dir" "$frag"
echo "update_readme_claims.sh: README.md's claims block is now $dir's"
