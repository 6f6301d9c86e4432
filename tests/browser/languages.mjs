// languages.mjs: the reader in its five languages (po/reader): chosen from the browser's
// language, switched from any page, axe-core clean on the library, an outline, a lesson and a
// quiz in each, and Arabic laid out right to left (bounding boxes, not pixels).
//
// Then relais-hub's pages (sign-in, reports, verify) the same way.
//
// Environment as run.mjs: RELAIS, RELAIS_SOURCE_ROOT, CHROMIUM, KEEP=1 (keeps the home and
// the screenshots), and RELAIS_HUB (default ../../build/cli/relais-hub).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RELAIS, HUB, SOURCE_ROOT, CHROMIUM, AXE, LAUNCH, READER_ADDRESS, HUB_ADDRESS, say, startServer, stop, axe } from './lib.mjs';

const LIMIT = 240000;
const COURSE = 'migration-health';
const SPANISH = 'salud-fronteras'; // the Spanish sample course
const LANGS = ['en', 'fr', 'es', 'pt', 'ar'];

let tmp;
let home;
let browser;
let reader;
let units; // the course's units, from its manifest

function relais(...args) {
  return execFileSync(RELAIS, args, { env: { ...process.env, RELAIS_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/* The words of one language, read from its catalogue: key (msgctxt) -> msgstr. */
function catalogue(lang) {
  const text = fs.readFileSync(path.join(SOURCE_ROOT, 'po', 'reader', `${lang}.po`), 'utf8');
  const words = {};
  for (const block of text.split(/\n\n+/)) {
    const ctxt = /^msgctxt "(.*)"$/m.exec(block);
    const str = /^msgstr ((?:".*"\n?)+)/m.exec(block);
    if (ctxt && str) {
      words[ctxt[1]] = str[1].trim().split('\n').map((s) => JSON.parse(s)).join('');
    }
  }
  return words;
}

/* A browser context in a session of its own: the launch address opens once per reader run. */
async function session(locale) {
  await stop(reader);
  reader = await startServer(RELAIS, ['read', '--no-browser', '--port', '0'], { RELAIS_HOME: home }, READER_ADDRESS);
  const context = await browser.newContext({ bypassCSP: true, locale });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  await page.goto(reader.url);
  assert.equal(new URL(page.url()).pathname, '/who');
  return { context, page };
}

async function h1(page) {
  return (await page.locator('h1').first().innerText()).trim();
}

/* Every axe-core violation on the page, whatever its impact. */
/* The page's language, direction and language list, as the learner gets them. */
async function frame(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    list: [...document.querySelectorAll('nav.langs a')].map((a) => ({
      code: a.getAttribute('lang'), href: a.getAttribute('href'), name: a.textContent.trim(),
      current: a.getAttribute('aria-current') === 'true',
    })),
  }));
}

before(async () => {
  assert.ok(fs.existsSync(RELAIS), `no relais program at ${RELAIS}: build first (ninja -C build)`);
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  assert.ok(fs.existsSync(AXE), 'no axe-core: run npm ci in tests/browser');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-langs-'));
  home = path.join(tmp, 'home');
  const pub = path.join(tmp, 'k.pub');
  const key = path.join(tmp, 'k.key');
  relais('keygen', '--public-key', pub, '--secret-key', key, '--no-password');
  const bundle = path.join(tmp, `${COURSE}.relais`);
  relais('pack', path.join(SOURCE_ROOT, 'courses', COURSE), '--secret-key', key, '-o', bundle);
  units = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], { encoding: 'utf8' })).units;
  const es = path.join(tmp, `${SPANISH}.relais`);
  relais('pack', path.join(SOURCE_ROOT, 'courses', SPANISH), '--secret-key', key, '-o', es);
  relais('trust', 'add', pub, '--name', 'Test academy');
  relais('install', bundle, es);
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stop(reader);
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`# kept ${tmp}`);
});

test('1. the browser\'s language chooses the reader\'s: each of the five, English for others', { timeout: LIMIT }, async () => {
  for (const [locale, lang] of [['es-MX', 'es'], ['pt-BR', 'pt'], ['ar-MA', 'ar'], ['fr-SN', 'fr'], ['de-DE', 'en']]) {
    const { context, page } = await session(locale);
    const f = await frame(page);
    const title = await h1(page);
    await context.close();
    assert.equal(f.lang, lang, `Accept-Language ${locale}`);
    assert.equal(f.dir, lang === 'ar' ? 'rtl' : 'ltr');
    assert.equal(title, catalogue(lang).WHO_TITLE);
    say(`${locale}: <html lang="${f.lang}" dir="${f.dir}">, "${title}"`);
  }
});

test('2. every language on every page: switch from the list; library, outline, lesson, quiz, its result and the rest axe-clean', { timeout: LIMIT }, async () => {
  const { context, page } = await session('en-GB');
  await page.locator('#name').fill('Lina Haddad');
  await page.locator('#email').fill('lina.haddad@example.org');
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.locator('form[action="/who/add"] button').click()]);
  const lesson = units.find((u) => u.type !== 'quiz');
  const quiz = units.find((u) => u.type === 'quiz');
  // The four the issue names first, then every other screen a learner meets.
  const pages = [['library', '/'], ['outline', `/c/${COURSE}/`], ['lesson', `/c/${COURSE}/${lesson.path}`],
    ['quiz', `/c/${COURSE}/${quiz.path}`], ['search', '/search?q=vaccination'], ['outbox', '/outbox'],
    ['updates', '/updates'], ['certificates', '/certificates'], ['who', '/who'], ['pin', '/who/pin']];
  const names = Object.fromEntries(LANGS.map((l) => [l, catalogue(l).LANG_NAME]));
  const found = [];
  let from = 'en';
  for (const lang of LANGS) {
    const words = catalogue(lang);
    // Switch as a learner does: the link named in its own language, from the page in the last one.
    await page.goto(`${reader.origin}${pages[0][1]}`);
    const link = page.locator(`nav.langs a[lang="${lang}"]`);
    assert.equal((await link.innerText()).trim(), names[lang], `the list names ${lang} in itself (page in ${from})`);
    await Promise.all([page.waitForURL((u) => u.search === `?lang=${lang}`), link.click()]);
    for (const [kind, url] of pages) {
      await page.goto(`${reader.origin}${url}`); // no ?lang=: the session keeps the choice
      const f = await frame(page);
      assert.equal(f.lang, lang, `${kind} in ${lang}`);
      assert.equal(f.dir, lang === 'ar' ? 'rtl' : 'ltr', `${kind} in ${lang}: direction`);
      assert.deepEqual(f.list.map((a) => [a.code, a.href, a.name]), LANGS.map((l) => [l, `?lang=${l}`, names[l]]),
        'the five languages, each with its lang attribute and its own name');
      assert.deepEqual(f.list.filter((a) => a.current).map((a) => a.code), [lang]);
      assert.equal((await page.locator('nav[aria-label="relais"] a').first().innerText()).trim(), words.NAV_LIBRARY);
      if (kind === 'library') assert.equal(await h1(page), words.LIBRARY_TITLE);
      found.push(...await axe(page, `${lang} ${kind}`));
      if (kind === 'quiz') {
        // Handed in unanswered: the result page in the language, its score and words.
        const submit = page.locator('main form button[type=submit]').last();
        assert.equal((await submit.innerText()).trim(), words.SUBMIT);
        await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), submit.click()]);
        await page.waitForLoadState('load');
        assert.equal((await frame(page)).lang, lang);
        const main = await page.locator('main').innerText();
        assert.ok(main.includes(words.FAILED), `the result says ${words.FAILED}`);
        assert.ok(main.includes(words.QUIZ_UNANSWERED), `the result says ${words.QUIZ_UNANSWERED}`);
        found.push(...await axe(page, `${lang} quiz result`));
      }
    }
    from = lang;
  }
  await context.close();
  assert.deepEqual(found, []);
});

test('3. the Spanish sample course in the Portuguese and Arabic readers: its own language, axe-clean', { timeout: LIMIT }, async () => {
  const { context, page } = await session('pt-PT');
  await page.locator('#name').fill('Rosa Quispe');
  await page.locator('#email').fill('rosa.quispe@example.org');
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.locator('form[action="/who/add"] button').click()]);
  const found = [];
  for (const lang of ['pt', 'ar']) {
    await page.goto(`${reader.origin}/c/${SPANISH}/lessons/01-marco-rsi.html?lang=${lang}`);
    const f = await frame(page);
    const article = await page.evaluate(() => {
      const a = document.querySelector('main article');
      return { lang: a.lang, dir: getComputedStyle(a).direction, h1: a.querySelector('h1').textContent.trim() };
    });
    assert.equal(f.lang, lang);
    assert.deepEqual(article, { lang: 'es', dir: 'ltr', h1: 'El Reglamento Sanitario Internacional en los puntos de entrada' });
    found.push(...await axe(page, `${lang} Spanish lesson`));
  }
  await context.close();
  assert.deepEqual(found, []);
});

test('4. Arabic is mirrored: navigation starts at the right, text aligns right; English the other way', { timeout: LIMIT }, async () => {
  const { context, page } = await session('en-GB');
  await page.setViewportSize({ width: 1000, height: 800 });
  await page.locator('#name').fill('Omar Benali');
  await page.locator('#email').fill('omar.benali@example.org');
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.locator('form[action="/who/add"] button').click()]);
  const boxes = async () => page.evaluate(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right }; };
    const items = [...document.querySelectorAll('nav[aria-label="relais"] li')];
    return { width: document.documentElement.clientWidth, first: box(items[0]), last: box(items[items.length - 1]),
      main: box(document.querySelector('main')),
      // An English course in an Arabic page stays left to right; the interface's words in it do not.
      card: getComputedStyle(document.querySelector('li.card[lang="en"]')).direction,
      meta: getComputedStyle(document.querySelector('li.card[lang="en"] p.meta')).direction,
      // The heading's text itself (a range), not its block, which spans main either way.
      text: (() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('main h1')); return box(r); })() };
  });
  await page.goto(`${reader.origin}/?lang=en`);
  const en = await boxes();
  await page.goto(`${reader.origin}/?lang=ar`);
  const ar = await boxes();
  const shot = path.join(tmp, 'library-ar.png');
  await page.screenshot({ path: shot, fullPage: true });
  await context.close();
  say(`en: first nav item at x ${en.first.left}-${en.first.right}, last at ${en.last.left}-${en.last.right}`);
  say(`ar: first nav item at x ${ar.first.left}-${ar.first.right}, last at ${ar.last.left}-${ar.last.right} (screenshot ${shot})`);
  assert.deepEqual([ar.card, ar.meta], ['ltr', 'rtl'], 'Arabic page: the English card is ltr, its interface words rtl');
  assert.ok(en.first.left < en.last.left, 'English: the first item is at the left');
  assert.ok(en.first.left < en.width / 4, 'English: the navigation starts at the left edge');
  assert.ok(ar.first.left > ar.last.left, 'Arabic: the first item is at the right of the last');
  assert.ok(ar.first.right > ar.width * 3 / 4, 'Arabic: the navigation starts at the right edge');
  assert.ok(en.text.left - en.main.left < 40, 'English: the heading starts at main\'s left');
  assert.ok(ar.main.right - ar.text.right < 40, 'Arabic: the heading starts at main\'s right');
  assert.ok(ar.text.left - ar.main.left > 100, 'Arabic: the heading leaves room at the left');
  assert.ok(Math.abs(ar.first.right - (en.width - en.first.left)) < 2, 'the first item mirrors its English place');
});

test('5. the hub\'s pages in each language: sign-in, reports, verify, cohorts; axe-clean, Arabic mirrored', { timeout: LIMIT }, async () => {
  const db = path.join(tmp, 'hub.db');
  const password = 'correct horse battery';
  execFileSync(HUB, ['coordinator', 'add', '--email', 'coord@example.org', '--db', db],
    { env: { ...process.env, RELAIS_HUB_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
  // A cohort with a member, for the cohorts pages.
  execFileSync(HUB, ['cohort', 'add', 'Attachés 2027', '--org', 'MAE', '--db', db], { stdio: 'pipe' });
  execFileSync(HUB, ['cohort', 'members', 'Attachés 2027', '--add', 'aicha@example.org', '--db', db],
    { stdio: 'pipe' });
  const cohortId = /id ([0-9a-f]{16})/.exec(execFileSync(HUB, ['cohort', 'list', '--db', db]).toString())[1];
  const hub = await startServer(HUB, ['serve', '--db', db, '--listen', '127.0.0.1:0'], {}, HUB_ADDRESS);
  const words = Object.fromEntries(LANGS.map((l) => {
    const text = fs.readFileSync(path.join(SOURCE_ROOT, 'po', 'hub', `${l}.po`), 'utf8');
    const w = {};
    for (const m of text.matchAll(/^msgctxt "(.*)"\nmsgid ".*"\nmsgstr "(.*)"$/gm)) w[m[1]] = JSON.parse(`"${m[2]}"`);
    return [l, w];
  }));
  const found = [];
  try {
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB' });
    context.setDefaultTimeout(10000);
    const page = await context.newPage();
    await page.goto(`${hub.origin}/reports/login`);
    await page.locator('#email').fill('coord@example.org');
    await page.locator('#password').fill(password);
    await Promise.all([page.waitForURL((u) => u.pathname === '/reports'), page.locator('main form button').click()]);
    for (const lang of LANGS) {
      for (const [kind, url, heading] of [['reports', `/reports?lang=${lang}`, 'REPORTS'],
        ['verify', `/verify?code=NOT-A-CODE`, 'VERIFY_TITLE'],
        ['cohorts', `/reports/cohorts?lang=${lang}`, 'COHORTS'],
        ['cohort', `/reports/cohorts/${cohortId}?lang=${lang}`, null]]) {
        await page.goto(`${hub.origin}${url}`);
        const f = await frame(page);
        assert.equal(f.lang, lang, `hub ${kind} in ${lang}`);
        assert.equal(f.dir, lang === 'ar' ? 'rtl' : 'ltr');
        assert.deepEqual(f.list.filter((a) => a.current).map((a) => a.code), [lang]);
        assert.equal(await h1(page), heading ? words[lang][heading] : 'Attachés 2027');
        found.push(...await axe(page, `hub ${lang} ${kind}`));
      }
      if (lang === 'ar') {
        const side = await page.evaluate(() => {
          const first = document.querySelector('nav.langs li').getBoundingClientRect();
          return { right: first.right, width: document.documentElement.clientWidth };
        });
        assert.ok(side.right > side.width * 3 / 4, 'Arabic hub page: the language list starts at the right');
      }
    }
    // Signed out, the sign-in page in the language kept by the cookie.
    await page.goto(`${hub.origin}/reports/login?lang=es`);
    assert.equal(await page.locator('label[for="password"]').innerText(), words.es.LOGIN_PASSWORD);
    found.push(...await axe(page, 'hub es sign-in'));
    await context.close();
  } finally {
    await stop(hub);
  }
  assert.deepEqual(found, []);
});
