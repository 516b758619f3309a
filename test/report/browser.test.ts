// The HTML report in a real headless browser (Debian's chromium via puppeteer-core): no request, no console error, one
// bar per attempt, the deadline line, and the refusal tables of a rehearsed rogue-CSR run; screenshots for humans.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { journalEvents, makeTempDir, runIds, type TempDir } from '../cli/fixtures.js';
import { launchBrowser, openReport } from './browser.js';

const fixture = (name: string) => path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', name);

let tmp: TempDir;
let browser: Browser;
beforeAll(async () => {
  tmp = makeTempDir();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  tmp?.cleanup();
});

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

describe('HTML report in a browser', () => {
  it('of a rehearsed rogue-CSR run: loads offline without errors, a bar per attempt, the deadline, both refusal tables', async () => {
    const file = path.join(tmp.dir, 'rogue.html');
    const stateDir = path.join(tmp.dir, 'rogue-state');
    const r = await runCli(
      ['rehearse', 'runbooks/approve-csrs.yaml', '--scenario', 'runbooks/scenarios/rogue-csrs.yaml', '--time-scale', '240', '--state-dir', stateDir, '--output', 'plain', '--report', file],
      { timeout: 240_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const [runId] = runIds(stateDir);
    const events = journalEvents(stateDir, runId!);
    const refusedInJournal = events.filter((e) => e.type === 'step-report').flatMap((e) => (e.table as { rows: string[][] }).rows.map((row) => row[0]));
    expect(refusedInJournal).toHaveLength(6);

    const { page, requests, errors } = await openReport(browser, file, DESKTOP);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.$$eval('svg.timeline .bar-attempt', (bars) => bars.length)).toBe(events.filter((e) => e.type === 'attempt-start').length);
    expect(await page.$$eval('svg.timeline .deadline-line', (lines) => lines.length)).toBe(1);
    expect(await page.$eval('svg.timeline .deadline-label', (t) => t.textContent)).toMatch(/deadline .*slack/);
    const refused = await page.$$eval('table.csr-refused tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(refused.map((row) => row[0]).sort()).toEqual([...refusedInJournal].sort());
    expect(refused.every((row) => row[3]!.length > 10)).toBe(true);
    expect(refused.map((row) => row[3]).join('\n')).toMatch(/inventory: node evil-0 is not in the inventory/);
    // Each graph node links to its step's details.
    const links = await page.$$eval('svg.dag a.node', (nodes) => nodes.map((n) => n.getAttribute('href')));
    expect(links).toEqual(['#step-client-pending', '#step-approve-client', '#step-server-pending', '#step-approve-server', '#step-nodes-ready']);
    for (const link of links) expect(await page.$(link!)).not.toBeNull();
    await page.screenshot({ path: path.join(tmp.dir, 'rogue-1280.png'), fullPage: true });

    // On a phone the page itself does not scroll sideways (wide timelines and tables scroll in their own boxes).
    const phone = await openReport(browser, file, PHONE);
    expect(await phone.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(phone.errors).toEqual([]);
    await phone.page.screenshot({ path: path.join(tmp.dir, 'rogue-phone.png'), fullPage: true });
  }, 300_000);

  it('would see a request or a console error if a page made one (the recorder the checks above rely on)', async () => {
    const file = path.join(tmp.dir, 'probe.html');
    writeFileSync(file, '<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("probe")</script></body></html>');
    const { requests, errors } = await openReport(browser, file, DESKTOP);
    expect(requests).toEqual(['http://127.0.0.1:9/x.png']);
    expect(errors).toContain('console: probe');
  });

  it('of a run with markup in a step name and error: shown as text, nothing injected runs; failed and skipped steps carry a symbol', async () => {
    const file = path.join(tmp.dir, 'tour.html');
    const stateDir = path.join(tmp.dir, 'tour-state');
    const r = await runCli(['run', fixture('report.yaml'), '--set', `dir=${tmp.dir}`, '--state-dir', stateDir, '--output', 'plain', '--report', file], { env: { REPORT_TEST_TOKEN: 'not-a-real-token' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const events = journalEvents(stateDir, runIds(stateDir)[0]!);
    const { page, requests, errors } = await openReport(browser, file, DESKTOP);
    expect([requests, errors]).toEqual([[], []]);
    expect(await page.$$eval('svg.timeline .bar-attempt', (bars) => bars.length)).toBe(events.filter((e) => e.type === 'attempt-start').length);
    expect(await page.$$eval('svg.timeline .attempt-failed', (bars) => bars.length)).toBe(2);
    expect(await page.$$eval('svg.timeline .gap-backoff', (gaps) => gaps.length)).toBe(1);
    expect(await page.$eval('#step-hostile h3', (h) => h.textContent)).toBe("✖ <script>alert('name')</script> hostile · shell");
    expect(await page.$eval('#step-never h3', (h) => h.textContent)).toMatch(/^⊘ never/);
    expect(await page.$$eval('script', (scripts) => scripts.length)).toBe(1);
    expect(readFileSync(file, 'utf8')).not.toContain("<script>alert('");
    await page.screenshot({ path: path.join(tmp.dir, 'tour-1280.png'), fullPage: true });
  }, 120_000);
});
