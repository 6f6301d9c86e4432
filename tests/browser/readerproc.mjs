// readerproc.mjs: the relais program on one laptop home, for browser tests that drive the
// reader: relais run on the home, `relais read` started and stopped, the home's outbox.
// The programs, the browser and the servers' start and stop are lib.mjs's.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RELAIS, READER_ADDRESS, SOURCE_ROOT, startServer, stop } from './lib.mjs';

export { RELAIS, SOURCE_ROOT, LAUNCH, say } from './lib.mjs';

/* Runs relais on home; throws with its message when it fails. */
export function relais(home, ...args) {
  return execFileSync(RELAIS, args, { env: { ...process.env, RELAIS_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/* Makes tmp/home with course (from courses/) packed with these live sessions in its
 * course.json, signed by a key made in tmp, trusted and installed; returns the home. */
export function homeWithSessions(tmp, course, sessions) {
  const home = path.join(tmp, 'home');
  const src = path.join(tmp, 'src');
  fs.cpSync(path.join(SOURCE_ROOT, 'courses', course), src, { recursive: true });
  const meta = JSON.parse(fs.readFileSync(path.join(src, 'course.json'), 'utf8'));
  meta.sessions = sessions;
  fs.writeFileSync(path.join(src, 'course.json'), JSON.stringify(meta));
  relais(home, 'keygen', '-p', path.join(tmp, 't.pub'), '-s', path.join(tmp, 't.key'), '-W');
  relais(home, 'pack', src, '-s', path.join(tmp, 't.key'), '-o', path.join(tmp, 'course.relais'));
  relais(home, 'trust', 'add', path.join(tmp, 't.pub'));
  relais(home, 'install', path.join(tmp, 'course.relais'));
  return home;
}

/* Starts `relais read` on home (env added to its environment: TZ for the laptop's time
 * zone) and resolves with { proc, url, origin, exited }. */
export function startReader(home, env = {}) {
  return startServer(RELAIS, ['read', '--no-browser', '--port', '0'], { ...env, RELAIS_HOME: home }, READER_ADDRESS);
}

/* Stops a reader started by startReader (SIGTERM, then SIGKILL after 5 s); accepts none. */
export const stopReader = stop;

/* The statements in home's outbox, oldest first. */
export function outbox(home) {
  const db = path.join(home, 'relais.db');
  const out = execFileSync('python3', ['-c', `import sqlite3, sys, json
print(json.dumps([r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT statement FROM outbox ORDER BY seq")]))`, db], { encoding: 'utf8' });
  return JSON.parse(out).map((s) => JSON.parse(s));
}

/*
 * A new browser context on reader (a fresh `relais read`: its address opens once), the
 * learner me ({ name, email }) chosen, or added when first. Resolves with { context, page }.
 */
export async function learnerTab(browser, reader, me, { first = false } = {}) {
  const context = await browser.newContext();
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  if (process.env.DEBUG) {
    page.on('console', (m) => console.log(`console: ${m.text()}`));
    page.on('pageerror', (e) => console.log(`pageerror: ${e}`));
    page.on('response', (r) => console.log(`response: ${r.status()} ${r.request().method()} ${r.url()}`));
    page.on('requestfailed', (r) => console.log(`failed: ${r.url()} ${r.failure()?.errorText}`));
  }
  await page.goto(reader.url);
  if (first) {
    await page.getByLabel('Name', { exact: true }).fill(me.name);
    await page.getByLabel('Email address', { exact: true }).fill(me.email);
    await page.getByRole('button', { name: 'Start studying', exact: true }).click();
  } else {
    await page.getByRole('button', { name: me.name, exact: true }).click();
  }
  await page.waitForURL(`${reader.origin}/`);
  return { context, page };
}
