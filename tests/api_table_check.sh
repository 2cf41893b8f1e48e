#!/bin/sh
# api_table_check.sh SRC — every public function and function-like macro of SRC/include/*.h must be
# named in README.md's "torch → nabla" table. A name counts when it appears in a row as nb_name, as an
# abbreviation after a slash (nb_optim_get_lr/set_lr covers nb_optim_set_lr), as a suffix in
# parentheses (nb_binary_cross_entropy(_with_logits)), or through a family row: a slash list ending
# in "/..." (nb_exp/nb_log/.../nb_relu/...) covers the whole header section (/* ---- name ---- */)
# of the names it lists. Prints one line per missing name saying what to add where.
src=${1:-.}
readme="$src/README.md"
[ -f "$readme" ] || { echo "FAIL: no $readme"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# public names: "name<TAB>header<TAB>section", from prototypes and #define NB_X( macros
for h in "$src"/include/*.h; do
    awk -v hdr="include/${h##*/}" '
        /^\/\* ---- / { sec = $0; sub(/^\/\* ---- /, "", sec); sub(/ *-*( \*\/)?$/, "", sec); next }
        { line = $0; gsub(/\/\*.*\*\//, "", line) }
        line ~ /^[ \t]*(\/\*|\*)/ { next }
        line ~ /^#define NB_[A-Z0-9_]*\(/ {
            n = line; sub(/^#define /, "", n); sub(/\(.*/, "", n); print n "\t" hdr "\t" sec; next }
        line ~ /^#/ { next }
        match(line, /nb_[a-z0-9_]+[ \t]*\(/) {
            n = substr(line, RSTART, RLENGTH); sub(/[ \t]*\($/, "", n)
            if (line !~ /^[ \t]/ || line ~ /^[ \t]*(static|extern)/) print n "\t" hdr "\t" sec
        }' "$h"
done | sort -u -k1,1 > "$tmp/public"

# the table's rows, between "## torch → nabla" and the next heading
awk '/^## torch → nabla/ { on = 1; next } /^## / { on = 0 } on && /^\|/' "$readme" > "$tmp/rows"
[ -s "$tmp/rows" ] || { echo "FAIL: README.md has no '## torch → nabla' table"; exit 1; }

# covered names (C<TAB>name) and family names (F<TAB>name: its whole section is covered)
awk '
    function expand(base, y,    nb, nyp, parts, yp, out, i) {   # nb_optim_get_lr + set_lr
        nb = split(base, parts, "_"); nyp = split(y, yp, "_")
        out = parts[1]
        for (i = 2; i <= nb - nyp; i++) out = out "_" parts[i]
        return out "_" y
    }
    function skip_paren(s,    d, i, c) {   # length of a leading (...) group, 0 if none
        if (substr(s, 1, 1) != "(") return 0
        d = 0
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (c == "(") d++
            else if (c == ")" && --d == 0) return i
        }
        return 0
    }
    {
        s = $0
        while (match(s, /(NB|nb)_[A-Za-z0-9_]+/)) {
            name = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
            n = 0; chain[++n] = name; base = name; family = 0
            for (;;) {
                k = skip_paren(s)
                if (k > 0) {   # arguments: a (_suffix) names a variant; a chain may go on after them
                    grp = substr(s, 2, k - 2)
                    if (grp ~ /^_[a-z0-9_]+$/) chain[++n] = base grp
                    if (substr(s, k + 1, 1) != "/") break   # the names inside are scanned next
                    g = grp
                    while (match(g, /(NB|nb)_[A-Za-z0-9_]+/)) { print "C\t" substr(g, RSTART, RLENGTH); g = substr(g, RSTART + RLENGTH) }
                    s = substr(s, k + 1)
                }
                if (substr(s, 1, 4) == "/...") { family = 1; s = substr(s, 5); continue }
                if (match(s, /^\/nb_[a-z0-9_]+/)) { base = substr(s, 2, RLENGTH - 1); chain[++n] = base; s = substr(s, RLENGTH + 1); continue }
                if (match(s, /^\/[a-z][a-z0-9_]*/)) { chain[++n] = expand(base, substr(s, 2, RLENGTH - 1)); s = substr(s, RLENGTH + 1); continue }
                break
            }
            for (i = 1; i <= n; i++) print (family ? "F" : "C") "\t" chain[i]
        }
    }' "$tmp/rows" | sort -u > "$tmp/covered"

# sections documented by a family row
awk -F '\t' 'NR == FNR { if ($1 == "F") fam[$2] = 1; next } ($1 in fam) { print $2 "\t" $3 }' \
    "$tmp/covered" "$tmp/public" | sort -u > "$tmp/famsec"

awk -F '\t' -v famfile="$tmp/famsec" '
    BEGIN { while ((getline l < famfile) > 0) fam[l] = 1 }
    NR == FNR { cov[$2] = 1; next }
    { total++ }
    ($1 in cov) || (($2 "\t" $3) in fam) { ok++; next }
    { printf "FAIL %s (%s, section \"%s\") is not in README.md'"'"'s torch -> nabla table: add a row " \
             "| `torch.<name>(...)` | `%s(...)` | (or add it to an existing row; a slash list ending in " \
             "\"/...\" covers its whole header section)\n", $1, $2, $3, $1; bad++ }
    END { printf "%d public names, %d in the table, %d missing\n", total, ok, bad
          printf "%d passed, %d failed\n", ok, bad; exit bad > 0 }' "$tmp/covered" "$tmp/public"
