/* optim.js — optimizers page: every checked method from nabla's optim layer started from the same
 * point; their trajectories drawn over the function's contours, with the final f of each. */
'use strict';
const METHODS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'lbfgs', 'newton'];
const LR = { sgd: 0.05, momentum: 0.01, nesterov: 0.01, adagrad: 0.5, rmsprop: 0.05, adam: 0.5, lbfgs: 1, newton: 1 };
/* each function's starting point and learning rates (the C side's defaults) */
const DEFAULTS = {
  seed: { x0: -5, y0: -2, lr: LR },
  quadratic: { x0: -5, y0: -2, lr: LR },
  rosenbrock: { x0: -1.5, y0: 2, lr: { sgd: 1e-3, momentum: 2e-4, nesterov: 2e-4, adagrad: 0.5, rmsprop: 0.01, adam: 0.1, lbfgs: 1, newton: 1 } },
};
function applyDefaults() {
  const d = DEFAULTS[PG.val('f')];
  for (const k of ['x0', 'y0']) { const e = document.getElementById(k); e.value = d[k]; document.getElementById(k + '_v').textContent = e.value; }
  for (const m of METHODS) document.getElementById('lr_' + m).value = d.lr[m];
}

function redraw() {
  const args = { f: PG.val('f'), x0: PG.val('x0'), y0: PG.val('y0'), steps: PG.val('steps') };
  for (const m of METHODS) { args['use_' + m] = PG.val('use_' + m); args['lr_' + m] = PG.val('lr_' + m); }
  const r = PG.optim(args);
  PG.error(r.ok ? '' : r.error);
  if (!r.ok) return;
  const g = r.grid, fr = PG.frame(document.getElementById('plot'), g.x0, g.x1, g.y0, g.y1);
  PG.contour(fr, g);
  const legend = [], finals = [];
  for (const run of r.runs) {
    const c = PG.colors[METHODS.indexOf(run.method)];
    PG.line(fr, run.x, run.y, c, true);
    legend.push(`<span><i style="background:${c}"></i>${run.method}</span>`);
    finals.push(`${run.method.padEnd(9)} lr ${String(PG.num(run.lr)).padEnd(7)} f = ${(+PG.num(run.final)).toExponential(4)}`);
  }
  document.getElementById('legend').innerHTML = legend.join('');
  document.getElementById('finals').textContent = finals.join('\n');
}

PG.start(() => {
  const box = document.getElementById('methods');
  for (const m of METHODS) {
    const l = document.createElement('label');
    l.innerHTML = `<span><input type="checkbox" id="use_${m}" checked> ${m}</span>` +
      `<input type="number" id="lr_${m}" value="${LR[m]}" step="any" style="width:80px" title="learning rate">`;
    box.appendChild(l);
  }
  PG.bindRanges(redraw);
  document.getElementById('f').addEventListener('input', () => { applyDefaults(); redraw(); });
  redraw();
});
