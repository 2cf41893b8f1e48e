/* course.js — the course page: one worked example at a time, its arguments as sliders; every move
 * re-runs the example in nabla and redraws the curve or contour plot and the list of iterates. */
'use strict';
const R = (id, label, min, max, step, value) => ({ id, label, min, max, step, value });
const S = (id, label, options) => ({ id, label, options });
const C = (id, label, value) => ({ id, label, check: true, value });
const EXAMPLES = {
  gd1d: { note: 'x ← x − η f′(x) from x0, f′ by autograd (seed 000). η = 0.2, 0.05 and 1.1 on x², η = 2 on x cos(0.15πx) print 0.060466, 3.486784, 61.917364 and −1.528166.',
    args: [S('f', 'f(x)', ['square', 'xcos', 'sin']), R('eta', 'η', 0.01, 2.5, 0.01, 0.2), R('x0', 'x0', -15, 15, 0.5, 10), R('epochs', 'epochs', 0, 100, 1, 10)] },
  gd2d: { note: 'x ← x − η ∇f(x) on f = x1² + 2 x2² from (−5, −2), η = 0.1, 20 steps (seed 000/002).',
    args: [R('eta', 'η', 0.01, 0.6, 0.01, 0.1), R('x1', 'x1', -5, 1, 0.1, -5), R('x2', 'x2', -3, 1, 0.1, -2), R('steps', 'steps', 0, 100, 1, 20)] },
  newton: { note: 'x ← x − η f′(x)/f″(x), f″ by double backward (create_graph). x cos(0.15πx): η = 1 goes to a maximum (26.8341), η = 0.5 to 7.2699; cosh(0.5x) reaches 0.',
    args: [S('f', 'f(x)', ['xcos', 'cosh']), R('eta', 'η', 0.1, 1.5, 0.05, 1), R('x0', 'x0', -15, 15, 0.5, 10), R('steps', 'steps', 0, 30, 1, 10)] },
  precond: { note: 'f = u1² + 100 u2², u = R x. x ← x − η ∇f / |diag H| (diag H by double backward) needs 1 iteration axis-aligned and 541 rotated by 45°; plain gradient descent (η < 0.01) needs hundreds.',
    args: [C('rotated', 'rotated 45°', 0), R('eta', 'η (preconditioned)', 0.1, 1.5, 0.05, 1), R('eta_gd', 'η (gradient descent)', 0.001, 0.0099, 0.0001, 0.009)] },
  linesearch: { note: 'minimize log(eˣ + e^(−2x−3)) by halving [a, b] on the sign of f′ at the midpoint (seed 002, exercise 2): x* = (ln 2 − 3)/3 after 32 halvings.',
    args: [R('a', 'a', -2, -0.8, 0.05, -2), R('b', 'b', -0.7, 2, 0.05, 2)] },
  decay: { note: 'f = 0.1 x1² + 2 x2²: SGD with η/√(t+1) (blue) against Adagrad with lr η (orange), both nabla optimizers.',
    args: [R('eta', 'η', 0.05, 1, 0.05, 0.4), R('steps', 'steps', 1, 200, 1, 40)] },
  sgd: { note: 'a linear regression y = 2 x1 − 3.4 x2 + 4.2 + noise (200 points): minibatch SGD (blue, loss per epoch) makes n/batch updates per epoch, full-batch GD (orange) one.',
    args: [R('eta', 'η', 0.001, 0.1, 0.001, 0.03), R('batch', 'batch size', 1, 200, 1, 10), R('epochs', 'epochs', 1, 20, 1, 5)] },
};

function buildSliders(name) {
  const box = document.getElementById('sliders');
  box.innerHTML = '';
  for (const a of EXAMPLES[name].args) {
    const l = document.createElement('label');
    if (a.options) {
      l.innerHTML = `${a.label} <select id="${a.id}">${a.options.map((o) => `<option>${o}</option>`).join('')}</select>`;
    } else if (a.check) {
      l.innerHTML = `<span>${a.label}</span><input type="checkbox" id="${a.id}"${a.value ? ' checked' : ''}>`;
    } else {
      l.innerHTML = `${a.label} <input type="range" id="${a.id}" min="${a.min}" max="${a.max}" step="${a.step}" value="${a.value}"><span id="${a.id}_v"></span>`;
    }
    box.appendChild(l);
  }
  document.getElementById('note').textContent = EXAMPLES[name].note;
  PG.bindRanges(redraw, box);
}

function redraw() {
  const name = document.getElementById('example').value, args = {};
  for (const a of EXAMPLES[name].args) args[a.id] = PG.val(a.id);
  const r = PG.course(name, args);
  PG.error(r.ok ? '' : r.error);
  if (!r.ok) return;
  document.getElementById('line').textContent = r.line;
  const cv = document.getElementById('plot'), it = r.iterates;
  let fr;
  if (r.grid) {
    fr = PG.frame(cv, r.grid.x0, r.grid.x1, r.grid.y0, r.grid.y1);
    PG.contour(fr, r.grid);
  } else if (r.curve) {
    const xb = PG.bounds([r.curve.x]), yb = PG.bounds([r.curve.y, name === 'linesearch' ? [] : it.y]);
    fr = PG.frame(cv, xb[0], xb[1], yb[0], yb[1]);
    PG.line(fr, r.curve.x, r.curve.y, '#1f77b4', false);
  } else {
    const xb = PG.bounds([it.x]), yb = PG.bounds([it.y, r.iterates_full.y]);
    fr = PG.frame(cv, xb[0], xb[1], yb[0], yb[1]);
  }
  if (name === 'linesearch') {
    const f = (x) => Math.log(Math.exp(x) + Math.exp(-2 * x - 3));
    PG.line(fr, it.x, it.x.map((x) => f(PG.num(x))), '#ff7f0e', true);
  } else {
    PG.line(fr, it.x, it.y, r.grid ? '#1f77b4' : '#ff7f0e', true);
  }
  const other = r.iterates_gd || r.iterates_adagrad || r.iterates_full;
  if (other) PG.line(fr, other.x, other.y, '#ff7f0e', true);
  const rows = it.x.slice(0, 60).map((x, i) => `<tr><td>${i}</td><td>${(+PG.num(x)).toFixed(6)}</td><td>${(+PG.num(it.y[i])).toFixed(6)}</td></tr>`);
  document.getElementById('iters').innerHTML = `<table class="iter"><tr><td>k</td><td>${r.grid ? 'x1' : 'x'}</td><td>${r.grid ? 'x2' : name === 'linesearch' ? "f'(x)" : name === 'sgd' ? 'loss' : 'f(x)'}</td></tr>${rows.join('')}</table>`;
}

PG.start(() => {
  const sel = document.getElementById('example');
  const pick = () => { buildSliders(sel.value); redraw(); };
  sel.onchange = pick;
  const want = new URLSearchParams(location.search).get('example');
  if (want && EXAMPLES[want]) sel.value = want;
  pick();
});
