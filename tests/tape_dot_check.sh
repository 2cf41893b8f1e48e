#!/bin/sh
# tape_dot_check.sh TAPE_DEMO DOTFILE XML_CHECK — nb_tape_dot output must parse with Graphviz dot
# (skipped with exit 77 when dot is not installed), and its SVG rendering must be well-formed.
demo=$1 dotfile=$2 xml=$3
"$demo" --dot "$dotfile" > /dev/null || { echo "tape_demo failed"; exit 1; }
grep -q TanhBackward0 "$dotfile" || { echo "DOT lacks the TanhBackward0 node"; exit 1; }
if ! command -v dot > /dev/null 2>&1; then
    echo "skip: graphviz 'dot' is not installed (DOT file written to $dotfile)"
    exit 77
fi
dot -Tsvg "$dotfile" -o "$dotfile.svg" || { echo "dot rejected $dotfile"; echo "0 passed, 1 failed"; exit 1; }
"$xml" "$dotfile.svg" --min 5 'class="node"' || { echo "0 passed, 1 failed"; exit 1; }
echo "1 passed, 0 failed"
