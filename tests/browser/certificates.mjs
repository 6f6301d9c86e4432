// certificates.mjs: a programme certificate in the reader, in Chromium: the list and the
// printable page in the five languages, axe-core clean, Arabic right to left, the programme
// told from the courses. The laptop home is the one tests/sync/test_programme_certificate.py
// makes (a real relais-hub, a cohort, one relais sync), kept before it alters anything.
//
// Environment as run.mjs, and RELAIS_HUB (default ../../build/cli/relais-hub); PYTHON
// (default python3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RELAIS, HUB, SOURCE_ROOT, CHROMIUM, AXE, LAUNCH, READER_ADDRESS, say, startServer, stop, axe } from './lib.mjs';

const LIMIT = 240000;
const LANGS = ['en', 'fr', 'es', 'pt', 'ar'];
const COHORT = 'Attachés 2027';

let tmp;
let home;
let browser;
let reader;

before(async () => {
  assert.ok(fs.existsSync(RELAIS) && fs.existsSync(HUB), 'build first (ninja -C build)');
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  assert.ok(fs.existsSync(AXE), 'no axe-core: run npm ci in tests/browser');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-certs-'));
  home = path.join(tmp, 'home');
  execFileSync(process.env.PYTHON || 'python3', [path.join(SOURCE_ROOT, 'tests', 'sync', 'test_programme_certificate.py')],
    { env: { ...process.env, RELAIS, RELAIS_HUB: HUB, RELAIS_SOURCE_ROOT: SOURCE_ROOT, RELAIS_KEEP_PROGRAMME_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
  assert.ok(fs.existsSync(path.join(home, 'relais.db')), 'the Python test kept no home');
  browser = await chromium.launch(LAUNCH);
  reader = await startServer(RELAIS, ['read', '--no-browser', '--port', '0'], { RELAIS_HOME: home }, READER_ADDRESS);
});

after(async () => {
  await stop(reader);
  if (browser) await browser.close();
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
});

test('a programme certificate: list and printable page in five languages, axe-clean, Arabic right to left', { timeout: LIMIT }, async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB' });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  await page.goto(reader.url);
  assert.equal(new URL(page.url()).pathname, '/who');
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByRole('button', { name: /Test Learner/ }).click()]);
  const found = [];
  for (const lang of LANGS) {
    await page.goto(`${reader.origin}/certificates?lang=${lang}`);
    assert.equal(await page.evaluate(() => document.documentElement.dir), lang === 'ar' ? 'rtl' : 'ltr');
    const cards = page.locator('li.card');
    assert.equal(await cards.count(), 3, `${lang}: two courses and the programme`);
    const prog = cards.filter({ hasText: COHORT });
    assert.equal(await prog.count(), 1);
    const kind = (await prog.locator('p.meta strong').innerText()).trim();
    const kinds = await cards.locator('p.meta strong').allInnerTexts();
    assert.equal(kinds.filter((k) => k.trim() === kind).length, 1, `${lang}: "${kind}" on the programme only (${kinds})`);
    found.push(...await axe(page, `${lang} certificates`));
    await Promise.all([page.waitForURL((u) => /^\/certificates\/[0-9A-F]{16}-\d+$/.test(u.pathname)), prog.locator('a.button').click()]);
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang, 'the session keeps the language');
    const article = page.locator('article.certificate');
    assert.equal((await article.locator('p.course').innerText()).trim(), COHORT);
    assert.equal(await article.locator('ul.programme li').count(), 2);
    assert.match(await article.locator('p.learner').innerText(), /Test Learner/);
    assert.equal(await article.locator('time').getAttribute('datetime'), '2031-03-10');
    found.push(...await axe(page, `${lang} programme certificate`));
    if (lang === 'ar') {
      // Right to left: the heading starts at the right edge of the article.
      const a = await article.boundingBox();
      const h = await article.locator('h1').evaluate((e) => { const r = document.createRange(); r.selectNodeContents(e); const b = r.getBoundingClientRect(); return { x: b.x, w: b.width }; });
      assert.ok(h.x + h.w > a.x + a.width * 0.6, `Arabic heading at the right: ${JSON.stringify(h)} in ${JSON.stringify(a)}`);
    }
    say(`${lang}: list and programme certificate`);
  }
  assert.deepEqual(found, []);
  await context.close();
});
