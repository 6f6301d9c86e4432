// scorm.mjs: a SCORM 1.2 package played in the reader (tests/data/packages/scorm12-protocol):
// launched in its sandboxed frame from the package origin, closed mid-way, resumed with its
// suspend data and location, finished; progress and statements follow. And the package's
// script, on its own origin, cannot read the reader's cookie nor its pages.
//
// Environment as run.mjs: RELAIS, RELAIS_SOURCE_ROOT, CHROMIUM, KEEP=1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { SOURCE_ROOT, say, relais as relaisOn, startReader as startOn, stopReader, outbox as outboxOf, learnerTab, LAUNCH } from './readerproc.mjs';

const LIMIT = 120000;
const COURSE = 'org.example.reception-protocol';
const ME = { name: 'Awa Ndiaye', email: 'awa.ndiaye@example.org' };

let tmp;
let home;
let browser;
let reader;

const relais = (...args) => relaisOn(home, ...args);
const outbox = () => outboxOf(home);

/* A new browser on a restarted reader (its address opens once), the learner chosen. */
async function newTab({ first = false } = {}) {
  await stopReader(reader);
  reader = await startOn(home);
  return learnerTab(browser, reader, ME, { first });
}

/* Opens the package unit from the outline; resolves with its SCO's frame, once it has started. */
async function openPackage(page) {
  await page.goto(`${reader.origin}/c/${COURSE}/`);
  const started = page.waitForResponse((r) => r.url().endsWith('/commit') && r.request().method() === 'POST');
  await page.locator('ol.outline a').first().click();
  assert.equal((await started).status(), 200, 'LMSInitialize then LMSCommit reached the reader');
  const frame = page.frames().find((f) => f.url().includes('/c/check.html'));
  assert.ok(frame, 'the SCO is framed');
  return frame;
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-scorm-'));
  home = path.join(tmp, 'home');
  const pub = path.join(tmp, 'k.pub');
  const key = path.join(tmp, 'k.key');
  const bundle = path.join(tmp, 'protocol.relais');
  relais('keygen', '--public-key', pub, '--secret-key', key, '--no-password');
  relais('pack', path.join(SOURCE_ROOT, 'tests', 'data', 'packages', 'scorm12-protocol'), '--secret-key', key, '-o', bundle);
  relais('trust', 'add', pub, '--name', 'Test academy');
  relais('install', bundle);
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stopReader(reader);
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
});

test('1. a SCORM 1.2 SCO: launched, closed mid-way, resumed where it was, finished and recorded', { timeout: LIMIT }, async () => {
  let { context, page } = await newTab({ first: true });
  let sco = await openPackage(page);
  const frameEl = page.locator('iframe.package');
  assert.equal(await frameEl.getAttribute('sandbox'), 'allow-scripts allow-same-origin allow-forms');
  const pkgOrigin = new URL(await frameEl.getAttribute('src')).origin;
  assert.notEqual(pkgOrigin, reader.origin, 'the package plays on its own origin');
  assert.equal(await sco.locator('h1').innerText(), 'Check your protocol');
  assert.equal(await sco.locator('#resume').innerText(), '', 'a first launch has nothing to resume');
  say(`the SCO runs on ${pkgOrigin}, framed by ${reader.origin} with sandbox="allow-scripts allow-same-origin allow-forms"`);

  const chosen = page.waitForResponse((r) => r.url().endsWith('/commit'));
  await sco.getByLabel('The junior guest is introduced to the most senior one').check();
  assert.equal((await chosen).status(), 200);
  // What authoring tools record beside suspend data: an objective and an interaction.
  const recorded = page.waitForResponse((r) => r.url().endsWith('/commit'));
  assert.deepEqual(await sco.evaluate(() => {
    const api = window.parent.API;
    return [
      api.LMSSetValue('cmi.objectives.0.id', 'greet-guests'),
      api.LMSSetValue('cmi.objectives.0.status', 'passed'),
      api.LMSSetValue('cmi.objectives.0.score.raw', '80'),
      api.LMSSetValue('cmi.interactions.0.id', 'question-1'),
      api.LMSSetValue('cmi.interactions.0.type', 'choice'),
      api.LMSSetValue('cmi.interactions.0.student_response', 'b'),
      api.LMSSetValue('cmi.interactions.0.result', 'correct'),
      api.LMSCommit(''),
    ];
  }), ['true', 'true', 'true', 'true', 'true', 'true', 'true', 'true']);
  assert.equal((await recorded).status(), 200);
  await context.close(); // mid-way: chosen, not submitted
  say('an answer chosen, an objective and an interaction recorded (committed), then the browser closed');

  ({ context, page } = await newTab());
  await page.goto(`${reader.origin}/c/${COURSE}/`);
  assert.match(await page.locator('ol.outline').innerText(), /Package · Started/);
  sco = await openPackage(page);
  await sco.locator('#resume').filter({ hasText: 'Welcome back' }).waitFor();
  assert.equal(await sco.locator('#resume').innerText(), 'Welcome back: you were at question-1.');
  assert.ok(await sco.getByLabel('The junior guest is introduced to the most senior one').isChecked(),
    'the answer came back from cmi.suspend_data');
  assert.deepEqual(await sco.evaluate(() => {
    const api = window.parent.API;
    return ['cmi.objectives._count', 'cmi.objectives.0.id', 'cmi.objectives.0.status',
      'cmi.objectives.0.score.raw', 'cmi.interactions._count'].map((k) => api.LMSGetValue(k));
  }), ['1', 'greet-guests', 'passed', '80', '1']);
  say('reopened: lesson_location, suspend_data, the objective and the interaction restored');

  const finished = page.waitForResponse((r) => r.url().includes('/commit?terminate=true'));
  await sco.getByRole('button', { name: 'Submit' }).click();
  assert.equal((await finished).status(), 200, 'LMSFinish reached the reader');
  assert.equal(await sco.locator('#result').innerText(), 'Your score: 100');
  await page.goto(`${reader.origin}/c/${COURSE}/`);
  assert.match(await page.locator('ol.outline').innerText(), /Package · Done, best 100%/);
  await page.goto(`${reader.origin}/`);
  assert.match(await page.locator('main').innerText(), /1 of 1|100 ?%|completed|Completed/i);
  say('the outline shows the unit done with its score; the library shows the course');

  const mine = outbox().filter((s) => s.object.id.includes(COURSE));
  const verbs = mine.map((s) => s.verb.display['en-US']);
  const passed = mine.find((s) => s.verb.id === 'http://adlnet.gov/expapi/verbs/passed');
  assert.ok(passed, `a passed statement (have ${verbs.join(', ')})`);
  assert.deepEqual(passed.result.score, { scaled: 1, raw: 100, min: 0, max: 100 });
  assert.equal(passed.result.success, true);
  assert.equal(passed.context.contextActivities.category[0].id, 'https://w3id.org/xapi/scorm');
  assert.ok(verbs.includes('terminated'), `a terminated statement (have ${verbs.join(', ')})`);
  assert.ok(verbs.includes('completed'));
  say(`statements in the outbox: ${verbs.join(', ')}`);
  // The last commit (the whole data model) still holds what the first launch recorded.
  ({ context, page } = await newTab());
  sco = await openPackage(page);
  assert.deepEqual(await sco.evaluate(() => [window.parent.API.LMSGetValue('cmi.objectives.0.id'),
    window.parent.API.LMSGetValue('cmi.interactions._count')]), ['greet-guests', '1']);
  await context.close();
});

test('2. hostile: the package script cannot read the reader\'s cookie nor its pages, nor reach the top page', { timeout: LIMIT }, async () => {
  const { context, page } = await newTab();
  const sco = await openPackage(page);
  const readerCookies = await context.cookies(reader.origin);
  assert.ok(readerCookies.some((c) => c.name === 'relais_session'), 'the reader has its session cookie');
  const seen = await sco.evaluate(async (readerOrigin) => {
    const out = { cookie: document.cookie };
    try {
      const r = await fetch(`${readerOrigin}/`, { credentials: 'include' });
      out.fetch = `read ${r.status}: ${(await r.text()).slice(0, 80)}`;
    } catch (e) {
      out.fetch = `refused: ${e.name}`;
    }
    try {
      const r = await fetch(`${readerOrigin}/outbox`, { mode: 'no-cors', credentials: 'include' });
      out.opaque = r.type;
    } catch (e) {
      out.opaque = `refused: ${e.name}`;
    }
    try {
      out.top = window.top.document.cookie;
    } catch (e) {
      out.top = `refused: ${e.name}`;
    }
    return out;
  }, reader.origin);
  assert.ok(!seen.cookie.includes('relais_session'), `document.cookie: ${seen.cookie}`);
  assert.match(seen.fetch, /^refused/, `fetch of the reader's page: ${seen.fetch}`);
  assert.ok(seen.opaque !== 'basic' && seen.opaque !== 'cors', `no-cors fetch: ${seen.opaque}`);
  assert.match(seen.top, /^refused: SecurityError/);
  say(`package script: cookie "${seen.cookie}", fetch ${seen.fetch}, no-cors ${seen.opaque}, top ${seen.top}`);
  await context.close();
});
