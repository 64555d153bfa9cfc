#!/bin/sh
# tests/cli_claims.sh HEAPBENCH -- `heapbench claims --quick` at a tiny scale
# (HB_CLAIMS_SCALE): every claim of the report has a section with a computed
# answer, and every measured one its figure (PDF and PNG, not empty); a rerun
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
    ls "$T/c/$id"/*/rows.csv >/dev/null 2>&1 || fail "$id: no rows.csv of its runs"
done
grep '^\*\*Answer' "$md" >"$T/answers1"

# A rerun resumes: no repetition runs again, the answers are the same.
"$HB" claims --quick --reps 2 --out "$T/c" 2>"$T/log2" || fail "rerun failed"
if grep -Eq '[1-9][0-9]* repetitions ran' "$T/log2"; then fail "the rerun ran repetitions again"; fi
grep '^\*\*Answer' "$md" | diff - "$T/answers1" >/dev/null || fail "the rerun changed the answers"
echo "ok: $n sections"
