#!/bin/sh
# run_tests.sh — the whole suite as CI runs it: a release build and an ASan+UBSan build, each at
# OMP_NUM_THREADS=1 and 2, plus a build without OpenMP. Prints "N passed, M failed" at the end.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=${NB_TEST_BUILD:-$root/build-test}
pass=0; fail=0
run() { # name, builddir, threads
  log="$2/meson-logs/run-$3.txt"
  OMP_NUM_THREADS=$3 meson test -C "$2" --num-processes 2 --print-errorlogs >"$log" 2>&1
  rc=$?
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1); bad=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  ok=${ok:-0}; bad=${bad:-0}; to=${to:-0}
  [ $rc -ne 0 ] && [ "$bad" = 0 ] && [ "$to" = 0 ] && bad=1
  bad=$((bad + to))
  echo "== $1, OMP_NUM_THREADS=$3: $ok ok, $bad failed"
  [ "$bad" != 0 ] && { grep -E "FAIL|ERROR|runtime error|AddressSanitizer|LeakSanitizer" "$log" | head -40; }
  pass=$((pass + ok)); fail=$((fail + bad))
}
setup() { # name, dir, options...
  n=$1; d=$2; shift 2
  if [ ! -f "$d/build.ninja" ]; then meson setup "$d" "$root" "$@" >/dev/null || { echo "setup $n failed"; fail=$((fail+1)); return 1; }; fi
  ninja -C "$d" >"$d.build.log" 2>&1 || { tail -30 "$d.build.log"; echo "build $n failed"; fail=$((fail+1)); return 1; }
}
if setup release "$out/release" --buildtype=release; then run release "$out/release" 1; run release "$out/release" 2; fi
if setup asan "$out/asan" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run asan+ubsan "$out/asan" 1
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run asan+ubsan "$out/asan" 2
fi
if setup no-openmp "$out/noomp" --buildtype=release -Dopenmp=disabled; then run no-openmp "$out/noomp" 1; fi
# the browser playground (WebAssembly build, native equality, Playwright in chromium): skipped without them
if [ -x "$out/release/playground/pg_cli" ]; then
  "$root/tools/playground_test.sh" "$out" "$out/release/playground/pg_cli" >"$out/playground.log" 2>&1
  rc=$?
  ok=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out/playground.log" | awk '{s+=$1} END {print s+0}')
  if [ $rc = 77 ]; then echo "== playground: skipped ($(tail -1 "$out/playground.log"))"
  elif [ $rc = 0 ]; then echo "== playground: $ok ok, 0 failed"; pass=$((pass + ok))
  else echo "== playground: failed"; grep -E "FAIL|error" "$out/playground.log" | head -20; fail=$((fail + 1)); fi
fi
# fuzz smoke: every parser's libFuzzer harness for 20 s under ASan+UBSan (skipped without clang's libFuzzer)
"$root/tools/fuzz_smoke.sh" "$out" 20 >"$out/fuzz.log" 2>&1
rc=$?
if [ $rc = 77 ]; then echo "== fuzz: skipped ($(tail -1 "$out/fuzz.log"))"
elif [ $rc = 0 ]; then n=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' "$out/fuzz.log"); echo "== fuzz: $n harnesses ok"; pass=$((pass + n))
else echo "== fuzz: failed"; grep -A8 FAIL "$out/fuzz.log" | head -30; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
