/* expr.js — expression page: run the expression in nabla, draw the tape it recorded as a graph
 * (leaves left, each node in a column by depth), then step through backward's VJPs one node at a time. */
'use strict';
let answer = null, stepAt = 0;

const short = (d) => {
  if (!d) return '';
  const v = d.value.map(PG.num).map((x) => +x.toPrecision(6));
  return d.shape.length === 0 ? String(v[0]) : '[' + v.slice(0, 4).join(', ') + (v.length > 4 ? ', …' : '') + ']';
};

/* parse one trace block: {node: '#k', name, gout, to: [{input, ref, value}]} */
function parseBlock(text) {
  const lines = text.split('\n'), head = /^backward (#\d+) (\S+): grad_output (.*)$/.exec(lines[0]);
  const b = { node: head ? head[1] : '?', name: head ? head[2] : '', gout: head ? head[3] : '', to: [] };
  for (const l of lines.slice(1)) {
    const m = /-> input (\d+) \(([^)]*)\) \+= (.*)$/.exec(l);
    if (m) b.to.push({ input: +m[1], ref: m[2], value: m[3] });
  }
  return b;
}

function drawGraph(svg, tape, vars, upto) {
  const byPtr = {}, name = {};
  for (const v of vars || []) byPtr[v.ptr] = v.name;
  const items = [], depth = {};
  for (const l of tape.leaves) {
    name[l.id] = byPtr[l.ptr] ? byPtr[l.ptr] : (l.requires_grad ? l.id : 'const');
    depth[l.id] = 0;
    items.push({ id: l.id, title: `${name[l.id]}  (${l.id})`, value: short(l.data), inputs: [] });
  }
  for (const n of tape.nodes) {
    depth[n.id] = 1 + Math.max(0, ...n.inputs.map((r) => (r in depth ? depth[r] : 0)));
    items.push({ id: n.id, title: `${n.id} ${n.grad_fn}`, value: short(n.data), inputs: n.inputs });
  }
  const cols = {}, pos = {}, W = 168, H = 58, gapX = 40, gapY = 14;
  for (const it of items) {
    const d = depth[it.id];
    cols[d] = (cols[d] || 0) + 1;
    pos[it.id] = { x: 10 + d * (W + gapX), y: 10 + (cols[d] - 1) * (H + gapY) };
  }
  const maxRows = Math.max(1, ...Object.values(cols)), maxCol = Math.max(0, ...Object.keys(cols).map(Number));
  svg.setAttribute('height', 20 + maxRows * (H + gapY));
  svg.setAttribute('width', Math.max(860, 20 + (maxCol + 1) * (W + gapX)));
  /* what backward has delivered so far: per tensor, the VJPs that arrived; the node now running */
  const arrived = {}, blocks = (answer && svg.id === 'graph' ? answer.trace : []).map(parseBlock);
  let now = null;
  blocks.slice(0, upto).forEach((b, i) => {
    if (i === upto - 1) now = b.node;
    for (const t of b.to) (arrived[t.ref] = arrived[t.ref] || []).push(t.value);
  });
  let s = '<defs><marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">' +
    '<path d="M0,0L10,5L0,10z" fill="#777"/></marker></defs>';
  for (const it of items) {
    it.inputs.forEach((r) => {
      if (!pos[r]) return;
      const a = pos[r], b = pos[it.id];
      const hot = now === it.id;
      s += `<line x1="${a.x + W}" y1="${a.y + H / 2}" x2="${b.x}" y2="${b.y + H / 2}" stroke="${hot ? '#d62728' : '#999'}" ` +
        `stroke-width="${hot ? 2.5 : 1}" marker-end="url(#arr)"/>`;
    });
  }
  const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  for (const it of items) {
    const p = pos[it.id], hot = now === it.id, g = arrived[it.id];
    s += `<g data-id="${it.id}"><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="6" fill="${hot ? '#ffe9a8' : it.inputs.length ? '#eef3ff' : '#f1f8e9'}" stroke="#667"/>` +
      `<text x="${p.x + 6}" y="${p.y + 15}" font-size="12" font-weight="bold">${esc(it.title)}</text>` +
      `<text x="${p.x + 6}" y="${p.y + 31}" font-size="11">value ${esc(it.value)}</text>` +
      (g ? `<text class="arrived" x="${p.x + 6}" y="${p.y + 47}" font-size="11" fill="#b00020">grad += ${esc(g.join(' + '))}</text>` : '') +
      '</g>';
  }
  svg.innerHTML = s;
}

function showTrace() {
  const box = document.getElementById('trace');
  box.innerHTML = '';
  answer.trace.forEach((t, i) => {
    const d = document.createElement('div');
    d.textContent = t;
    d.className = i === stepAt - 1 ? 'now' : i < stepAt ? 'done' : '';
    box.appendChild(d);
  });
  drawGraph(document.getElementById('graph'), answer.tape, answer.vars, stepAt);
  const done = stepAt >= answer.trace.length;
  document.getElementById('grads').textContent = done
    ? answer.vars.map((v) => `d out / d ${v.name} = ${short({ shape: v.shape, value: v.grad || [] })}`).join('\n')
    : `step ${stepAt} of ${answer.trace.length}: press "step backward"`;
}

function run() {
  PG.error('');
  const second = PG.val('second');
  const r = PG.expr(document.getElementById('src').value, second);
  if (!r.ok) {
    PG.error(r.error);
    answer = null;
    document.getElementById('graph').innerHTML = '';
    document.getElementById('trace').innerHTML = '';
    document.getElementById('result').textContent = '';
    document.getElementById('grads').textContent = '';
    document.getElementById('second_box').hidden = true;
    return;
  }
  answer = r;
  stepAt = 0;
  document.getElementById('result').textContent = 'out = ' + +PG.num(r.result).toPrecision(8) + ` (${r.tape.nodes.length} nodes on the tape)`;
  showTrace();
  const box = document.getElementById('second_box');
  box.hidden = !r.second;
  if (r.second) {
    drawGraph(document.getElementById('graph2'), r.second.tape, r.second.vars, 0);
    document.getElementById('second_vals').textContent = r.second.note + '\n' +
      r.second.vars.map((v) => `${v.name}: ${short({ shape: v.shape, value: v.grad || [] })}`).join('\n');
  }
}

PG.start(() => {
  document.getElementById('run').onclick = run;
  document.getElementById('step').onclick = () => { if (answer && stepAt < answer.trace.length) { stepAt++; showTrace(); } };
  document.getElementById('all').onclick = () => { if (answer) { stepAt = answer.trace.length; showTrace(); } };
  document.getElementById('example').onchange = (e) => { document.getElementById('src').value = e.target.value; run(); };
  document.getElementById('second').onchange = run;
  run();
});
