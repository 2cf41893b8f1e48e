/* pg.js — shared by every playground page: loads nabla (WebAssembly), calls its JSON entry points,
 * and draws on canvases (curves, contours, trajectories, points) in a fixed data->pixel frame. */
'use strict';

const PG = {};
PG.ready = (typeof createNabla === 'function' ? createNabla() : Promise.reject(new Error('nabla.js did not load')))
  .then((m) => { PG.mod = m; return m; });

/* the entry points: each returns the parsed JSON answer ({ok: true, ...} or {ok: false, error}) */
PG.num = (v) => (typeof v === 'string' ? Number(v) : v);
PG.call = (fn, types, args) => JSON.parse(PG.mod.ccall(fn, 'string', types, args));
PG.expr = (src, second) => PG.call('pg_expr', ['string', 'number'], [src, second ? 1 : 0]);
PG.course = (name, args) => PG.call('pg_course', ['string', 'string'], [name, PG.args(args)]);
PG.optim = (args) => PG.call('pg_optim', ['string'], [PG.args(args)]);
PG.net = (cmd, args) => PG.call('pg_net', ['string', 'string'], [cmd, PG.args(args)]);
PG.args = (o) => Object.entries(o || {}).map(([k, v]) => `${k}=${v}`).join(';');

PG.colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/* a plot frame on a canvas: data box [x0, x1] x [y0, y1] mapped inside a margin */
PG.frame = function (canvas, x0, x1, y0, y1) {
  const ctx = canvas.getContext('2d'), m = 36, W = canvas.width, H = canvas.height;
  if (canvas.pgClipped) ctx.restore();  /* drop the previous frame's clip */
  canvas.pgClipped = false;
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const f = {
    ctx, x0, x1, y0, y1,
    px: (x) => m + (x - x0) / (x1 - x0) * (W - 2 * m),
    py: (y) => H - m - (y - y0) / (y1 - y0) * (H - 2 * m),
  };
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#888';
  ctx.strokeRect(m, m, W - 2 * m, H - 2 * m);
  ctx.fillStyle = '#444';
  ctx.font = '11px sans-serif';
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
    ctx.fillText(PG.fmt(xv), f.px(xv) - 10, H - m + 14);
    ctx.fillText(PG.fmt(yv), 2, f.py(yv) + 4);
  }
  ctx.save();  /* everything drawn in this frame stays inside the axes */
  ctx.beginPath();
  ctx.rect(m, m, W - 2 * m, H - 2 * m);
  ctx.clip();
  canvas.pgClipped = true;
  return f;
};
PG.fmt = (v) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(+v.toFixed(2)));

/* grid {n, x0, x1, y0, y1, f: n*n values, row-major in y}: colour bands of log(1 + f - min) */
PG.contour = function (fr, g, vals) {
  const v = (vals || g.f).map(PG.num), n = g.n, lo = Math.min(...v), hi = Math.max(...v);
  const ctx = fr.ctx, dx = (g.x1 - g.x0) / (n - 1), dy = (g.y1 - g.y0) / (n - 1);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const t = Math.log1p(v[j * n + i] - lo) / Math.log1p(hi - lo || 1), band = Math.floor(t * 12) / 12;
      ctx.fillStyle = `hsl(${220 - 180 * band}, 60%, ${92 - 30 * band}%)`;
      const xa = fr.px(g.x0 + (i - 0.5) * dx), ya = fr.py(g.y0 + (j + 0.5) * dy);
      ctx.fillRect(xa, ya, fr.px(g.x0 + (i + 0.5) * dx) - xa + 1, fr.py(g.y0 + (j - 0.5) * dy) - ya + 1);
    }
  }
};
/* probabilities grid (0..1): blue to orange */
PG.surface = function (fr, g) {
  const n = g.n, ctx = fr.ctx, dx = (g.x1 - g.x0) / (n - 1), dy = (g.y1 - g.y0) / (n - 1);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const p = PG.num(g.p[j * n + i]);
      const mix = (c) => Math.round(255 - 0.35 * (255 - c)); /* 35% of the class colour over white */
      ctx.fillStyle = `rgb(${mix(31 + 224 * p)}, ${mix(119 + 8 * p)}, ${mix(180 - 166 * p)})`;
      const xa = fr.px(g.x0 + (i - 0.5) * dx), ya = fr.py(g.y0 + (j + 0.5) * dy);
      ctx.fillRect(xa, ya, fr.px(g.x0 + (i + 0.5) * dx) - xa + 1, fr.py(g.y0 + (j - 0.5) * dy) - ya + 1);
    }
  }
};
PG.line = function (fr, xs, ys, color, dots) {
  const ctx = fr.ctx;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < xs.length; i++) {
    const x = PG.num(xs[i]), y = PG.num(ys[i]);
    if (!isFinite(x) || !isFinite(y)) continue;
    const X = fr.px(x), Y = fr.py(y);
    if (started) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
    started = true;
  }
  ctx.stroke();
  if (dots) {
    for (let i = 0; i < xs.length; i++) {
      const x = PG.num(xs[i]), y = PG.num(ys[i]);
      if (isFinite(x) && isFinite(y)) { ctx.beginPath(); ctx.arc(fr.px(x), fr.py(y), 2.5, 0, 7); ctx.fill(); }
    }
  }
};
/* bounds of several finite series, padded by 5% */
PG.bounds = function (series) {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const v of s) { const n = PG.num(v); if (isFinite(n)) { lo = Math.min(lo, n); hi = Math.max(hi, n); } }
  if (!isFinite(lo)) { lo = -1; hi = 1; }
  const pad = (hi - lo) * 0.05 || 1;
  return [lo - pad, hi + pad];
};
PG.error = function (msg) {
  const e = document.getElementById('error');
  if (e) e.textContent = msg || '';
};
/* a range input's label shows its value; onchange -> redraw */
PG.bindRanges = function (redraw, root) {
  for (const r of (root || document).querySelectorAll('input[type=range], input[type=number], select, input[type=checkbox]')) {
    const show = () => { const o = document.getElementById(r.id + '_v'); if (o) o.textContent = r.value; };
    show();
    r.addEventListener('input', () => { show(); redraw(); });
  }
};
PG.val = (id) => { const e = document.getElementById(id); return e.type === 'checkbox' ? (e.checked ? 1 : 0) : e.value; };
PG.start = function (fn) {
  PG.ready.then(fn).catch((e) => PG.error('could not start nabla: ' + e.message));
};
