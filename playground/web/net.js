/* net.js — network page: nabla trains a small MLP on a generated 2-D data set; every few steps the
 * decision surface, the loss curve and each parameter's gradient norm are redrawn. */
'use strict';
let data = null, timer = null;

function reset() {
  stop();
  const r = PG.net('reset', { data: PG.val('data'), hidden: PG.val('hidden'), lr: PG.val('lr'), noise: PG.val('noise'), seed: PG.val('seed') });
  PG.error(r.ok ? '' : r.error);
  if (!r.ok) { data = null; return; }
  data = r;
  step(0);
}

function step(n) {
  if (!data) return;
  const r = PG.net('step', { n });
  PG.error(r.ok ? '' : r.error);
  if (!r.ok) { stop(); return; }
  const fr = PG.frame(document.getElementById('plot'), -3, 3, -3, 3);
  PG.surface(fr, r.grid);
  for (let i = 0; i < data.n; i++) {
    fr.ctx.fillStyle = data.labels[i] ? '#ff7f0e' : '#1f77b4';
    fr.ctx.beginPath();
    fr.ctx.arc(fr.px(PG.num(data.points[2 * i])), fr.py(PG.num(data.points[2 * i + 1])), 3, 0, 7);
    fr.ctx.fill();
  }
  const loss = r.loss.map(PG.num), lb = PG.bounds([loss]);
  const lf = PG.frame(document.getElementById('loss'), 0, Math.max(1, loss.length - 1), Math.max(0, lb[0]), lb[1]);
  PG.line(lf, loss.map((_, i) => i), loss, '#d62728', false);
  const nc = document.getElementById('norms'), ctx = nc.getContext('2d'), norms = r.grad_norms;
  ctx.clearRect(0, 0, nc.width, nc.height);
  const mx = Math.max(1e-12, ...norms.map((g) => PG.num(g.norm)));
  norms.forEach((g, i) => {
    const w = (nc.width - 110) * PG.num(g.norm) / mx;
    ctx.fillStyle = PG.colors[i % PG.colors.length];
    ctx.fillRect(100, 6 + i * 24, w, 16);
    ctx.fillStyle = '#222';
    ctx.font = '11px monospace';
    ctx.fillText(g.name, 2, 18 + i * 24);
  });
  document.getElementById('status').textContent = `step ${r.steps}, loss ${loss.length ? loss[loss.length - 1].toFixed(4) : '-'}`;
}

function stop() { if (timer) clearInterval(timer); timer = null; document.getElementById('train').textContent = 'train ▶'; }

PG.start(() => {
  document.getElementById('reset').onclick = reset;
  document.getElementById('step').onclick = () => step(10);
  document.getElementById('train').onclick = () => {
    if (timer) { stop(); return; }
    document.getElementById('train').textContent = 'pause ❚❚';
    timer = setInterval(() => step(5), 50);
  };
  PG.bindRanges(reset);
  reset();
});
