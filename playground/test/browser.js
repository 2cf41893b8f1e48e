/* browser.js WEB_DIR SHOT_DIR — every playground page in headless Debian chromium (Playwright):
 * loads without console errors, reacts to its controls (a slider move changes the plot), shows the
 * expected VJP numbers when stepping backward through micrograd's neuron, shows a clear message for
 * a bad expression; a screenshot of each page goes to SHOT_DIR. */
'use strict';
const http = require('http'), fs = require('fs'), path = require('path');
const { chromium } = require('playwright-core');
const [web, shots] = process.argv.slice(2).map((p) => path.resolve(p));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.png': 'image/png' };

const server = http.createServer((req, res) => {
  const p = path.join(web, decodeURIComponent(req.url.split('?')[0]).replace(/^\/+/, '') || 'index.html');
  if (!p.startsWith(path.resolve(web)) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': types[path.extname(p)] || 'application/octet-stream' });
  fs.createReadStream(p).pipe(res);
});

let pass = 0, fail = 0;
const check = (ok, what) => { if (ok) pass++; else { fail++; console.log('FAIL ' + what); } };

async function canvasHash(page, id) {
  return page.evaluate((i) => document.getElementById(i).toDataURL(), id);
}

async function main() {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  let errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const open = async (name, ready) => {
    errors = [];
    await page.goto(base + name);
    await page.waitForFunction(ready, null, { timeout: 20000 });
  };
  const noErrors = (name) => check(errors.length === 0, `${name}: console errors: ${errors.join(' | ')}`);

  /* home */
  await open('index.html', () => /running/.test(document.getElementById('status').textContent));
  check(/is 6$/.test(await page.textContent('#status')), 'index: d(x*x)/dx at 3 is 6');
  await page.screenshot({ path: path.join(shots, 'playground_index.png') });
  noErrors('index');

  /* expression: micrograd's neuron, step by step */
  await open('expr.html', () => document.querySelectorAll('#trace div').length > 0);
  check((await page.$$('#graph g')).length === 10, 'expr: 5 leaves + 5 nodes drawn');
  await page.click('#step');
  const now = await page.textContent('#trace div.now');
  check(/backward #4 TanhBackward0: grad_output 1/.test(now) && /-> input 0 \(#3\) \+= 0\.5/.test(now), 'expr: first VJP ' + now);
  check(/grad \+= 0\.5/.test(await page.textContent('#graph g[data-id="#3"]')), 'expr: 0.5 arrives at #3');
  await page.click('#all');
  const grads = await page.textContent('#grads');
  check(/d out \/ d x1 = -1\.5\b/.test(grads) && /d out \/ d w1 = 1\b/.test(grads) && /d out \/ d x2 = 0\.5\b/.test(grads) &&
    /d out \/ d w2 = 0\b/.test(grads), 'expr: micrograd gradients ' + grads);
  await page.check('#second');
  await page.waitForFunction(() => !document.getElementById('second_box').hidden);
  check((await page.$$('#graph2 g')).length > 10, 'expr: create_graph tape drawn');
  await page.screenshot({ path: path.join(shots, 'playground_expr.png'), fullPage: true });
  for (const [src, msg] of [['x = 2; x +', 'unexpected end of input'], ['y * 2', "unknown name 'y'"],
    ['x = [1, 2]\nx * 3', 'wrap it in sum'], ['x = 1; foo(x)', "unknown function 'foo'"],
    ['A = [[1, 2]]; x = [1, 2, 3]\nsum(A @ x)', 'nb_matmul']]) {
    await page.fill('#src', src);
    await page.click('#run');
    const e = await page.textContent('#error');
    check(e.includes(msg), `expr: bad expression ${JSON.stringify(src)} -> ${JSON.stringify(e)}`);
  }
  noErrors('expr');

  /* course: the seed's numbers, and a slider move redraws */
  await open('course.html', () => document.getElementById('line').textContent.length > 0);
  check((await page.textContent('#line')) === 'epoch 10, x: 0.060466', 'course: gd1d default line');
  const before = await canvasHash(page, 'plot');
  await page.$eval('#eta', (e) => { e.value = '0.05'; e.dispatchEvent(new Event('input')); });
  check((await page.textContent('#line')) === 'epoch 10, x: 3.486784', 'course: eta 0.05 line');
  check((await canvasHash(page, 'plot')) !== before, 'course: slider move changes the plot');
  for (const [ex, line] of [['gd2d', 'epoch 20, x1: -0.057646, x2: -0.000073'], ['newton', 'epoch 10, x: tensor(26.8341)'],
    ['linesearch', 'minimum at x = -0.768951'], ['precond', '1 iterations']]) {
    await page.selectOption('#example', ex);
    const l = await page.textContent('#line');
    check(l.includes(line), `course: ${ex} -> ${l}`);
    await page.screenshot({ path: path.join(shots, `playground_course_${ex}.png`) });
  }
  noErrors('course');

  /* optimizers */
  await open('optim.html', () => document.getElementById('finals').textContent.length > 0);
  check((await page.textContent('#finals')).split('\n').length === 8, 'optim: 8 methods');
  const o1 = await canvasHash(page, 'plot');
  await page.$eval('#steps', (e) => { e.value = '5'; e.dispatchEvent(new Event('input')); });
  check((await canvasHash(page, 'plot')) !== o1, 'optim: steps slider changes the plot');
  await page.selectOption('#f', 'rosenbrock');
  check((await page.inputValue('#x0')) === '-1.5', 'optim: Rosenbrock starts at (-1.5, 2)');
  await page.$eval('#steps', (e) => { e.value = '100'; e.dispatchEvent(new Event('input')); });
  await page.screenshot({ path: path.join(shots, 'playground_optim.png') });
  noErrors('optim');

  /* network */
  await open('net.html', () => /step 0/.test(document.getElementById('status').textContent));
  const n1 = await canvasHash(page, 'plot');
  for (let i = 0; i < 5; i++) await page.click('#step');
  check(/step 50,/.test(await page.textContent('#status')), 'net: 50 steps');
  check((await canvasHash(page, 'plot')) !== n1, 'net: training changes the decision surface');
  await page.screenshot({ path: path.join(shots, 'playground_net.png') });
  noErrors('net');

  await browser.close();
  server.close();
  console.log(`${pass} passed, ${fail} failed`);
  process.exit(fail ? 1 : 0);
}
main().catch((e) => { console.log('FAIL ' + e.stack); console.log(`${pass} passed, ${fail + 1} failed`); process.exit(1); });
