#!/bin/sh
# tutorial_check.sh SRC BUILD CC [FLAGS...] — extracts every ```c block of docs/tutorial.md into its
# own file, compiles it against the built libnabla and runs it: the tutorial cannot rot.
src=$1 build=$2 cc=$3; shift 3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
awk -v dir="$tmp" '/^```c[ \t]*$/ { n++; f = sprintf("%s/block%02d.c", dir, n); inb = 1; next }
                   /^```/ { inb = 0; next }
                   inb { print > f }' "$src/docs/tutorial.md"
pass=0; fail=0
for f in "$tmp"/block*.c; do
    [ -e "$f" ] || { echo "no c blocks found in docs/tutorial.md"; exit 1; }
    exe=${f%.c}
    inc="-I$src/include"   # the one public include directory, as docs/tutorial.md says
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L $inc "$@" "$f" -L"$build" -lnabla \
            -Wl,-rpath,"$build" -lm -o "$exe" 2> "$exe.log" &&
       ! "$cc" -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L $inc "$@" "$f" -L"$build" -lnabla \
            -Wl,-rpath,"$build" -lm -lz -o "$exe" 2>> "$exe.log"; then
        echo "FAIL: $(basename "$f") does not compile:"; cat "$exe.log"; cat -n "$f"; fail=$((fail + 1)); continue
    fi
    if "$exe" > "$exe.out" 2>&1; then pass=$((pass + 1))
    else echo "FAIL: $(basename "$f") exited with $?:"; cat "$exe.out"; fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
