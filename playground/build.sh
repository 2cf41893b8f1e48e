#!/bin/sh
# build.sh OUTDIR — the browser playground: nabla (every library source, no OpenMP) and the
# playground's C side compiled to WebAssembly with emscripten, plus the static pages, into OUTDIR.
# Serve OUTDIR with any static server (python3 -m http.server -d OUTDIR 8000) and open index.html.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/playground-web}
command -v emcc >/dev/null || { echo "build.sh: emcc not found (apt-get install emscripten)"; exit 77; }
mkdir -p "$out"
incs=""
for d in include tensor tensor/shared autograd autograd/shared optim nn; do [ -d "$root/$d" ] && incs="$incs -I$root/$d"; done
# the machine's node may not be Debian's: emscripten's JS tools need Debian's node modules (acorn)
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
srcs=$(ls "$root"/tensor/*.c "$root"/autograd/*.c "$root"/optim/*.c "$root"/nn/*.c "$root"/playground/src/pg_*.c |
       grep -v pg_cli.c)
# shellcheck disable=SC2086
emcc -std=c11 -O2 -Wall -Wextra -Werror -Wno-unknown-pragmas -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    $incs -I/usr/include/stb $srcs -o "$out/nabla.js" \
    -sMODULARIZE=1 -sEXPORT_NAME=createNabla -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=web,node \
    -sEXPORTED_FUNCTIONS=_pg_expr,_pg_course,_pg_optim,_pg_net \
    -sEXPORTED_RUNTIME_METHODS=ccall,cwrap
cp "$root"/playground/web/* "$out/"
echo "playground built in $out: python3 -m http.server -d $out 8000, then open http://localhost:8000/"
