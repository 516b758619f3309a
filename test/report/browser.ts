// The one module that drives puppeteer-core: Debian's chromium, headless, recording every request and console error.

import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.OPSBOOK_CHROMIUM ?? '/usr/bin/chromium';

export interface LoadedPage {
  page: Page;
  /** Every request after the page's own document (the report should make none: each is aborted and listed). */
  requests: string[];
  /** Console errors, uncaught exceptions and dialogs (an injected alert() would show up here). */
  errors: string[];
}

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium refuses its sandbox.
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export async function openReport(browser: Browser, file: string, viewport: { width: number; height: number }): Promise<LoadedPage> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url() === url && request.isNavigationRequest()) return void request.continue();
    requests.push(request.url());
    void request.abort();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${String(error)}`));
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, errors };
}
