#!/bin/sh
# fuzz_smoke.sh OUT [SECONDS] — the libFuzzer harnesses of fuzz/ built with clang under ASan+UBSan
# and run for SECONDS each (default 20) from their committed seed corpora (copied: the committed ones
# stay small). A finding (crash, leak, UB, a success that leaves an error, a message not naming the
# function) fails. Exit 77 (skipped) when clang or its libFuzzer runtime is missing.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1; secs=${2:-20}
command -v clang >/dev/null || { echo "fuzz: clang not found, skipped"; exit 77; }
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$out/fz_probe.c"
clang -fsanitize=fuzzer "$out/fz_probe.c" -o "$out/fz_probe" 2>/dev/null || { echo "fuzz: clang has no libFuzzer (libclang-rt-14-dev), skipped"; exit 77; }
d="$out/fuzz"
if [ ! -f "$d/build.ninja" ]; then
  CC=clang meson setup "$d" "$root" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dtests=false \
    -Dexamples=false -Dopenmp=disabled --buildtype=debugoptimized >"$d.setup.log" 2>&1 || { tail -20 "$d.setup.log"; echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$d" >"$d.build.log" 2>&1 || { tail -30 "$d.build.log"; echo "0 passed, 1 failed"; exit 1; }
pass=0; fail=0
for h in idx idx_gz csv safetensors optim_state cli; do
  c="$out/fuzz-corpus/$h"
  mkdir -p "$c" "$out/fuzz-findings"
  cp "$root/fuzz/corpus/$h/"* "$c/" 2>/dev/null
  if (cd "$out/fuzz-findings" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      "$d/fuzz/fuzz_$h" -max_total_time="$secs" -max_len=4096 -dict="$root/fuzz/safetensors.dict" "$c" \
      >"$out/fuzz-$h.log" 2>&1); then
    pass=$((pass + 1)); echo "fuzz_$h: $(grep -E '^Done' "$out/fuzz-$h.log")"
  else
    fail=$((fail + 1)); echo "FAIL fuzz_$h:"; grep -E "ERROR|runtime error|SUMMARY|left an error|failed with|leaked" "$out/fuzz-$h.log" | head -8
  fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
