// attendance.mjs: a trainer takes attendance in Chromium: signs in with the PIN, follows
// "Take attendance" from the outline, ticks two learners, types a third person in, saves, and
// the outbox page lists the three attended records; the roster page has no axe violation, in each of the five languages.
//
// Environment as run.mjs (RELAIS, RELAIS_SOURCE_ROOT, CHROMIUM, KEEP=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { AXE } from './lib.mjs';
import { RELAIS, relais, homeWithSessions, startReader, stopReader, outbox, LAUNCH, say } from './readerproc.mjs';

const COURSE = 'migration-health';
const SESSION = {
  id: 'kickoff', title: 'Kick-off workshop', start: '2031-03-10T09:00', end: '2031-03-10T12:30',
  timezone: 'Africa/Dakar', place: 'Room 4, ENA Dakar', trainer: 'Tessa Mbaye',
};

let tmp;
let home;
let reader;
let browser;
let page;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-attendance-'));
  home = homeWithSessions(tmp, COURSE, [SESSION]);
  execFileSync(RELAIS, ['profile', 'add', '--trainer', '--name', 'Tessa Mbaye', '--email', 'tessa@example.org',
    '--org', 'ENA'], { env: { ...process.env, RELAIS_HOME: home, RELAIS_PIN: '7531' }, stdio: 'ignore' });
  relais(home, 'profile', 'add', '--name', 'Ana Souza', '--email', 'ana@example.org', '--org', 'ENA');
  relais(home, 'profile', 'add', '--name', 'Bako Traoré', '--email', 'bako@example.org', '--org', 'MAE');
  relais(home, 'profile', 'add', '--name', 'Carla Reis', '--email', 'carla@example.org');
  reader = await startReader(home);
  browser = await chromium.launch(LAUNCH);
  page = await (await browser.newContext({ bypassCSP: true })).newPage();
  await page.goto(reader.url);
});

after(async () => {
  await browser?.close();
  await stopReader(reader);
  if (!process.env.KEEP && tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the trainer signs in with the PIN', async () => {
  await page.getByRole('button', { name: /^Tessa Mbaye/ }).click();
  await page.getByLabel('PIN', { exact: true }).fill('7531');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/');
});

test('ticks two learners, types one in, saves: three attended records', async () => {
  await page.goto(`${reader.origin}/c/${COURSE}/`);
  const take = page.getByRole('link', { name: /^Take attendance/ });
  assert.equal(await take.count(), 1);
  say(`link's accessible text: ${await take.evaluate((a) => a.textContent)}`);
  await take.click();
  await page.waitForLoadState('load');
  assert.equal(await page.locator('h1').innerText(), 'Attendance: Kick-off workshop');
  await page.getByRole('checkbox', { name: /Ana Souza/ }).check();
  await page.getByRole('checkbox', { name: /Bako Traoré/ }).check();
  const row = page.getByRole('group', { name: 'Row 1' });
  await row.getByLabel('Name').fill('Dédé Mensah');
  await row.getByLabel('Email').fill('dede@example.org');
  await row.getByLabel('Organisation').fill('ECOWAS');

  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  say(`axe roster: ${r.violations.map((v) => v.id).join(' ') || 'no violation'}`);
  assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`), []);

  await page.getByRole('button', { name: 'Save attendance' }).click();
  await page.waitForLoadState('load');
  assert.equal(await page.getByRole('status').innerText(), 'Saved on this laptop: 3 new presences.');
  assert.equal(await page.getByRole('checkbox', { name: /Ana Souza/ }).isChecked(), true);
  assert.equal(await page.getByRole('checkbox', { name: /Carla Reis/ }).isChecked(), false);

  await page.goto(`${reader.origin}/outbox`);
  const rows = page.locator('table tbody tr', { hasText: 'attended a live session' });
  assert.equal(await rows.count(), 3);
  const learners = (await rows.locator('td:nth-child(2)').allInnerTexts()).sort();
  assert.deepEqual(learners, ['Ana Souza', 'Bako Traoré', 'Dédé Mensah']);
  for (const activity of await rows.locator('td:nth-child(4)').allInnerTexts()) {
    assert.equal(activity, 'Kick-off workshop');
  }
  const st = outbox(home);
  assert.equal(st.length, 3);
  for (const s of st) {
    assert.equal(s.verb.id, 'http://adlnet.gov/expapi/verbs/attended');
    assert.equal(s.object.id, `https://relais.invalid/xapi/activities/${COURSE}/session/kickoff`);
    assert.equal(s.context.instructor.mbox, 'mailto:tessa@example.org');
    assert.equal(s.timestamp, '2031-03-10T09:00:00.000Z');
  }
});

test('the roster in the other four languages: translated, axe-clean, Arabic right to left', async () => {
  await page.goto(`${reader.origin}/c/${COURSE}/`);
  const href = await page.getByRole('link', { name: /^Take attendance/ }).getAttribute('href');
  for (const lang of ['fr', 'es', 'pt', 'ar']) {
    await page.goto(`${reader.origin}${href}${href.includes('?') ? '&' : '?'}lang=${lang}`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    assert.equal(await page.evaluate(() => document.documentElement.dir || 'ltr'), lang === 'ar' ? 'rtl' : 'ltr');
    assert.notEqual(await page.locator('h1').innerText(), 'Attendance: Kick-off workshop', `${lang}: the heading is translated`);
    await page.addScriptTag({ path: AXE });
    const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    say(`axe roster ${lang}: ${r.violations.map((v) => v.id).join(' ') || 'no violation'}`);
    assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`), []);
  }
});
