#!/bin/sh
# misuse_sweep.sh SRC — every public function of SRC/include/*.h (prototypes parsed as in
# api_table_check.sh) must have at least one bad-call case (MU_E / MU_N / MU_ERR / MU_NUL, whose first
# argument names the function) in SRC/tests/test_misuse_*.c, or be in tests/misuse_allow.txt with the
# reason it cannot fail. Prints one line per uncovered function and the totals.
src=${1:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for h in "$src"/include/*.h; do
    awk -v hdr="include/${h##*/}" '
        { line = $0; gsub(/\/\*.*\*\//, "", line) }
        line ~ /^[ \t]*(\/\*|\*)/ { next }
        line ~ /^#/ { next }
        match(line, /nb_[a-z0-9_]+[ \t]*\(/) {
            n = substr(line, RSTART, RLENGTH); sub(/[ \t]*\($/, "", n)
            if (line !~ /^[ \t]/ || line ~ /^[ \t]*(static|extern)/) print n "\t" hdr
        }' "$h"
done | sort -u -k1,1 > "$tmp/public"
[ -s "$tmp/public" ] || { echo "FAIL: no public functions found in $src/include"; exit 1; }

# bad-call cases: MU_E(nb_x, ...), MU_N(...), MU_ERR(...), MU_NUL(...) at the start of a line
cat "$src"/tests/test_misuse_*.c | sed -n 's/^MU_\(E\|N\|ERR\|NUL\)(\(nb_[a-z0-9_]*\),.*/\2/p' > "$tmp/cases"
sort -u "$tmp/cases" > "$tmp/covered"
# allowlist: "name  reason" lines; # comments
sed -n 's/^\(nb_[a-z0-9_]*\)[ \t].*/\1/p' "$src/tests/misuse_allow.txt" | sort -u > "$tmp/allowed"

awk -F '\t' -v cov="$tmp/covered" -v alw="$tmp/allowed" '
    BEGIN { while ((getline l < cov) > 0) c[l] = 1; while ((getline l < alw) > 0) a[l] = 1 }
    { total++ }
    ($1 in c) { ok++; next }
    ($1 in a) { allowed++; next }
    { printf "FAIL %s (%s) has no misuse case: add MU_E/MU_N cases in tests/test_misuse_<family>.c " \
             "(a NULL, and a wrong shape or range where it has one; tests/misuse.h)\n", $1, $2; bad++ }
    END { printf "%d public functions: %d with misuse cases, %d allowlisted, %d missing\n", total, ok, allowed, bad
          printf "%d passed, %d failed\n", ok + allowed, bad; exit bad > 0 }' "$tmp/public" || fail=1
# a case naming a function that is not public is a typo
awk -F '\t' 'NR == FNR { p[$1] = 1; next } !($1 in p) { print "FAIL misuse case for unknown function " $1; bad++ }
    END { exit bad > 0 }' "$tmp/public" "$tmp/covered" || fail=1
echo "misuse: $(wc -l < "$tmp/cases") bad-call cases over $(wc -l < "$tmp/covered") functions"
exit ${fail:-0}
