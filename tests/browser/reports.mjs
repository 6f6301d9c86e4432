// reports.mjs: relais-hub's report pages in Chromium: each page kind (progress with its chart,
// quizzes, learners, a learner, the administrators' page, and an organisation's coordinator's
// view) axe-core clean in the five languages (Arabic right to left), and a screenshot of each at 1024 px: not blank,
// the chart drawn, nothing wider than the window.
//
// Environment as lib.mjs: RELAIS_HUB, CHROMIUM, KEEP=1 (keeps the screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';
import { HUB, CHROMIUM, AXE, LAUNCH, HUB_ADDRESS, say, startServer, stop } from './lib.mjs';

const LANGS = ['en', 'fr', 'es', 'pt', 'ar'];
const LIMIT = 240000;
const PASSWORD = 'correct horse battery';
const ACT = 'https://relais.invalid/xapi/activities/';
const ORG = 'https://relais.invalid/xapi/extensions/organisation';

let tmp;
let hub;
let browser;

function relaisHub(...args) {
  return execFileSync(HUB, [...args, '--db', path.join(tmp, 'hub.db')],
    { env: { ...process.env, RELAIS_HUB_PASSWORD: PASSWORD }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function statement(email, verb, obj, org, day, result) {
  const s = {
    id: randomUUID(), actor: { objectType: 'Agent', name: email.split('@')[0], mbox: `mailto:${email}` },
    verb: { id: `http://adlnet.gov/expapi/verbs/${verb}`, display: { 'en-US': verb } },
    object: { objectType: 'Activity', id: ACT + obj, definition: { name: { en: `Unit ${obj}`, fr: `Unité ${obj}` } } },
    context: { platform: 'relais', extensions: { [ORG]: org } },
    timestamp: `${day}T09:00:00.000Z`,
  };
  if (result) s.result = result;
  return s;
}

async function axe(page, what) {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  say(`axe ${what}: ${r.violations.length ? r.violations.map((v) => `${v.id}[${v.impact}]`).join(' ') : 'no violation'}`);
  return r.violations.map((v) => `${what}: ${v.id} (${v.impact}) at ${v.nodes.map((nd) => nd.target.join(' ')).join(', ')}`);
}

async function signIn(email) {
  const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1024, height: 768 } });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  await page.goto(`${hub.origin}/reports/login`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === '/reports'), page.locator('main form button').click()]);
  return { context, page };
}

/* What a person sees at 1024 px: the screenshot's size, the widest element, the chart's bars. */
async function look(page, name) {
  const shot = path.join(tmp, `${name}.png`);
  const png = await page.screenshot({ path: shot, fullPage: true });
  const m = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
    bars: document.querySelectorAll('figure.chart svg rect[fill="url(#hatch)"]').length,
    title: document.querySelector('figure.chart svg title')?.textContent ?? null,
    text: document.body.innerText.trim().length,
  }));
  say(`${name}: ${png.length} bytes of PNG, ${m.scroll}/${m.width} px wide, ${m.bars} bars, ${m.text} characters (${shot})`);
  assert.ok(png.length > 15000, `${name}: the screenshot looks blank`);
  assert.ok(m.text > 200, `${name}: hardly any text`);
  assert.ok(m.scroll <= m.width, `${name}: wider than the window (${m.scroll} > ${m.width})`);
  return m;
}

before(async () => {
  assert.ok(fs.existsSync(HUB), `no relais-hub at ${HUB}: build first (ninja -C build)`);
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM}`);
  assert.ok(fs.existsSync(AXE), 'no axe-core: run npm ci in tests/browser');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-reports-'));
  relaisHub('coordinator', 'add', 'admin@example.org');
  relaisHub('coordinator', 'add', 'ana@example.org', '--org', 'MAE');
  relaisHub('organisation', 'set', 'MAE', '--country', 'SN');
  const out = relaisHub('credentials', 'add', '--name', 'laptops');
  const key = /^key:\s*(\S+)$/m.exec(out)[1];
  const secret = /^secret:\s*(\S+)$/m.exec(out)[1];
  hub = await startServer(HUB, ['serve', '--db', path.join(tmp, 'hub.db'), '--listen', '127.0.0.1:0'], {}, HUB_ADDRESS);
  const sts = [];
  const people = [['awa@example.org', 'MAE'], ['bob@example.org', 'MAE'], ['carla@example.org', 'MSP'], ['dan@example.org', 'MSP']];
  people.forEach(([email, org], i) => {
    for (const course of ['migration-health', 'consular-basics']) {
      sts.push(statement(email, 'experienced', `${course}/intro`, org, `2026-0${1 + i}-0${1 + i}`));
      for (const q of ['q1', 'q2', 'q3']) {
        sts.push(statement(email, 'answered', `${course}/quiz/${q}`, org, `2026-0${1 + i}-0${2 + i}`,
          { success: (i + q.length) % 3 !== 0, score: { scaled: 1, raw: 1, min: 0, max: 1 } }));
      }
      if (i !== 1) {
        sts.push(statement(email, 'passed', `${course}/quiz`, org, `2026-0${1 + i}-0${3 + i}`, { success: true, score: { scaled: 0.9 } }));
        sts.push(statement(email, 'completed', course, org, `2026-0${1 + i}-${10 + i * 3}`, { completion: true }));
      }
    }
  });
  const r = await fetch(`${hub.origin}/xapi/statements`, {
    method: 'POST', body: JSON.stringify(sts),
    headers: { 'Content-Type': 'application/json', 'X-Experience-API-Version': '1.0.3', Authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` },
  });
  assert.equal(r.status, 200, await r.text());
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stop(hub);
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`# kept ${tmp}`);
});

test('each report page kind, in the five languages: axe-clean, not blank, the chart drawn, no horizontal overflow at 1024 px', { timeout: LIMIT }, async () => {
  const found = [];
  const kinds = [['progress', '/reports'], ['quizzes', '/reports/quizzes'], ['learners', '/reports/learners'],
    ['learner', '/reports/learner?learner=awa%40example.org'], ['admin', '/reports/admin'],
    ['filtered', '/reports?course=migration-health&country=SN&from=2026-01-01&to=2026-12-31']];
  const { context, page } = await signIn('admin@example.org');
  for (const lang of LANGS) {
    for (const [kind, url] of kinds) {
      await page.goto(`${hub.origin}${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      assert.equal(await page.evaluate(() => document.documentElement.dir || 'ltr'), lang === 'ar' ? 'rtl' : 'ltr');
      found.push(...await axe(page, `${lang} ${kind}`));
      const m = await look(page, `${kind}-${lang}`);
      if (kind === 'progress') {
        assert.ok(m.bars >= 3, 'the completions chart has its bars');
        if (lang === 'en' || lang === 'fr') assert.equal(m.title, lang === 'fr' ? 'Réussites par jour' : 'Completions by day');
      }
    }
  }
  // The filters are a form: choosing a course and applying it keeps it in the download links.
  await page.goto(`${hub.origin}/reports?lang=en`);
  await page.locator('#f-course').selectOption('consular-basics');
  await Promise.all([page.waitForURL((u) => u.searchParams.get('course') === 'consular-basics'), page.locator('form.filters button').click()]);
  assert.equal(await page.locator('a[href^="/reports/status-by-course.csv"]').getAttribute('href'),
    '/reports/status-by-course.csv?course=consular-basics');
  await context.close();
  // An organisation's coordinator: its own view, no administrators' link.
  const ana = await signIn('ana@example.org');
  for (const lang of LANGS) {
    await ana.page.goto(`${hub.origin}/reports?lang=${lang}`);
    found.push(...await axe(ana.page, `${lang} MAE coordinator`));
    await look(ana.page, `coordinator-${lang}`);
    assert.equal(await ana.page.locator('a[href="/reports/admin"]').count(), 0);
  }
  const other = await ana.page.goto(`${hub.origin}/reports/learner?learner=carla%40example.org`);
  assert.equal(other.status(), 404);
  await ana.context.close();
  assert.deepEqual(found, []);
});
