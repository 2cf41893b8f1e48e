/* wasm_native.js BUILD_WEB PG_CLI — the WebAssembly build must answer every page's default requests
 * (requests.json) with the numbers of the native build: every number to 1e-5 relative, the printed
 * "line" strings exactly or, where they differ, every number in them to 1e-6 relative. Why not bit for
 * bit: the native GEMM sums in SIMD blocks, the WASM one in plain loops, and float32 cosf/sinf of
 * emscripten's musl differ from glibc's by one ulp on some inputs (x cos(0.15 pi x) with eta = 2, a
 * chaotic iteration, then prints -1.528165 in the browser against the seed's -1.528166). */
'use strict';
const fs = require('fs'), path = require('path'), { execFileSync } = require('child_process');
const [web, cli] = process.argv.slice(2);
const reqs = JSON.parse(fs.readFileSync(path.join(__dirname, 'requests.json'), 'utf8'));
const create = require(path.resolve(web, 'nabla.js'));

function close(a, b, where, bad) {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b)))) bad.push(`${where}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) bad.push(`${where}: length ${a.length} vs ${b.length}`);
    else a.forEach((v, i) => close(v, b[i], `${where}[${i}]`, bad));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (k === 'ptr') continue; /* addresses differ between the builds */
      close(a[k], b[k], `${where}.${k}`, bad);
    }
  } else if (typeof a === 'string' && typeof b === 'string' && /\.line$/.test(where) && a !== b) {
    const na = a.match(/-?\d+\.?\d*(e-?\d+)?/g) || [], nb = b.match(/-?\d+\.?\d*(e-?\d+)?/g) || [];
    const same = a.replace(/-?\d+\.?\d*(e-?\d+)?/g, '#') === b.replace(/-?\d+\.?\d*(e-?\d+)?/g, '#') && na.length === nb.length &&
      na.every((v, i) => Math.abs(+v - +nb[i]) <= 1e-6 * Math.max(1, Math.abs(+v)));
    if (!same) bad.push(`${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    else console.log(`note ${where}: ${JSON.stringify(a)} (wasm) vs ${JSON.stringify(b)} (native), equal to 1e-6`);
  } else if (a !== b) {
    bad.push(`${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
}

create({ wasmBinary: fs.readFileSync(path.join(web, 'nabla.wasm')) }).then((m) => {
  let pass = 0, fail = 0;
  for (const r of reqs) {
    const [kind, a, b] = r;
    let wasm;
    const args = [kind, a];
    if (kind === 'expr') { wasm = m.ccall('pg_expr', 'string', ['string', 'number'], [a, b]); args.push(String(b)); }
    else if (kind === 'course') { wasm = m.ccall('pg_course', 'string', ['string', 'string'], [a, b]); args.push(b); }
    else if (kind === 'optim') { wasm = m.ccall('pg_optim', 'string', ['string'], [a]); }
    else { /* reset with a, then train with b: one process natively */
      m.ccall('pg_net', 'string', ['string', 'string'], ['reset', a]);
      wasm = m.ccall('pg_net', 'string', ['string', 'string'], ['step', b]);
      args.splice(0, 2, 'net', 'reset', a, '--', 'net', 'step', b);
    }
    const native = execFileSync(cli, args, { encoding: 'utf8' });
    const W = JSON.parse(wasm), N = JSON.parse(native.trim().split('\n').pop());
    const bad = [];
    if (!W.ok || !N.ok) bad.push(`not ok: wasm ${W.error} native ${N.error}`);
    close(W, N, JSON.stringify(r).slice(0, 60), bad);
    if (bad.length) { fail++; console.log('FAIL ' + bad.slice(0, 5).join('\n     ')); } else pass++;
  }
  console.log(`${pass} passed, ${fail} failed`);
  process.exit(fail ? 1 : 0);
});
