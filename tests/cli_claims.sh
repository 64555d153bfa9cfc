#!/bin/sh
# tests/cli_claims.sh HEAPBENCH -- `heapbench claims --quick` at a tiny scale
# (HB_CLAIMS_SCALE): every claim of the report has a section with a computed
# answer, and every measured one its figure (PDF and PNG, not empty), its
# points, the rows of every run it lists and a measured number; the report
# states its time and the README block (readme_section.md) is written; a rerun
# resumes (runs nothing again, same answers); bad input exits 2 with a
# message and writes nothing.
set -u
HB=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$HB" claims --bogus 2>"$T/err"; [ $? -eq 2 ] || fail "unknown option not exit 2"
grep -q "unknown option '--bogus'" "$T/err" || fail "no message naming --bogus: $(cat "$T/err")"
: >"$T/file"
"$HB" claims --quick --out "$T/file/sub" 2>"$T/err"; [ $? -eq 2 ] || fail "--out under a file not exit 2"
grep -q "bad --out" "$T/err" || fail "no message for a bad --out: $(cat "$T/err")"
"$HB" claims --scale 0 --out "$T/x" 2>"$T/err"; [ $? -eq 2 ] || fail "--scale 0 not exit 2"
"$HB" claims --reps 1 --out "$T/x" 2>"$T/err"; [ $? -eq 2 ] || fail "--reps 1 not exit 2"
[ ! -e "$T/x" ] || fail "a refused command left $T/x behind"

export HB_CLAIMS_SCALE=0.02
"$HB" claims --quick --reps 2 --out "$T/c" 2>"$T/log"
rc=$?
[ $rc -eq 0 ] || { tail -20 "$T/log"; fail "claims --quick exit $rc"; }
md="$T/c/claims.md"
[ -s "$md" ] || fail "no claims.md"
ids=$(grep -o '<a id="[^"]*"></a>' "$md" | sed 's/<a id="\(.*\)"><\/a>/\1/')
n=$(echo "$ids" | wc -w)
[ "$n" -ge 11 ] || fail "only $n sections in claims.md"
for id in $ids; do
    # the section: from its anchor to the next one
    sec=$(awk -v id="$id" '/^<a id="/{on = index($0, "\"" id "\"") > 0} on' "$md")
    ans=$(echo "$sec" | grep '^\*\*Answer: ' | head -1)
    echo "$ans" | grep -Eq '^\*\*Answer: (holds|does not hold|holds only when|undecided|not measured)' ||
        fail "$id: no computed answer (got '$ans')"
    echo "$sec" | grep -q '^\*\*Rule\.\*\* ' || fail "$id: no rule stated"
    if echo "$ans" | grep -q 'not measured'; then
        echo "$sec" | grep -q 'not measured: ' || fail "$id: not measured without a reason"
        continue
    fi
    for ext in pdf png; do
        f="$T/c/$id/figures/$id.$ext"
        [ -s "$f" ] || fail "$id: no figure $f"
        echo "$sec" | grep -q "$id/figures/$id.$ext" || fail "$id: section does not link $id.$ext"
    done
    [ -s "$T/c/$id/claim.csv" ] || fail "$id: no claim.csv"
    # a figure of intervals needs points; one of series, the series files
    if echo "$sec" | grep -q "series files"; then
        ls "$T/c/$id"/*/series/*_rep1.csv >/dev/null 2>&1 || fail "$id: no series files"
    else
        [ "$(wc -l < "$T/c/$id/claim.csv")" -ge 2 ] || fail "$id: claim.csv has no point"
    fi
    # every run the section lists has its rows
    for run in $(echo "$sec" | sed -n 's/^- \[`[^/]*\/\([^`]*\)`\].*/\1/p'); do
        [ -s "$T/c/$id/$run/rows.csv" ] || fail "$id: run $run has no rows.csv"
    done
    echo "$sec" | grep -q '^- .*[0-9]' || fail "$id: no measured number"
done
# The experiments' own options reached their runs.
grep -q 'finalizers/costly.*--finalizer-work=' "$md" || fail "finalizers: no costly __del__ run"
grep -q 'held by the large-block path' "$md" || fail "large-arrays: no footprint split"
grep -q 'large-arrays/arrays.*--no-leaves' "$md" || fail "large-arrays: no --no-leaves run"
# The run's time in the report, and the README block written from the same run.
grep -q '^The runs took [0-9]' "$md" || fail "no elapsed time in claims.md"
grep -q 'The full run .* is estimated' "$md" || fail "no full-run estimate in claims.md"
rs="$T/c/readme_section.md"
[ -s "$rs" ] || fail "no readme_section.md"
[ "$(grep -c '^| \[' "$rs")" -eq "$n" ] || fail "readme_section.md has not every claim"
grep -q 'The runs took [0-9]' "$rs" || fail "readme_section.md has no time"
grep '^\*\*Answer' "$md" >"$T/answers1"

# A rerun resumes: no repetition runs again, the answers are the same.
"$HB" claims --quick --reps 2 --out "$T/c" 2>"$T/log2" || fail "rerun failed"
if grep -Eq '[1-9][0-9]* repetitions ran' "$T/log2"; then fail "the rerun ran repetitions again"; fi
grep '^\*\*Answer' "$md" | diff - "$T/answers1" >/dev/null || fail "the rerun changed the answers"
echo "ok: $n sections"
