#!/bin/sh
# format.sh — apply the repository's .clang-format (110 columns, includes kept in order) to every
# tracked .c and .h file, in place (repeated to a fixed point, so a second run changes nothing). Run from anywhere:
#   tools/format.sh          format the tree
#   tools/format.sh --check  list the files that are not formatted (exit 1 if any)
set -eu
cd "$(dirname "$0")/.."
CF=${CLANG_FORMAT:-clang-format}
command -v "$CF" >/dev/null 2>&1 || { echo "format.sh: $CF not found (apt-get install clang-format)" >&2; exit 1; }
if [ "${1:-}" = "--check" ]; then
    bad=0
    for f in $(git ls-files '*.c' '*.h'); do
        "$CF" --style=file "$f" | cmp -s - "$f" || { echo "$f"; bad=1; }
    done
    exit $bad
fi
# clang-format is not always a fixed point in one pass (macro continuations, long X-macro lists):
# repeat on the files that still change, so the result is stable and a second run changes nothing
files=$(git ls-files '*.c' '*.h')
for pass in 1 2 3 4 5; do
    todo=""
    for f in $files; do "$CF" --style=file "$f" | cmp -s - "$f" || todo="$todo $f"; done
    [ -z "$todo" ] && exit 0
    # shellcheck disable=SC2086
    "$CF" --style=file -i $todo
    files=$todo
done
echo "format.sh: still changing after 5 passes:$todo" >&2
exit 1
