// quiz.mjs: browser tests of quiz attempts (tests/fixtures/quiz-rules): the attempt's order,
// attempt limits and time limits, as a learner meets them, with and without JavaScript.
//
// Environment as run.mjs: RELAIS, RELAIS_SOURCE_ROOT, CHROMIUM, KEEP=1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RELAIS, SOURCE_ROOT, CHROMIUM, LAUNCH, READER_ADDRESS, say, startServer, stop } from './lib.mjs';

const LIMIT = 120000;
const COURSE = 'quiz-rules';
const ME = { name: 'Awa Ndiaye', email: 'awa.ndiaye@example.org' };
// The capitals in the order the quiz writes its rows: what a drop-down must not copy.
const ROW_ORDER = ['Dakar', 'Lima', 'Lisbon', 'Amman', 'Bamako', 'Santiago'];

let tmp;
let home;
let browser;
let reader;

function relais(...args) {
  return execFileSync(RELAIS, args, { env: { ...process.env, RELAIS_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/* Starts `relais read` and resolves with its launch address. */
function startReader() {
  return startServer(RELAIS, ['read', '--no-browser', '--port', '0'], { RELAIS_HOME: home }, READER_ADDRESS);
}

const stopReader = stop;

/*
 * A new browser (a tab closed, then opened again): the launch address is
 * good once, so the reader is restarted, and the learner chosen again.
 */
async function newTab({ javaScriptEnabled = true, first = false } = {}) {
  await stopReader(reader);
  reader = await startReader();
  const context = await browser.newContext({ javaScriptEnabled });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  await page.goto(reader.url);
  assert.equal(new URL(page.url()).pathname, '/who');
  if (first) {
    await page.getByLabel('Name', { exact: true }).fill(ME.name);
    await page.getByLabel('Email address', { exact: true }).fill(ME.email);
    await submit(page, page.getByRole('button', { name: 'Start studying', exact: true }));
  } else {
    await submit(page, page.getByRole('button', { name: ME.name, exact: true }));
  }
  assert.equal(new URL(page.url()).pathname, '/');
  return { context, page };
}

/* Clicks a submit button and waits for the page the POST leads to; returns its response. */
async function submit(page, button) {
  const [resp] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), button.click()]);
  await page.waitForLoadState('load');
  return resp;
}

async function openQuiz(page, unit) {
  await page.goto(`${reader.origin}/c/${COURSE}/quiz/${unit}.json`);
}

/* The capitals of the first drop-down of the capitals question, in page order. */
async function dropDown(page) {
  return page.locator('select[name="q-capitals.0"] option').evaluateAll(
    (os) => os.filter((o) => o.value !== '').map((o) => o.textContent.trim()));
}

function bannerOf(page) {
  return page.locator('main p.banner[role="status"]').first().innerText();
}

/* The home database, as a learner's clock would have it later: an SQL update run by python3. */
function moveDeadline(msFromNow) {
  execFileSync('python3', ['-c', `import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE quiz_attempt SET deadline = ? WHERE unit_id = 'timed' AND submitted IS NULL",
               (int(time.time() * 1000) + int(sys.argv[2]),)).rowcount
db.commit()
sys.exit(0 if n == 1 else 1)`, path.join(home, 'relais.db'), String(msFromNow)]);
}

function outbox() {
  const db = path.join(home, 'relais.db');
  const out = execFileSync('python3', ['-c', `import sqlite3, sys, json
print(json.dumps([r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT statement FROM outbox ORDER BY seq")]))`, db], { encoding: 'utf8' });
  return JSON.parse(out).map((s) => JSON.parse(s));
}

before(async () => {
  assert.ok(fs.existsSync(RELAIS), `no relais program at ${RELAIS}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-quiz-'));
  home = path.join(tmp, 'home');
  const pub = path.join(tmp, 'k.pub');
  const key = path.join(tmp, 'k.key');
  const bundle = path.join(tmp, 'rules.relais');
  relais('keygen', '--public-key', pub, '--secret-key', key, '--no-password');
  relais('pack', path.join(SOURCE_ROOT, 'tests', 'fixtures', COURSE), '--secret-key', key, '-o', bundle);
  relais('trust', 'add', pub, '--name', 'Test academy');
  relais('install', bundle);
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stopReader(reader);
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
});

test('1. matching drop-downs: not in row order, the same on reload and in a new tab, another order next attempt', { timeout: LIMIT }, async () => {
  let { context, page } = await newTab({ first: true });
  const orders = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    await openQuiz(page, 'matching');
    const shown = await dropDown(page);
    assert.deepEqual([...shown].sort(), [...ROW_ORDER].sort(), 'every capital is offered once');
    for (let row = 1; row < 6; row++) {
      assert.deepEqual(await page.locator(`select[name="q-capitals.${row}"] option`).evaluateAll(
        (os) => os.filter((o) => o.value !== '').map((o) => o.textContent.trim())), shown, 'one order per attempt');
    }
    await page.reload();
    assert.deepEqual(await dropDown(page), shown, 'a reload shows the same order');
    if (attempt === 0) {
      await context.close();
      ({ context, page } = await newTab());
      await openQuiz(page, 'matching');
      assert.deepEqual(await dropDown(page), shown, 'the tab closed and opened again shows the same order');
      say(`attempt 1 shows ${shown.join(', ')} on reload and in a new tab`);
    }
    orders.push(shown.join(','));
    // Right answers chosen by what the learner reads, wherever the page put them.
    const rows = ['Senegal', 'Peru', 'Portugal', 'Jordan', 'Mali', 'Chile'];
    for (let row = 0; row < 6; row++) {
      await page.getByLabel(rows[row], { exact: true }).selectOption({ label: ROW_ORDER[row] });
    }
    await submit(page, page.getByRole('button', { name: 'Submit my answers', exact: true }));
    assert.match(await bannerOf(page), /Your score: 100%/, 'scoring follows the answers, not their places');
  }
  const inRowOrder = orders.filter((o) => o === ROW_ORDER.join(',')).length;
  assert.ok(inRowOrder < orders.length, `every attempt listed the capitals in row order: ${orders.join(' | ')}`);
  assert.ok(new Set(orders).size > 1, `five attempts, one order: ${orders[0]}`);
  say(`5 attempts, ${new Set(orders).size} orders, ${inRowOrder} in row order, each scored 100%`);

  await openQuiz(page, 'ordered');
  assert.deepEqual(await dropDown(page), ROW_ORDER, 'shuffle: false keeps the written order');
  say('"shuffle": false keeps the order written');
  await context.close();
});

test('2. attempt limit: after two attempts the quiz says why and cannot be started or sent again', { timeout: LIMIT }, async () => {
  const { context, page } = await newTab({ javaScriptEnabled: false });
  for (let n = 1; n <= 2; n++) {
    await openQuiz(page, 'limited');
    assert.match(await page.locator('.relais-attempts').innerText(), new RegExp(`Attempt ${n} of 2`));
    await page.getByLabel('False', { exact: true }).check();
    const r = await submit(page, page.getByRole('button', { name: 'Submit my answers', exact: true }));
    assert.equal(r.status(), 200);
  }
  await openQuiz(page, 'limited');
  assert.equal(await page.locator('form.quiz').count(), 0, 'no quiz form once the attempts are used');
  const why = await page.locator('.relais-no-attempt').innerText();
  assert.match(why, /You have used all 2 attempts allowed at this quiz/);
  say(`third visit: "${why}"`);
  const before = outbox().length;
  const r = await page.request.post(`${reader.origin}/c/${COURSE}/quiz/limited`, {
    form: { token: await tokenOf(page), 'q-sky': 'true' },
  });
  assert.equal(r.status(), 403, 'a third submission is refused');
  assert.match(await r.text(), /You have used all 2 attempts/);
  assert.equal(outbox().length, before, 'and records nothing');
  say('a third submission is refused with 403 and records nothing');
  await context.close();
});

/* The session's token, from the lesson's "read" form. */
async function tokenOf(page) {
  await page.goto(`${reader.origin}/c/${COURSE}/intro.html`);
  return page.locator('input[name="token"]').first().getAttribute('value');
}

test('3. time limit without JavaScript: the deadline is shown as a time, survives a new tab, a late answer is recorded late and fails', { timeout: LIMIT }, async () => {
  let { context, page } = await newTab({ javaScriptEnabled: false });
  await openQuiz(page, 'timed');
  assert.equal(await page.locator('select, input[name="q-sky"]').count(), 0, 'questions only once started');
  assert.match(await page.locator('.relais-time-limit').innerText(), /time limit of 5 minutes/);
  await submit(page, page.getByRole('button', { name: 'Start the quiz', exact: true }));
  const when = await page.locator('.relais-deadline time').innerText();
  assert.match(when, /^\d\d:\d\d$|^\d{4}-\d\d-\d\d \d\d:\d\d$/, `the deadline as a time: ${when}`);
  const iso = await page.locator('.relais-deadline time').getAttribute('datetime');
  const left = Date.parse(iso) - Date.now();
  assert.ok(left > 3 * 60000 && left <= 5 * 60000 + 5000, `deadline ${iso} is about 5 minutes away`);
  say(`started: "Hand in before ${when}" (${iso})`);
  await context.close();
  ({ context, page } = await newTab({ javaScriptEnabled: false }));
  await openQuiz(page, 'timed');
  assert.equal(await page.locator('.relais-deadline time').getAttribute('datetime'), iso, 'a new tab keeps the deadline');
  // The learner lets the time run out: the stored deadline is moved into the past.
  moveDeadline(-5 * 60000);
  await page.getByLabel('True', { exact: true }).check();
  await submit(page, page.getByRole('button', { name: 'Submit my answers', exact: true }));
  assert.match(await page.locator('.relais-late').innerText(), /after the time limit/);
  assert.match(await page.locator('main p.banner:not(.relais-late)').innerText(), /Not passed yet/);
  const quiz = outbox().filter((s) => s.object.id.endsWith('/quiz-rules/timed') && /passed|failed/.test(s.verb.id));
  assert.equal(quiz.length, 1);
  assert.equal(quiz[0].result.success, false, 'a late attempt does not pass, right answers or not');
  assert.equal(quiz[0].result.score.scaled, 1);
  assert.equal(quiz[0].result.extensions['https://relais.invalid/xapi/extensions/late'], true);
  say('a submission 5 minutes late is recorded as failed with its score and the late extension');
  await context.close();
});

test('4. time limit with JavaScript: a countdown, and the answers handed in when the time is up', { timeout: LIMIT }, async () => {
  const { context, page } = await newTab();
  await openQuiz(page, 'timed');
  await submit(page, page.getByRole('button', { name: 'Start the quiz', exact: true }));
  const countdown = page.locator('.relais-countdown');
  await countdown.waitFor({ state: 'visible' });
  assert.match(await countdown.innerText(), /Time left: [0-5]:\d\d/);
  say(`countdown shown: "${await countdown.innerText()}"`);
  moveDeadline(3000);
  await page.reload();
  await page.getByLabel('True', { exact: true }).check();
  // Nobody presses Submit: the page hands the answers in itself at the deadline.
  await page.locator('main p.banner[role="status"]').waitFor({ timeout: 15000 });
  assert.equal(await page.locator('.relais-late').count(), 0, 'handed in on time');
  assert.match(await bannerOf(page), /Passed/);
  say('at the deadline the page submitted the answers itself: Passed, not late');
  await context.close();
});
