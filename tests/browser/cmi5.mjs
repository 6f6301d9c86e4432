// cmi5.mjs: a cmi5 course played in the reader (tests/data/packages/cmi5-two: two AUs, the
// second with masteryScore 0.8), the reader being the launching system. Each AU does the real
// cmi5 dance in the browser (reads its launch query, POSTs fetch, GETs LMS.LaunchData, sends
// initialized / completed / passed / terminated to the endpoint with fetch()). AU 1 is closed
// mid-way and reopened (abandoned recorded), both AUs are finished, and the statements follow
// in order in the outbox, with satisfied. Hostile: a second fetch, a bad token, a passed
// below masteryScore, and the AU's script reaching for the reader's origin.
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
const ME = { name: 'Awa Ndiaye', email: 'awa.ndiaye@example.org' };
const AU1 = 'https://academy.example.org/courses/visa-interview/aus/prepare';
const AU2 = 'https://academy.example.org/courses/visa-interview/aus/quiz';

let tmp;
let home;
let browser;
let reader;
let course;

const relais = (...args) => relaisOn(home, ...args);
const outbox = () => outboxOf(home);
const cmi5Verbs = (au) => outbox()
  .filter((s) => s.object.id === au)
  .map((s) => s.verb.id.split('/').pop());

/* A new browser on a restarted reader (its address opens once), the learner chosen. */
async function newTab({ first = false } = {}) {
  await stopReader(reader);
  reader = await startOn(home);
  return learnerTab(browser, reader, ME, { first });
}

/* Opens the unit (its first AU not done); resolves once the AU sent initialized. */
async function openAU(page) {
  await page.goto(`${reader.origin}/c/${course}/`);
  const token = page.waitForResponse((r) => r.url().endsWith('/fetch'));
  const initialized = page.waitForResponse((r) => r.url().endsWith('/xapi/statements') && r.request().method() === 'POST');
  await page.locator('ol.outline a').first().click();
  const fetched = await (await token).json();
  assert.equal((await initialized).status(), 200, 'initialized reached the reader');
  const frame = page.frames().find((f) => f.url().includes('/c/au'));
  assert.ok(frame, 'the AU is framed');
  return { frame, token: fetched['auth-token'] };
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-cmi5-'));
  home = path.join(tmp, 'home');
  const pub = path.join(tmp, 'k.pub');
  const key = path.join(tmp, 'k.key');
  const bundle = path.join(tmp, 'visa.relais');
  relais('keygen', '--public-key', pub, '--secret-key', key, '--no-password');
  relais('pack', path.join(SOURCE_ROOT, 'tests', 'data', 'packages', 'cmi5-two'), '--secret-key', key, '-o', bundle);
  relais('trust', 'add', pub, '--name', 'Test academy');
  relais('install', bundle);
  course = relais('list').split('\n').find((l) => l.includes('visa')).split(/\s+/)[0];
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stopReader(reader);
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
});

test('1. two AUs: launched, closed mid-way (abandoned), finished, satisfied; hostile calls refused', { timeout: LIMIT }, async () => {
  let { context, page } = await newTab({ first: true });
  let { frame } = await openAU(page);
  const src = new URL(await page.locator('iframe.package').getAttribute('src'));
  assert.notEqual(src.origin, reader.origin, 'the AU plays on the package origin');
  for (const k of ['endpoint', 'fetch', 'actor', 'registration', 'activityId']) {
    assert.ok(src.searchParams.get(k), `the launch URL has ${k}`);
  }
  assert.equal(src.searchParams.get('activityId'), AU1);
  assert.deepEqual(JSON.parse(src.searchParams.get('actor')), { objectType: 'Agent', name: ME.name, mbox: `mailto:${ME.email}` });
  await frame.getByRole('button', { name: "J'ai terminé" }).waitFor();
  assert.ok(await frame.getByRole('button', { name: "J'ai terminé" }).isEnabled(), 'the AU read LMS.LaunchData');
  assert.deepEqual(cmi5Verbs(AU1), ['launched', 'initialized']);
  say(`AU 1 launched from ${src.origin}${src.pathname}; it fetched its token and sent initialized`);
  await context.close(); // mid-way: no terminated

  ({ context, page } = await newTab());
  assert.deepEqual(cmi5Verbs(AU1), ['launched', 'initialized', 'abandoned'], 'the open session was abandoned');
  say('the tab closed and the reader restarted: abandoned recorded for the open session');
  ({ frame } = await openAU(page));
  const over = page.waitForResponse((r) => r.url().endsWith('/xapi/statements') && r.request().postData()?.includes('/terminated'));
  await frame.getByRole('button', { name: "J'ai terminé" }).click();
  assert.equal((await over).status(), 200, 'terminated accepted');
  await page.frameLocator('iframe.package').locator('p').filter({ hasText: 'This part is over' }).waitFor();
  assert.deepEqual(cmi5Verbs(AU1), ['launched', 'initialized', 'abandoned', 'launched', 'initialized', 'completed', 'terminated']);
  say('AU 1 reopened and finished: completed, terminated; the AU went to its returnURL');

  // AU 2 (masteryScore 0.8): the hostile calls first, with the token the AU itself fetched.
  const au2 = await openAU(page); // AU 1 is done: the unit opens at AU 2
  assert.match(await page.locator('nav ol.outline').innerText(), /Préparer l'entretien \(Done\)/);
  frame = au2.frame;
  assert.match(frame.url(), /\/c\/au2\/index\.html\?questions=5&/);
  await frame.locator('#result').filter({ hasText: '5 questions' }).waitFor();
  const seen = await frame.evaluate(async ({ token, readerOrigin, au }) => {
    const q = new URLSearchParams(window.location.search);
    const out = {};
    const again = await fetch(q.get('fetch'), { method: 'POST' });
    out.again = await again.json();
    const state = `${q.get('endpoint')}activities/state?stateId=LMS.LaunchData&activityId=${encodeURIComponent(au)}` +
      `&agent=${encodeURIComponent(q.get('actor'))}&registration=${q.get('registration')}`;
    out.badToken = (await fetch(state, { headers: { Authorization: 'Basic ' + '0'.repeat(32) } })).status;
    const data = await (await fetch(state, { headers: { Authorization: 'Basic ' + token } })).json();
    const ctx = JSON.parse(JSON.stringify(data.contextTemplate));
    ctx.registration = q.get('registration');
    ctx.contextActivities.category = [{ id: 'https://w3id.org/xapi/cmi5/context/categories/cmi5' }, { id: 'https://w3id.org/xapi/cmi5/context/categories/moveon' }];
    const low = await fetch(`${q.get('endpoint')}statements`, {
      method: 'POST',
      headers: { Authorization: 'Basic ' + token, 'Content-Type': 'application/json', 'X-Experience-API-Version': '1.0.3' },
      body: JSON.stringify({ actor: JSON.parse(q.get('actor')), verb: { id: 'http://adlnet.gov/expapi/verbs/passed' },
        object: { id: au }, context: ctx, result: { success: true, score: { scaled: 0.5 }, duration: 'PT1M' },
        timestamp: new Date().toISOString() }),
    });
    out.low = `${low.status} ${(await low.json()).error}`;
    try {
      const r = await fetch(`${readerOrigin}/outbox`, { credentials: 'include' });
      out.reader = `read ${r.status}`;
    } catch (e) {
      out.reader = `refused: ${e.name}`;
    }
    out.cookie = document.cookie;
    return out;
  }, { token: au2.token, readerOrigin: reader.origin, au: AU2 });
  assert.equal(seen.again['error-code'], '1', `a second fetch: ${JSON.stringify(seen.again)}`);
  assert.equal(seen.again['auth-token'], undefined);
  assert.equal(seen.badToken, 401);
  assert.match(seen.low, /^403 cmi5: passed needs a scaled score of at least the masteryScore 0.8/);
  assert.match(seen.reader, /^refused/, `the reader's origin: ${seen.reader}`);
  assert.ok(!seen.cookie.includes('relais_session'));
  say(`hostile: second fetch ${JSON.stringify(seen.again)}; bad token ${seen.badToken}; passed at 0.5: ${seen.low}; reader origin ${seen.reader}`);

  const done = page.waitForResponse((r) => r.url().endsWith('/xapi/statements') && r.request().postData()?.includes('/terminated'));
  await frame.locator('input[name=q1][value=vrai]').check();
  await frame.locator('input[name=q2][value=vrai]').check();
  await frame.getByRole('button', { name: 'Valider' }).click();
  assert.equal((await done).status(), 200);
  assert.deepEqual(cmi5Verbs(AU2), ['launched', 'initialized', 'passed', 'terminated']);
  const all = outbox();
  const satisfied = all.filter((s) => s.verb.id === 'https://w3id.org/xapi/adl/verbs/satisfied');
  assert.equal(satisfied.length, 1, 'satisfied once, when both AUs met their moveOn');
  assert.equal(satisfied[0].object.definition.type, 'https://w3id.org/xapi/cmi5/activitytype/course');
  assert.equal(all.indexOf(satisfied[0]), all.findIndex((s) => s.object.id === AU2 && s.verb.id.endsWith('/passed')) + 1,
    'satisfied follows the passed that met the last moveOn');
  const passed = all.find((s) => s.object.id === AU2 && s.verb.id.endsWith('/passed'));
  assert.equal(passed.result.score.scaled, 1);
  assert.equal(passed.context.registration, satisfied[0].context.registration);
  await page.goto(`${reader.origin}/c/${course}/`);
  assert.match(await page.locator('ol.outline').innerText(), /Package · Done/);
  say(`outbox: ${all.map((s) => s.verb.id.split('/').pop()).join(', ')}`);
  await context.close();
});
