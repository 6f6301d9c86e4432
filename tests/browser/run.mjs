// run.mjs: browser tests of the reader, as a learner would use it (Debian's chromium, playwright-core, axe-core).
//
// Sets up a fresh RELAIS_HOME with a key and both sample courses, starts
// `relais read`, drives chromium through the pages and always stops the
// reader at the end. Environment: RELAIS (the relais program, default
// ../../build/cli/relais from this file), RELAIS_SOURCE_ROOT (the
// source tree holding courses/, default ../..), CHROMIUM (default
// /usr/bin/chromium), KEEP=1 keeps the temporary home for inspection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const RELAIS = path.resolve(here, process.env.RELAIS || '../../build/cli/relais');
const SOURCE_ROOT = path.resolve(here, process.env.RELAIS_SOURCE_ROOT || '../..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE = path.join(here, 'node_modules', 'axe-core', 'axe.min.js');
const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

const LIMIT = 90000; // per test: a hung page fails the test instead of the run
const EN = 'migration-health';
const FR = 'protection-consulaire';

let tmp; // the temporary directory: home, key, bundles
let home; // RELAIS_HOME
let browser;
let reader; // the running reader: { proc, url, origin, stderr }
const courses = {}; // id -> { title, language, units (from the manifest), quizUnit, quiz (its JSON), bundle }

// ---------------------------------------------------------------- helpers

function say(msg) {
  console.log(`    checked: ${msg}`);
}

function relais(...args) {
  return execFileSync(RELAIS, args, {
    env: { ...process.env, RELAIS_HOME: home },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/* Starts `relais read` and resolves with its address once the first line is out. */
function startReader() {
  return new Promise((resolve, reject) => {
    const proc = spawn(RELAIS, ['read', '--no-browser', '--port', '0'], {
      env: { ...process.env, RELAIS_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`relais read printed no address in 10 s; stderr: ${stderr}`));
    }, 10000);
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`relais read exited (${code ?? sig}) before printing its address; stderr: ${stderr}`));
    });
    const lines = createInterface({ input: proc.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\/\?k=[0-9a-f]{32}$/.exec(line.trim());
      if (!m) {
        proc.kill('SIGKILL');
        reject(new Error(`unexpected first line from relais read: ${JSON.stringify(line)}`));
        return;
      }
      proc.removeAllListeners('exit');
      const r = { proc, url: line.trim(), origin: m[1], get stderr() { return stderr; }, exited: null, stopping: false };
      r.exited = new Promise((res) => proc.once('exit', (code, signal) => {
        if (!r.stopping) console.log(`# relais read at ${r.origin} exited by itself (${code ?? signal}); stderr: ${stderr.trim()}`);
        res({ code, signal });
      }));
      resolve(r);
    });
  });
}

/* Stops the reader with SIGTERM; SIGKILL if it is still there after 5 s. */
async function stopReader(r) {
  if (!r || r.proc.exitCode !== null || r.proc.signalCode !== null) {
    return r ? { code: r.proc.exitCode, signal: r.proc.signalCode, ms: 0, killed: false } : null;
  }
  const t0 = Date.now();
  r.stopping = true;
  r.proc.kill('SIGTERM');
  let timer;
  const late = new Promise((res) => { timer = setTimeout(() => res('late'), 5000); });
  let out = await Promise.race([r.exited, late]);
  clearTimeout(timer);
  let killed = false;
  if (out === 'late') {
    killed = true;
    r.proc.kill('SIGKILL');
    out = await r.exited;
  }
  return { ...out, ms: Date.now() - t0, killed };
}

function readQuiz(bundle) {
  return JSON.parse(execFileSync('unzip', ['-p', bundle, 'quiz/evaluation.json'], { encoding: 'utf8' }));
}

function readManifest(bundle) {
  return JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], { encoding: 'utf8' }));
}

/* Plain text of an HTML fragment, as a browser shows it (enough for quiz feedback). */
function plain(html) {
  return html.replace(/<[^>]*>/g, '')
    .replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}

const scored = (quiz) => quiz.questions.filter((q) => q.scored);

/*
 * The right answers, written here from courses/<id>/quiz/evaluation.gift, so
 * that a quiz JSON that scored wrongly would fail the test rather than steer it:
 * multiple choice as the positions (from 0, in source order) of the right
 * choices; true/false; one accepted text; one number in range; each matching
 * row's answer.
 */
const ANSWER_KEY = {
  'migration-health': {
    'purpose-of-the-ihr': [0],
    'limits-of-temperature-screening': [0, 1],
    'dignity-in-practice': [0, 1, 2, 3],
    'yellow-fever-certificate-validity': true,
    'medicines-found-at-the-border': false,
    'model-certificate': 'ICVP',
    'generic-medicine-names': 'INN',
    'fever-threshold': 38,
    'contact-tracing-on-a-long-flight': 14,
    'yellow-fever-certificate-start': 10,
    'key-ihr-articles': {
      'Article 6': 'Notification of WHO',
      'Article 23': 'Health measures on arrival and departure',
      'Article 32': 'Treatment of travellers with respect for dignity and human rights',
      'Article 45': 'Treatment of personal data',
    },
    'referral-pathways': {
      'A child travelling alone': 'Child protection services',
      "Another person holds the traveller's documents and speaks for them": 'National referral mechanism for victims of trafficking',
      'Signs of torture or severe distress': 'Health and psychosocial services',
      'A traveller who meets the case definition in force': 'Isolation and the designated hospital',
    },
    'annex-2-rule': [0],
    'national-ihr-focal-point': [0],
  },
  'protection-consulaire': {
    'fondement-juridique': [0],
    'annonce-d-un-deces': [0, 1],
    'plan-de-securite': [0, 1, 2, 3],
    'role-de-la-delegation': true,
    'statut-decede': false,
    'registre-chronologique': 'main courante',
    'coordination-europeenne': 'État pilote',
    'estimation-de-population': 1150,
    'delai-du-retex': 4,
    'rotations': 6,
    'fonctions-de-la-cellule': {
      'Main courante': 'Consigner faits, messages et décisions avec l\'heure',
      'Plateforme téléphonique': 'Recevoir les appels et remplir les fiches de signalement',
      'Communication': 'Préparer des messages validés par la centrale',
      'Liaison et logistique': 'Gérer le lien avec autorités et partenaires, le transport et les stocks',
    },
    'options-face-a-la-menace': {
      'Aéroport ouvert, routes sûres, menace qui monte': 'Départ par moyens commerciaux',
      'Combats en cours, tout déplacement plus dangereux que l\'attente': 'Mise à l\'abri sur place',
      'Plus de vols commerciaux, menace grave et durable': 'Évacuation assistée',
      'Menace limitée à une région du pays': 'Relocalisation interne',
    },
    'citoyens-non-representes': [0],
    'premiers-secours-psychologiques': [0],
  },
};

/*
 * Fills the quiz form as a learner does, finding each control inside the
 * question's fieldset by its value or its label (not by field name).
 * `right(q, i)` says whether scored question i gets its right answer (from
 * ANSWER_KEY) or a wrong one (anything the key does not give).
 */
async function answerQuiz(page, quiz, right) {
  const qs = scored(quiz);
  const key = ANSWER_KEY[quiz.course];
  for (let i = 0; i < qs.length; i++) {
    const q = qs[i];
    const good = right(q, i);
    const want = key[q.id];
    assert.notEqual(want, undefined, `no answer key for question ${q.id}`);
    const box = page.locator(`form.quiz fieldset#relais-${q.id}`);
    const choice = (v) => box.locator(`input[value="${v}"]`);
    switch (q.type) {
      case 'multichoice': {
        const n = await box.locator('input[type="radio"], input[type="checkbox"]').count();
        const all = [...Array(n).keys()];
        const pick = good ? want : (q.single ? [all.find((k) => !want.includes(k))] : all.filter((k) => !want.includes(k)));
        for (const k of pick) await choice(k).check();
        break;
      }
      case 'truefalse':
        await choice(String(good ? want : !want)).check();
        break;
      case 'shortanswer':
        await box.getByRole('textbox').fill(good ? want : 'not the answer at all');
        break;
      case 'numerical':
        await box.getByRole('textbox').fill(String(good ? want : want * 10 + 1000));
        break;
      case 'matching':
        for (const [row, answer] of Object.entries(want)) {
          const label = good ? answer : Object.values(want).find((c) => c !== answer);
          await box.getByLabel(row, { exact: true }).selectOption({ label });
        }
        break;
      default:
        throw new Error(`question ${q.id}: no way to answer type ${q.type}`);
    }
  }
}

/* Records what a user would see go wrong: script errors, console errors (CSP), failed or 4xx/5xx loads. */
function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    // A navigation replaced by another one (form submit + redirect) is not a failure.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  return problems;
}

/*
 * Clicks a form's submit button and waits for the answer; a refused form
 * (4xx/5xx) fails with what the reader said and the Origin the browser sent.
 */
async function submitForm(page, button) {
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    button.click(),
  ]);
  if (resp.status() >= 400) {
    const sent = await resp.request().allHeaders();
    assert.fail(`POST ${new URL(resp.url()).pathname} answered ${resp.status()}: ${(await resp.text()).trim()} ` +
      `(the browser sent Origin: ${sent.origin ?? '(none)'})`);
  }
  await page.waitForLoadState('load');
  return resp;
}

/* Follows a link as a learner clicks it and waits for the page it names to load. */
async function follow(page, link) {
  const target = new URL(await link.getAttribute('href'), page.url());
  await link.click();
  await page.waitForURL((u) => u.pathname === target.pathname && u.search === target.search);
}

async function newContext(options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(10000);
  return context;
}

function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

async function h1(page) {
  return (await page.locator('h1').first().innerText()).trim();
}

/* Every <img> in the lesson article decodes to a real picture (naturalWidth > 0). */
async function imagesLoaded(page) {
  const imgs = page.locator('main article img');
  const n = await imgs.count();
  const out = [];
  for (let i = 0; i < n; i++) {
    const img = imgs.nth(i);
    await img.scrollIntoViewIfNeeded();
    // decode() settles once the picture is loaded or has failed; no event handler needed (JavaScript may be off).
    const info = await img.evaluate((el) => el.decode().then(() => 'ok', (e) => String(e))
      .then((decoded) => ({ src: el.getAttribute('src'), w: el.naturalWidth, h: el.naturalHeight, decoded })));
    out.push(info);
  }
  return out;
}

/* The course outline as [{title, state}], state being the text in parentheses. */
async function outline(page) {
  const items = await page.locator('ol.outline > li').evaluateAll((lis) => lis.map((li) => ({
    title: li.querySelector('a').textContent.trim(),
    state: li.querySelector('.state').textContent.trim(),
  })));
  return items;
}

function card(page, title) {
  return page.locator('li.card', { has: page.getByRole('heading', { name: title, exact: true }) });
}

async function cardProgress(page, title) {
  const c = card(page, title);
  const bar = c.locator('progress');
  return {
    value: Number(await bar.getAttribute('value')),
    max: Number(await bar.getAttribute('max')),
    text: (await c.innerText()).replace(/\s+/g, ' '),
    button: (await c.locator('a.button').innerText()).trim(),
    buttonHref: await c.locator('a.button').getAttribute('href'),
  };
}

/* The launch address opens one session: a second browser context needs a reader of its own. */
async function launchAddress() {
  if (reader.used) {
    const st = await stopReader(reader);
    assert.equal(st.code, 0, `relais read exits 0 on SIGTERM (got ${st.code ?? st.signal})`);
    reader = await startReader();
  }
  reader.used = true;
  return reader.url;
}

/* Opens the reader's address in a page: a new session lands on "Who is studying?". */
async function openReader(page, who = 'Who is studying?') {
  await page.goto(await launchAddress());
  assert.equal(new URL(page.url()).pathname, '/who', 'the launch address leads to the learner choice');
  assert.ok(!page.url().includes('k='), 'the secret is dropped from the address bar');
  assert.equal(await h1(page), who);
}

async function addLearner(page, { name, email, org }, words = {}) {
  const w = { name: 'Name', email: 'Email address', org: 'Organisation (optional)', start: 'Start studying', ...words };
  await page.getByLabel(w.name, { exact: true }).fill(name);
  await page.getByLabel(w.email, { exact: true }).fill(email);
  if (org) await page.getByLabel(w.org, { exact: true }).fill(org);
  await submitForm(page, page.getByRole('button', { name: w.start, exact: true }));
  assert.equal(new URL(page.url()).pathname, '/', 'a new learner lands on the library');
}

/* Clicks "I have read this lesson: continue". */
async function markRead(page, words = 'I have read this lesson: continue') {
  await submitForm(page, page.getByRole('button', { name: words, exact: true }));
}

async function chooseLearner(page, label) {
  const button = page.getByRole('button', { name: label, exact: true });
  if (await button.count() === 0) assert.fail(`"Who is studying?" offers no learner "${label}" (test 1 creates it)`);
  await submitForm(page, button);
  assert.equal(new URL(page.url()).pathname, '/', 'choosing a learner leads to the library');
}

async function submitQuiz(page, words = 'Submit my answers') {
  await submitForm(page, page.getByRole('button', { name: words, exact: true }));
}

async function banner(page) {
  return (await page.locator('main p.banner[role="status"]').innerText()).replace(/\s+/g, ' ').trim();
}

function expectedPercent(nRight, quiz) {
  return Math.floor((100 * nRight) / scored(quiz).length);
}

// ---------------------------------------------------------------- setup

before(async () => {
  assert.ok(fs.existsSync(RELAIS), `no relais program at ${RELAIS}: build first (ninja -C build)`);
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  assert.ok(fs.existsSync(AXE), 'no axe-core: run npm ci in tests/browser');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-browser-'));
  home = path.join(tmp, 'home');
  const pub = path.join(tmp, 'k.pub');
  const key = path.join(tmp, 'k.key');
  relais('keygen', '--public-key', pub, '--secret-key', key, '--no-password');
  for (const id of [EN, FR]) {
    const bundle = path.join(tmp, `${id}.relais`);
    relais('pack', path.join(SOURCE_ROOT, 'courses', id), '--secret-key', key, '-o', bundle);
    const m = readManifest(bundle);
    const units = m.units.map((u) => ({ ...u }));
    const quizUnit = units.find((u) => u.type === 'quiz');
    courses[id] = { title: m.title, language: m.language, units, quizUnit, quiz: { ...readQuiz(bundle), course: id }, bundle };
  }
  relais('trust', 'add', pub, '--name', 'Test academy');
  relais('install', courses[EN].bundle, courses[FR].bundle);
  reader = await startReader();
  browser = await chromium.launch(LAUNCH);
  console.log(`# reader at ${reader.origin}, home ${home}, chromium ${browser.version()}`);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  const st = await stopReader(reader);
  if (st?.killed) console.log('# the reader ignored SIGTERM for 5 s and was killed');
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`# kept ${tmp}`);
});

const lessonsOf = (id) => courses[id].units.filter((u) => u !== courses[id].quizUnit);

// ---------------------------------------------------------------- tests

test('1. whole path with JavaScript on: profile, lessons, quiz fail then pass, completion, restart keeps it all', { timeout: LIMIT }, async () => {
  const c = courses[EN];
  const lessons = lessonsOf(EN);
  const quiz = c.quiz;
  const n = scored(quiz).length;
  const me = { name: 'Amina Diallo', email: 'amina.diallo@example.org', org: 'Border Health Unit' };
  const context = await newContext();
  const page = await context.newPage();
  const problems = watch(page);

  await openReader(page);
  await addLearner(page, me);
  assert.equal(await h1(page), 'Your courses');
  await page.getByText(`Studying: ${me.name}`, { exact: true }).waitFor();
  let p = await cardProgress(page, c.title);
  assert.deepEqual([p.value, p.max], [0, c.units.length], 'a new learner has an empty progress bar');
  assert.match(p.text, new RegExp(`0 of ${c.units.length} units done`));
  assert.ok(!p.text.includes('Completed'));
  assert.match(p.button, /^Begin/);
  say(`profile "${me.name}" created in the form; library lists "${c.title}" at 0 of ${c.units.length}, button Begin`);

  await follow(page, card(page, c.title).getByRole('link', { name: c.title, exact: true }));
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/`);
  assert.equal(await h1(page), c.title);
  let o = await outline(page);
  assert.deepEqual(o.map((x) => x.title), c.units.map((u) => u.title), 'the outline lists the units in order');
  assert.ok(o.every((x) => x.state.includes('Not started')), `all units start "Not started": ${JSON.stringify(o)}`);
  assert.equal(await page.locator('main').getByText('Course completed').count(), 0);
  say('outline lists the 8 units in order, all "Not started", no completion banner');

  await follow(page, page.getByRole('link', { name: lessons[0].title, exact: true }));
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${lessons[0].path}`);
  assert.equal(await h1(page), lessons[0].title);
  assert.equal(await page.locator('main article').getAttribute('lang'), 'en');
  let imgs = await imagesLoaded(page);
  assert.ok(imgs.length >= 1, 'the first lesson has a picture');
  for (const i of imgs) assert.ok(i.w > 0 && i.h > 0, `image ${i.src} loaded (naturalWidth ${i.w})`);
  say(`lesson "${lessons[0].title}": heading shown, ${imgs.length} image(s) loaded (${imgs.map((i) => `${i.src} ${i.w}px`).join(', ')})`);

  await markRead(page);
  await page.waitForURL((u) => u.pathname === `/c/${EN}/${lessons[1].path}`);
  assert.equal(await h1(page), lessons[1].title);
  imgs = await imagesLoaded(page);
  for (const i of imgs) assert.ok(i.w > 0, `image ${i.src} loaded`);
  say(`"I have read this lesson: continue" led to the next lesson "${lessons[1].title}" (${imgs.length} image(s) loaded)`);

  await follow(page, page.getByRole('link', { name: 'Course outline', exact: true }));
  o = await outline(page);
  assert.match(o[0].state, /Lesson · Done/, `first lesson done: ${o[0].state}`);
  assert.match(o[1].state, /Not started/, `second lesson only opened: ${o[1].state}`);
  say(`outline: "${o[0].title}" ${o[0].state}`);

  // The quiz.
  await follow(page, page.getByRole('link', { name: c.quizUnit.title, exact: true }));
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${c.quizUnit.path}`);
  assert.equal(await h1(page), c.quizUnit.title);
  await page.getByText(`Pass mark: ${c.quizUnit.pass_percent}%`).waitFor();
  assert.equal(await page.locator('form.quiz fieldset.relais-question').count(), quiz.questions.length);

  // JavaScript on: leaving a quiz with an answer given but not submitted asks first.
  const first = scored(quiz)[0];
  const firstInput = page.locator(`form.quiz input[name="q-${first.id}"]`).first();
  await firstInput.check();
  const dialogSeen = new Promise((res) => page.once('dialog', async (d) => { res(d.type()); await d.dismiss(); }));
  await page.locator('nav.pager').getByRole('link', { name: 'Course outline' }).click({ noWaitAfter: true });
  const dialogType = await Promise.race([dialogSeen, new Promise((res) => setTimeout(() => res('none'), 3000))]);
  assert.equal(dialogType, 'beforeunload', 'leaving a quiz with an unsent answer asks first');
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${c.quizUnit.path}`, 'dismissing the question keeps the learner on the quiz');
  assert.ok(await firstInput.isChecked(), 'and the answer is still there');
  say('leaving the quiz with an unsent answer asks "leave page?"; staying keeps the answer');
  await page.reload(); // a fresh form (the reload prompt does not show without a new gesture)
  await page.waitForLoadState('load');

  const nRight = 3;
  await answerQuiz(page, quiz, (q, i) => i < nRight);
  await submitQuiz(page);
  let b = await banner(page);
  const failPct = expectedPercent(nRight, quiz);
  assert.match(b, /Not passed yet/, b);
  assert.ok(b.includes(`Your score: ${failPct}%`), `score ${failPct}% shown: ${b}`);
  assert.ok(b.includes('Saved on this laptop.'), b);
  assert.equal(await page.locator('main').getByRole('link', { name: 'Course completed' }).count(), 0);
  const qs = scored(quiz);
  for (let i = 0; i < qs.length; i++) {
    const sec = page.locator(`section#relais-${qs[i].id}`);
    const status = (await sec.locator('.relais-status').innerText()).trim();
    if (i < nRight) assert.match(status, /^Correct \(1 \/ 1\)/, `${qs[i].id}: ${status}`);
    else assert.match(status, /^(Incorrect|Partially correct|Not answered)/, `${qs[i].id}: ${status}`);
    assert.doesNotMatch(status, i < nRight ? /Incorrect/ : /^Correct/, `${qs[i].id}: ${status}`);
  }
  // The feedback of a wrong true/false choice is shown to the learner.
  const tf = qs.slice(nRight).find((q) => q.type === 'truefalse');
  if (tf) {
    const fb = plain(tf.answer ? tf.feedback_false_html : tf.feedback_true_html);
    if (fb) await page.locator(`section#relais-${tf.id}`).getByText(fb).waitFor();
  }
  say(`bad answers (${nRight} of ${n} right): "Not passed yet", "Your score: ${failPct}%", "Saved on this laptop.", per-question Correct/Incorrect and feedback`);

  await follow(page, page.getByRole('link', { name: 'Try again', exact: true }));
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${c.quizUnit.path}`);
  assert.equal(await page.locator('form.quiz input:checked').count(), 0, 'the new attempt starts empty');
  await answerQuiz(page, quiz, () => true);
  await submitQuiz(page);
  b = await banner(page);
  assert.match(b, /^Passed/, b);
  assert.ok(b.includes('Your score: 100%'), b);
  assert.equal(await page.locator('section.relais-result.relais-right').count(), n, 'every answer marked right');
  assert.equal(await page.locator('main').getByRole('link', { name: 'Course completed' }).count(), 0,
    'passing the quiz with lessons unread does not complete the course');
  say(`"Try again" gave an empty form; all right: "Passed", "Your score: 100%", ${n} answers marked right, not yet completed (lessons unread)`);

  await page.goto(`${reader.origin}/c/${EN}/`);
  o = await outline(page);
  assert.match(o.at(-1).state, /Quiz · Done, best 100%/, o.at(-1).state);
  await page.goto(`${reader.origin}/`);
  p = await cardProgress(page, c.title);
  assert.deepEqual([p.value, p.max], [2, c.units.length], 'lesson 1 and the quiz are done');
  assert.ok(!p.text.includes('Completed'), p.text);
  assert.match(p.button, /^Continue/);
  assert.equal(p.buttonHref, `/c/${EN}/${lessons[1].path}`, 'Continue leads to the first unread lesson');
  say(`outline: quiz "${o.at(-1).state}"; library 2 of 8 without "Completed", Continue -> ${p.buttonHref}`);

  // Read the remaining lessons, following the read button.
  await follow(page, page.getByRole('link', { name: /^Continue/ }));
  for (let i = 1; i < lessons.length; i++) {
    assert.equal(new URL(page.url()).pathname, `/c/${EN}/${lessons[i].path}`);
    assert.equal(await h1(page), lessons[i].title);
    for (const img of await imagesLoaded(page)) assert.ok(img.w > 0, `image ${img.src} loaded`);
    await markRead(page);
  }
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${c.quizUnit.path}`, 'after the last lesson comes the quiz');
  say(`read lessons 2 to ${lessons.length} with the read button, each heading and image checked; the last one leads to the quiz`);

  const completedSeen = async (where) => {
    await page.goto(`${reader.origin}/c/${EN}/`);
    o = await outline(page);
    assert.ok(o.slice(0, -1).every((x) => /Lesson · Done/.test(x.state)), `${where}: every lesson done: ${JSON.stringify(o)}`);
    assert.match(o.at(-1).state, /Quiz · Done, best 100%/, `${where}: ${o.at(-1).state}`);
    await follow(page, page.locator('main p.banner').getByRole('link', { name: 'Course completed' }));
    assert.equal(new URL(page.url()).pathname, `/c/${EN}/complete`);
    assert.equal(await h1(page), 'Course completed');
    await page.getByText(c.title, { exact: true }).waitFor();
    await page.getByText(/You have read every lesson and passed every quiz/).waitFor();
    await follow(page, page.getByRole('main').getByRole('link', { name: 'Library' }));
    p = await cardProgress(page, c.title);
    assert.deepEqual([p.value, p.max], [c.units.length, c.units.length], `${where}: full progress bar`);
    assert.ok(p.text.includes('Completed'), `${where}: library says Completed: ${p.text}`);
    assert.match(p.text, new RegExp(`${c.units.length} of ${c.units.length} units done`));
    // The other course is untouched.
    const other = await cardProgress(page, courses[FR].title);
    assert.equal(other.value, 0);
    assert.ok(!other.text.includes('Completed'));
  };
  await completedSeen('before restart');
  say('outline: every unit Done, quiz best 100%, banner -> /complete "Course completed"; library "Completed", bar 8/8');

  // Stop the reader, start it again on the same home: everything is as left.
  const oldOrigin = reader.origin;
  const st = await stopReader(reader);
  assert.ok(!st.killed, 'the reader stops on SIGTERM');
  assert.equal(st.code, 0, `relais read exits 0 on SIGTERM (got ${st.code ?? st.signal})`);
  say(`SIGTERM stopped the reader in ${st.ms} ms with status 0`);
  reader = await startReader();
  if (oldOrigin !== reader.origin) {
    const old = await fetch(`${oldOrigin}/`).then(() => 'answered', () => 'refused');
    assert.equal(old, 'refused', 'the stopped reader no longer answers');
  }
  await openReader(page);
  await chooseLearner(page, `${me.name} (${me.org})`);
  await page.getByText(`Studying: ${me.name}`, { exact: true }).waitFor();
  await completedSeen('after restart');
  say(`after restart at ${reader.origin}: chose "${me.name} (${me.org})"; outline, best score, completion and library as left`);

  assert.deepEqual(problems, [], 'no script error, console error or failed load on any page');
  say('no script error, console error (CSP) or failed load on any page');
  await context.close();
});

test('2. core path with JavaScript off: profile, lesson, read button, quiz fail then pass', { timeout: LIMIT }, async () => {
  const c = courses[EN];
  const lessons = lessonsOf(EN);
  const quiz = c.quiz;
  const me = { name: 'Kofi Mensah', email: 'kofi.mensah@example.org', org: '' };
  const context = await newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const problems = watch(page);

  await openReader(page);
  await addLearner(page, me);
  assert.equal(await h1(page), 'Your courses');
  await page.getByText(`Studying: ${me.name}`, { exact: true }).waitFor();
  let p = await cardProgress(page, c.title);
  assert.equal(p.value, 0, 'a new learner starts at zero, whatever others did');
  say(`profile "${me.name}" created without JavaScript; library at 0 (Amina's progress is not his)`);

  await follow(page, card(page, c.title).getByRole('link', { name: /^Begin/ }));
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${lessons[0].path}`);
  assert.equal(await h1(page), lessons[0].title);
  const imgs = await imagesLoaded(page);
  assert.ok(imgs.length >= 1 && imgs.every((i) => i.w > 0), `images loaded: ${JSON.stringify(imgs.map((i) => [i.src, i.w]))}`);
  await markRead(page);
  await page.waitForURL((u) => u.pathname === `/c/${EN}/${lessons[1].path}`);
  assert.equal(await h1(page), lessons[1].title);
  say(`Begin opened "${lessons[0].title}" with its image; the read button led to "${lessons[1].title}"`);

  await page.goto(`${reader.origin}/c/${EN}/${c.quizUnit.path}`);
  const nRight = 5;
  await answerQuiz(page, quiz, (q, i) => i < nRight);
  await submitQuiz(page);
  let b = await banner(page);
  const pct = expectedPercent(nRight, quiz);
  assert.match(b, /Not passed yet/, b);
  assert.ok(b.includes(`Your score: ${pct}%`), `${pct}%: ${b}`);
  assert.ok(b.includes('Saved on this laptop.'), b);
  say(`quiz without JavaScript, ${nRight} right: "Not passed yet", "Your score: ${pct}%"`);

  await follow(page, page.getByRole('link', { name: 'Try again', exact: true }));
  await answerQuiz(page, quiz, () => true);
  await submitQuiz(page);
  b = await banner(page);
  assert.match(b, /^Passed/, b);
  assert.ok(b.includes('Your score: 100%'), b);
  await page.goto(`${reader.origin}/c/${EN}/`);
  const o = await outline(page);
  assert.match(o[0].state, /Lesson · Done/);
  assert.match(o.at(-1).state, /Quiz · Done, best 100%/);
  assert.equal(await page.locator('main p.banner').count(), 0, 'not completed: six lessons unread');
  say('"Try again", all right: "Passed", 100%; outline shows lesson 1 Done and quiz best 100%, no completion');
  assert.deepEqual(problems, []);
  await context.close();
});

test('3. French UI from the browser language; French course content marked lang="fr"', { timeout: LIMIT }, async () => {
  const fr = courses[FR];
  const en = courses[EN];
  const lessons = lessonsOf(FR);
  const context = await newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  const problems = watch(page);

  await openReader(page, 'Qui étudie ?');
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  await page.getByRole('navigation').getByRole('link', { name: 'Bibliothèque' }).waitFor();
  say('locale fr-FR: "Qui étudie ?", <html lang="fr">, navigation in French');

  await addLearner(page, { name: 'Élodie Marchand', email: 'elodie.marchand@example.org', org: 'Consulat général' },
    { name: 'Nom', email: 'Adresse électronique', org: 'Organisation (facultatif)', start: 'Commencer' });
  assert.equal(await h1(page), 'Vos cours');
  await page.getByText('Apprenant : Élodie Marchand', { exact: true }).waitFor();
  assert.equal(await card(page, fr.title).getAttribute('lang'), 'fr');
  assert.equal(await card(page, en.title).getAttribute('lang'), 'en');
  const p = await cardProgress(page, fr.title);
  assert.match(p.text, new RegExp(`0 unités sur ${fr.units.length} faites`));
  say('profile added with French labels; "Vos cours", course cards carry lang="fr" / lang="en"');

  await follow(page, card(page, fr.title).getByRole('link', { name: fr.title, exact: true }));
  assert.equal(await page.locator('main article').getAttribute('lang'), 'fr');
  assert.equal(await h1(page), fr.title);
  await page.getByRole('heading', { name: 'Plan du cours' }).waitFor();
  const o = await outline(page);
  assert.match(o[0].state, /Leçon · À faire/, o[0].state);
  await follow(page, page.getByRole('link', { name: lessons[0].title, exact: true }));
  const art = page.locator('main article');
  assert.equal(await art.getAttribute('lang'), 'fr');
  assert.equal((await art.locator('h1').innerText()).trim(), lessons[0].title);
  for (const i of await imagesLoaded(page)) assert.ok(i.w > 0, `image ${i.src} loaded`);
  await markRead(page, "J'ai lu cette leçon : continuer");
  assert.equal(new URL(page.url()).pathname, `/c/${FR}/${lessons[1].path}`);
  assert.equal(await h1(page), lessons[1].title);
  say(`French course: outline "Plan du cours", "${lessons[0].title}" in <article lang="fr">, "J'ai lu cette leçon : continuer" -> next lesson`);

  await page.goto(`${reader.origin}/c/${EN}/${lessonsOf(EN)[0].path}`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await page.locator('main article').getAttribute('lang'), 'en', 'English content inside the French UI is marked lang="en"');
  await page.getByRole('button', { name: "J'ai lu cette leçon : continuer" }).waitFor();

  await page.goto(`${reader.origin}/?lang=en`);
  assert.equal(await h1(page), 'Your courses');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await follow(page, page.getByRole('link', { name: 'Français' }));
  assert.equal(await h1(page), 'Vos cours');
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  say('English lesson in French UI keeps lang="en"; ?lang=en gives "Your courses", the "Français" link brings back "Vos cours"');
  assert.deepEqual(problems, []);
  await context.close();
});

test('4. search finds a word from a lesson and links to that lesson', { timeout: LIMIT }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await openReader(page);
  await chooseLearner(page, 'Amina Diallo (Border Health Unit)');

  await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Search' }));
  assert.equal(await h1(page), 'Search your courses');
  await page.getByLabel('Words to look for').fill('vaccination');
  await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
  await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === 'vaccination');
  const hits = page.locator('main ul.cards > li');
  const n = await hits.count();
  assert.ok(n >= 1, 'at least one lesson found');
  const status = (await page.locator('main p[role="status"]').innerText()).trim();
  assert.equal(status, `${n} lessons match.`, 'the count says how many results are listed');
  const marks = await page.locator('main ul.cards mark').allInnerTexts();
  assert.ok(marks.length >= n && marks.every((m) => m.toLowerCase() === 'vaccination'), `highlighted: ${marks}`);
  const target = lessonsOf(EN).find((u) => u.id === 'vaccination-records');
  const link = page.getByRole('link', { name: target.title, exact: true });
  assert.equal(await link.getAttribute('href'), `/c/${EN}/${target.path}`);
  say(`"vaccination": "${status}", every snippet highlights the word, "${target.title}" links to /c/${EN}/${target.path}`);
  await follow(page, link);
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${target.path}`);
  assert.equal(await h1(page), target.title);
  say(`following the result opens the lesson "${target.title}"`);

  // Accents do not matter, and the French course is searched too.
  await page.goto(`${reader.origin}/search?q=${encodeURIComponent('evacuation')}`);
  const evac = lessonsOf(FR).find((u) => u.id === 'evacuation');
  assert.equal(await page.getByRole('link', { name: evac.title, exact: true }).getAttribute('href'), `/c/${FR}/${evac.path}`);
  await page.goto(`${reader.origin}/search?q=xylophonique`);
  assert.equal((await page.locator('main p[role="status"]').innerText()).trim(), 'No lesson matches.');
  assert.equal(await page.locator('main ul.cards > li').count(), 0);
  await page.goto(`${reader.origin}/search?q=${encodeURIComponent('vaccination" OR (')}`);
  assert.equal(await h1(page), 'Search your courses', 'search syntax typed by a learner is not an error');
  say(`"evacuation" finds "${evac.title}"; an unknown word says "No lesson matches."; stray quotes and brackets are harmless`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('5. the outbox lists the records of the path of test 1, waiting to be sent', { timeout: LIMIT }, async () => {
  const c = courses[EN];
  const context = await newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await openReader(page);
  await chooseLearner(page, 'Amina Diallo (Border Health Unit)');
  await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Waiting to be sent' }));
  assert.equal(new URL(page.url()).pathname, '/outbox');
  assert.equal(await h1(page), 'Recorded, waiting to be sent');
  const heads = await page.locator('main table thead th').allInnerTexts();
  assert.deepEqual(heads.map((h) => h.trim()), ['When (UTC)', 'Learner', 'Event', 'Activity']);
  const rows = await page.locator('main table tbody tr').evaluateAll((trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  const status = (await page.locator('main p[role="status"]').innerText()).trim();
  const m = /^(\d+) records waiting\. Nothing has been sent from this laptop yet\.$/.exec(status);
  assert.ok(m, status);
  if (Number(m[1]) <= 200) assert.equal(rows.length, Number(m[1]), 'every waiting record is listed');

  const mine = rows.filter((r) => r[1] === 'Amina Diallo');
  const of = (verb) => mine.filter((r) => r[2] === verb).map((r) => r[3]);
  const lessonTitles = lessonsOf(EN).map((u) => u.title);
  assert.deepEqual([...of('lesson read')].sort(), [...lessonTitles].sort(),
    'each lesson read once is recorded once, even across the restart');
  assert.deepEqual(of('quiz not passed'), [c.quizUnit.title]);
  assert.deepEqual(of('quiz passed'), [c.quizUnit.title]);
  assert.deepEqual(of('course completed'), [c.title], 'one completion, not repeated by the restart');
  assert.equal(of('question answered').length, 2 * scored(c.quiz).length, 'one answer record per question per attempt');
  const now = Date.now();
  for (const r of mine) {
    assert.match(r[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/, r[0]);
    const t = Date.parse(`${r[0]}Z`);
    assert.ok(Math.abs(now - t) < 15 * 60 * 1000, `time ${r[0]} is UTC and recent`);
  }
  // A shared laptop: Kofi's records (test 2) are his to see, not Amina's.
  assert.deepEqual(rows.filter((r) => r[1] !== 'Amina Diallo'), [], 'only the learner\'s own records are listed');
  say(`"${status}"; Amina: ${of('lesson read').length} lessons read, failed + passed "${c.quizUnit.title}", completed "${c.title}", ${of('question answered').length} answers, UTC times`);
  assert.deepEqual(problems, []);
  await context.close();
});

/* Every page kind through axe-core; returns the serious and critical violations found. */
async function axeWalk(lang) {
  const fr = lang === 'fr';
  const id = fr ? FR : EN;
  const c = courses[id];
  const lessons = lessonsOf(id);
  // CSP forbids inline script: axe is injected with CSP bypassed, in its own context.
  const context = await newContext({ bypassCSP: true, locale: fr ? 'fr-FR' : 'en-GB' });
  const page = await context.newPage();
  const found = [];
  const check = async (kind) => {
    await page.addScriptTag({ path: AXE });
    const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    for (const v of bad) {
      found.push({ lang, kind, url: pathOf(page), id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((nd) => ({ target: nd.target.join(' '), html: nd.html.slice(0, 160), why: nd.failureSummary?.split('\n').slice(1).join(' ').trim() })) });
    }
    say(`axe (${lang}) ${kind} ${pathOf(page)}: ${r.violations.length ? r.violations.map((v) => `${v.id}[${v.impact}]`).join(' ') : 'no violation'}`);
  };
  const w = fr
    ? { name: 'Nom', email: 'Adresse électronique', org: 'Organisation (facultatif)', start: 'Commencer', read: "J'ai lu cette leçon : continuer", submit: 'Valider mes réponses', retry: 'Réessayer', done: 'Cours terminé', search: 'Rechercher', outbox: "En attente d'envoi", word: 'évacuation' }
    : { start: 'Start studying', read: 'I have read this lesson: continue', submit: 'Submit my answers', retry: 'Try again', done: 'Course completed', search: 'Search', outbox: 'Waiting to be sent', word: 'vaccination' };
  await page.goto(await launchAddress());
  await check('who');
  await addLearner(page, { name: `Axe ${lang}`, email: `axe.${lang}@example.org`, org: 'QA' }, w);
  await check('library');
  await page.goto(`${reader.origin}/c/${id}/`);
  await check('outline');
  await page.goto(`${reader.origin}/c/${id}/${lessons[0].path}`);
  await check('lesson');
  for (let i = 0; i < lessons.length; i++) {
    await markRead(page, w.read);
  }
  assert.equal(new URL(page.url()).pathname, `/c/${id}/${c.quizUnit.path}`);
  await check('quiz');
  await answerQuiz(page, c.quiz, () => false);
  await submitQuiz(page, w.submit);
  await check('quiz result (not passed)');
  await follow(page, page.getByRole('link', { name: w.retry, exact: true }));
  await answerQuiz(page, c.quiz, () => true);
  await submitQuiz(page, w.submit);
  await check('quiz result (passed)');
  await follow(page, page.locator('main p.banner').getByRole('link', { name: w.done }));
  assert.equal(new URL(page.url()).pathname, `/c/${id}/complete`);
  await check('completion');
  await page.goto(`${reader.origin}/search?q=${encodeURIComponent(w.word)}`);
  assert.ok(await page.locator('main ul.cards > li').count() > 0);
  await check('search');
  await page.goto(`${reader.origin}/outbox`);
  await check('outbox');
  await context.close();
  return found;
}

// Twenty pages in two languages, each analysed by axe: 60 s on a loaded machine, so four times
// the usual limit.
test('6. accessibility: no serious or critical axe-core violation on any page kind', { timeout: 4 * LIMIT }, async () => {
  // The harness can fail: axe, injected the same way, flags a picture without text.
  const probe = await newContext({ bypassCSP: true });
  const pp = await probe.newPage();
  await pp.setContent('<!DOCTYPE html><html lang="en"><title>probe</title><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>');
  await pp.addScriptTag({ path: AXE });
  const probed = await pp.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  assert.ok(probed.violations.some((v) => v.id === 'image-alt' && v.impact === 'critical'), 'axe runs and reports');
  await probe.close();
  say('axe-core injected with addScriptTag reports image-alt (critical) on a probe page');
  const found = [...await axeWalk('en'), ...await axeWalk('fr')];
  if (found.length) {
    console.log('    axe violations (serious/critical):');
    for (const f of found) {
      console.log(`      [${f.lang}] ${f.kind} ${f.url}: ${f.id} (${f.impact}) ${f.help}`);
      for (const nd of f.nodes) console.log(`          ${nd.target}  ${nd.html}${nd.why ? `\n            ${nd.why}` : ''}`);
    }
  }
  assert.deepEqual(found.map((f) => `${f.lang} ${f.kind}: ${f.id} (${f.impact}) at ${f.nodes.map((nd) => nd.target).join(', ')}`), []);
});

test('7. the completion page is only for a learner who completed the course', { timeout: LIMIT }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await openReader(page);
  await addLearner(page, { name: 'Nadia Haddad', email: 'nadia.haddad@example.org' });
  await page.goto(`${reader.origin}/c/${EN}/complete`);
  const heading = await h1(page);
  const url = page.url();
  await context.close();
  // A learner who has read nothing is sent to the course outline, not told it is completed.
  assert.equal(url, `${reader.origin}/c/${EN}/`);
  assert.equal(heading, courses[EN].title);
});

test('8. a search with one result says "1 lesson matches."', { timeout: LIMIT }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await openReader(page);
  await chooseLearner(page, 'Amina Diallo (Border Health Unit)');
  await page.goto(`${reader.origin}/search?q=vaccinations`);
  const n = await page.locator('main ul.cards > li').count();
  const status = (await page.locator('main p[role="status"]').innerText()).trim();
  await context.close();
  assert.equal(n, 1, 'this word is in one lesson');
  assert.equal(status, '1 lesson matches.');
});

/* The serious and critical axe-core violations on the page as it is (the context must bypass CSP). */
async function axeViolations(page, kind) {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  say(`axe ${kind} ${pathOf(page)}: ${r.violations.length ? r.violations.map((v) => `${v.id}[${v.impact}]`).join(' ') : 'no violation'}`);
  return bad.map((v) => `${kind}: ${v.id} (${v.impact}) at ${v.nodes.map((nd) => nd.target.join(' ')).join(', ')}`);
}

/* A learner's SQL run on the home's database (python3's sqlite3: node has none built in). */
function sql(statement, ...params) {
  return execFileSync('python3', ['-c',
    'import json, sqlite3, sys; db = sqlite3.connect(sys.argv[1]); ' +
    'rows = db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall(); db.commit(); print(json.dumps(rows))',
    path.join(home, 'relais.db'), statement, JSON.stringify(params)], { encoding: 'utf8' });
}

test('9. a shared laptop: a PIN guards a name, each learner sees their own records, "Send again"; axe on the new pages', { timeout: 2 * LIMIT }, async () => {
  const c = courses[EN];
  const context = await newContext({ bypassCSP: true });
  const page = await context.newPage();
  const violations = [];
  await openReader(page);
  await addLearner(page, { name: 'Pat Keller', email: 'pat.keller@example.org' });
  await follow(page, page.getByRole('link', { name: 'Protect your name with a PIN', exact: true }));
  assert.equal(new URL(page.url()).pathname, '/who/pin');
  assert.equal(await h1(page), 'Your PIN');
  violations.push(...await axeViolations(page, 'PIN settings'));
  await page.getByLabel('New PIN (4 to 64 characters)', { exact: true }).fill('4321');
  await submitForm(page, page.getByRole('button', { name: 'Save my PIN', exact: true }));
  assert.match(await page.locator('main p.banner[role="status"]').innerText(), /Your PIN is saved/);
  violations.push(...await axeViolations(page, 'PIN saved'));
  say('Pat set a PIN from the library link; "Your PIN is saved"');

  // Pat reads a lesson; a hub sets that record aside.
  await page.goto(`${reader.origin}/c/${EN}/${lessonsOf(EN)[0].path}`);
  await markRead(page);
  const [[id]] = JSON.parse(sql("SELECT o.id FROM outbox o JOIN profile p ON p.id = o.profile_id WHERE p.email = ? ORDER BY o.seq DESC LIMIT 1", 'pat.keller@example.org'));
  sql("UPDATE outbox SET set_aside = '2026-01-02T03:04:05Z', refusal = 'statement refused' WHERE id = ?", id);

  // Someone else at the laptop: choosing Pat asks for the PIN, a wrong one is refused.
  await page.goto(`${reader.origin}/who`);
  await chooseLearner(page, 'Amina Diallo (Border Health Unit)');
  await page.goto(`${reader.origin}/outbox`);
  assert.ok(!(await page.locator('main').innerText()).includes('Pat Keller'), "Amina's outbox shows none of Pat's records");
  assert.equal(await page.getByRole('button', { name: 'Send again' }).count(), 0);
  await page.goto(`${reader.origin}/who`);
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Pat Keller', exact: true }).click()]);
  await page.waitForLoadState('load');
  assert.equal(await h1(page), 'Your PIN');
  assert.match(await page.locator('main').innerText(), /Pat Keller protects their name with a PIN/);
  violations.push(...await axeViolations(page, 'PIN prompt'));
  await page.getByLabel('PIN', { exact: true }).fill('0000');
  const [wrong] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Continue', exact: true }).click()]);
  await page.waitForLoadState('load');
  assert.equal(wrong.status(), 403);
  assert.equal((await page.locator('main p[role="alert"]').innerText()).trim(), 'Wrong PIN.');
  violations.push(...await axeViolations(page, 'PIN refused'));
  await page.goto(`${reader.origin}/`);
  await page.getByText('Studying: Amina Diallo', { exact: false }).waitFor();
  say('choosing Pat asked for the PIN; "0000" answered 403 "Wrong PIN." and Amina is still studying');

  await page.goto(`${reader.origin}/who`);
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Pat Keller', exact: true }).click()]);
  await page.waitForLoadState('load');
  await page.getByLabel('PIN', { exact: true }).fill('4321');
  await submitForm(page, page.getByRole('button', { name: 'Continue', exact: true }));
  assert.equal(new URL(page.url()).pathname, '/');
  await page.getByText('Studying: Pat Keller', { exact: false }).waitFor();
  await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Waiting to be sent' }));
  assert.match(await page.locator('main').innerText(), /Refused by the hub/);
  assert.ok(!(await page.locator('main').innerText()).includes('Amina Diallo'), "Pat's outbox shows none of Amina's records");
  violations.push(...await axeViolations(page, 'outbox with a set-aside record'));
  await submitForm(page, page.getByRole('button', { name: 'Send again', exact: true }));
  assert.equal(new URL(page.url()).pathname, '/outbox');
  assert.equal(await page.getByRole('button', { name: 'Send again' }).count(), 0);
  assert.deepEqual(JSON.parse(sql('SELECT set_aside FROM outbox WHERE id = ?', id)), [[null]], 'the record is back in the queue');
  say('the right PIN chose Pat; Pat\'s outbox showed the set-aside record, "Send again" put it back in the queue');
  await context.close();
  assert.deepEqual(violations, []);
});

test('10. a lesson from a re-signed bundle cannot capture the reader\'s button or send the tab away', { timeout: LIMIT }, async () => {
  const c = courses[EN];
  const lesson = lessonsOf(EN)[0];
  const [[amina]] = JSON.parse(sql("SELECT id FROM profile WHERE email = 'amina.diallo@example.org'"));
  const [[pat]] = JSON.parse(sql("SELECT id FROM profile WHERE email = 'pat.keller@example.org'"));
  const hostile = '<meta http-equiv="refresh" content="1;url=http://evil.invalid/phish">' +
    `<h1>Hostile lesson</h1><p><a href="javascript:document.title='owned'">click</a></p>` +
    `<form action="/who/choose" method="post"><input type="hidden" name="profile" value="${pat}"><p>Read on`;
  const bundle = path.join(tmp, 'hostile.relais');
  execFileSync('python3', ['-c',
    'import sys; sys.path.insert(0, sys.argv[1]); import readerlib; ' +
    'readerlib.resign_bundle(sys.argv[2], sys.argv[3], sys.argv[4], {sys.argv[5]: sys.argv[6].encode()}, version=2)',
    path.join(SOURCE_ROOT, 'tests', 'reader'), c.bundle, bundle, path.join(tmp, 'k.key'), lesson.path, hostile]);
  relais('install', bundle);
  const context = await newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await openReader(page);
  await chooseLearner(page, 'Amina Diallo (Border Health Unit)');
  await page.goto(`${reader.origin}/c/${EN}/${lesson.path}`);
  assert.equal(await page.locator('main article h1').innerText(), 'Hostile lesson');
  await page.waitForTimeout(2500);
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${lesson.path}`, 'the meta refresh sent the tab away');
  assert.equal(await page.locator('meta[http-equiv]').count(), 0);
  await page.locator('main article').getByText('click', { exact: true }).click();
  assert.notEqual(await page.title(), 'owned');
  await markRead(page);
  assert.equal(new URL(page.url()).pathname, `/c/${EN}/${lessonsOf(EN)[1].path}`, "the reader's own button went to the lesson form's target");
  await page.goto(`${reader.origin}/`);
  await page.getByText('Studying: Amina Diallo', { exact: false }).waitFor();
  const [[unitProfile]] = JSON.parse(sql('SELECT profile_id FROM outbox ORDER BY seq DESC LIMIT 1'));
  assert.equal(unitProfile, amina, "the lesson read was recorded for Amina, not switched to Pat");
  say('the hostile lesson stayed put for 2.5 s, its javascript: link did nothing, and "I have read this lesson" recorded Amina\'s read of this course');
  await context.close();
  assert.deepEqual(problems, []);
});
