#!/usr/bin/env bash
# Replaces README.md's block NAME, between `<!-- NAME:begin ... -->` and
# `<!-- NAME:end -->`, with FILE, the begin marker naming DIR: the one way
# the README's generated blocks are written (scripts/update_readme.sh,
# scripts/update_readme_claims.sh).  Usage: scripts/readme_block.sh NAME DIR FILE
set -euo pipefail
name=${1:?usage: readme_block.sh NAME DIR FILE} dir=${2:?} frag=${3:?}
grep -q "^<!-- $name:begin " README.md && grep -q "^<!-- $name:end -->" README.md || {
  echo "readme_block.sh: README.md lacks the <!-- $name:begin DIR --> / <!-- $name:end --> markers" >&2; exit 2; }
awk -v name="$name" -v dir="$dir" -v frag="$frag" '
  index($0, "<!-- " name ":begin ") == 1 { print "<!-- " name ":begin " dir " -->"
                                            while ((getline line < frag) > 0) print line
                                            skip = 1; next }
  $0 == "<!-- " name ":end -->" { skip = 0 }
  !skip { print }' README.md > README.md.tmp
mv README.md.tmp README.md
