#!/bin/sh
# playground_test.sh OUT PG_CLI — the browser playground's tests: build it to WebAssembly (emscripten),
# check its answers equal the native build's (node), then drive every page in headless chromium with
# Playwright (screenshots in OUT/playground-shots). Exit 77 (skipped) when emcc, node or chromium is
# missing or Playwright cannot be installed from npm; otherwise prints "N passed, M failed".
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1; cli=$2
for c in emcc node npm; do command -v $c >/dev/null || { echo "playground: $c not found, skipped"; exit 77; }; done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "playground: chromium not found, skipped"; exit 77; }
mkdir -p "$out/playground-node" "$out/playground-shots"
"$root/playground/build.sh" "$out/playground-web" >"$out/playground-build.log" 2>&1 ||
    { tail -20 "$out/playground-build.log"; echo "0 passed, 1 failed"; exit 1; }
node "$root/playground/test/wasm_native.js" "$out/playground-web" "$cli" || exit 1
cp "$root/playground/test/package.json" "$out/playground-node/"
if [ ! -d "$out/playground-node/node_modules/playwright-core" ]; then
    (cd "$out/playground-node" && timeout 300 npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
        { echo "playground: npm install playwright-core failed (no registry?), browser tests skipped"; exit 77; }
fi
NODE_PATH="$out/playground-node/node_modules" timeout 600 node "$root/playground/test/browser.js" \
    "$out/playground-web" "$out/playground-shots"
