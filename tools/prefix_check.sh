#!/bin/sh
# prefix_check.sh SRC — one internal prefix per layer: every internal identifier (function, macro, type,
# global, enumerator) declared in tensor/ autograd/ optim/ nn/ dist/ starts with its layer's prefix
# (nbt_ nba_ nbo_ nbn_ nbd_, macros in capitals) and no old prefix (nbi_ nbk_ nbg_ nbj_) is left.
# Disabled (skips) until tools/rename_internal.sh has renamed the tree: the script sets ENABLED=1.
ENABLED=1
src=${1:-.}
[ "$ENABLED" = 1 ] || { echo "SKIP: prefix check is enabled by tools/rename_internal.sh"; exit 77; }
out=$(sh "$src/tools/rename_internal.sh" --check "$src") || {
    echo "$out" | head -50
    echo "FAIL: $(echo "$out" | wc -l) internal names break the one-prefix-per-layer rule (docs/contributing.md)"
    exit 1
}
echo "OK: every internal name uses its layer's prefix"
