// The pay page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// over a real dev-backend hold invoice: with JavaScript the dev-pay button pays and the
// status turns "Delivered" without a reload, and an expiry shows without one; without
// JavaScript the refresh link and the dev-pay form's 303 do the same job. The page loads
// nothing from anywhere else, its CSP lets its own script run, and its colours pass WCAG AA.
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayRouter } from '../gateway/http/gateway-router.js';
import { closeHttpServer, createHttpServer } from '../gateway/http/server.js';
import { createLogger } from '../gateway/log.js';
import { REPO_ROOT } from './helpers/cli-process.js';
import { openDevPaySource, type DevPaySource } from './helpers/dev-pay-source.js';
import { TEST_CLIENT_SETUP } from './helpers/client-setup.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const UI_TIMEOUT_MS = 15_000;

const setup = TEST_CLIENT_SETUP;

describe('pay page in Chromium', () => {
  let source: DevPaySource;
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    source = await openDevPaySource();
    server = createHttpServer(
      createGatewayRouter({ version: '0.0.0', setup, pay: { source, devMode: true } }),
      createLogger({ level: 'error', write: () => {} }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    if (server) await closeHttpServer(server);
    await source?.close();
  });

  const newPayment = (expirySeconds?: number) =>
    source.create({ amountSats: 2100, recipient: 'alice@example.test', subject: 'Lunch <on Friday> & more', ...(expirySeconds ? { expirySeconds } : {}) });

  /** Records what a page does that it should not: requests elsewhere, console errors (CSP violations among them), page errors. */
  function watchProblems(page: Page): string[] {
    const problems: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`${base}/`)) problems.push(`request to ${request.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    return problems;
  }

  it('with JavaScript: shows amount and QR code, pays with the dev button, turns "Delivered" without a reload', async () => {
    const id = await newPayment();
    const page = await browser.newPage();
    const problems = watchProblems(page);
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await page.goto(`${base}/pay/${id}`);
    expect(navigations).toBe(1);

    await expect.poll(() => page.locator('#amount').textContent()).toBe('2,100 sats');
    expect(await page.locator('#subject').textContent()).toBe('Lunch <on Friday> & more');
    expect(await page.locator('svg.qr').isVisible()).toBe(true);
    expect(await page.locator('svg.qr path').count()).toBeGreaterThan(0);
    const field = page.getByLabel('Invoice (BOLT11)');
    expect(await field.inputValue()).toBe((await source.view(id))?.bolt11);
    expect(await field.getAttribute('readonly')).toBe('');
    expect(await page.getByRole('button', { name: 'Copy invoice' }).isVisible()).toBe(true); // shown by the script
    expect(await page.getByRole('status').textContent()).toBe('Waiting for payment');
    // The script counts down (it replaced the server's text at least once: same wording, live).
    expect(await page.locator('#countdown').textContent()).toMatch(/^(59 min \d+ s|1 h 0 min)$/);
    expect(await page.title()).toBe('Pay postage: 2,100 sats to reach alice@example.test');

    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'pay-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(readFileSync(screenshot).subarray(0, 8)).toEqual(PNG_SIGNATURE);

    await page.evaluate(MARK_PAGE);
    await page.getByRole('button', { name: 'Pay with the dev wallet' }).click();
    await page.getByRole('status').filter({ hasText: 'Delivered' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect((await source.view(id))?.state).toBe('held');
    expect(await page.evaluate(IS_MARKED)).toBe(true);
    expect(navigations).toBe(1);
    expect(page.url()).toBe(`${base}/pay/${id}`);
    expect(await page.locator('#invoice').isHidden()).toBe(true);
    expect(await page.locator('#dev').isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'pay-page-delivered.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('with JavaScript: a payment made elsewhere and an expiry show without a reload', async () => {
    const paid = await newPayment();
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await page.goto(`${base}/pay/${paid}`);
    await page.evaluate(MARK_PAGE);
    await source.devPay!(paid); // the test side pays, as a wallet would
    await page.getByRole('status').filter({ hasText: 'Delivered' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.evaluate(IS_MARKED)).toBe(true);

    const expiring = await newPayment(2);
    await page.goto(`${base}/pay/${expiring}`);
    await page.evaluate(MARK_PAGE);
    await page.getByRole('status').filter({ hasText: 'Expired' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.evaluate(IS_MARKED)).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('without JavaScript: shows the refresh link, and the dev-pay form pays through a 303 back to the page', async () => {
    const id = await newPayment();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const problems = watchProblems(page);
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/dev-pay')) statuses.push(response.status());
    });
    await page.goto(`${base}/pay/${id}`);
    expect(await page.getByRole('status').textContent()).toBe('Waiting for payment');
    expect(await page.getByRole('link', { name: 'Check status' }).getAttribute('href')).toBe(`/pay/${id}`);
    expect(await page.getByRole('button', { name: 'Copy invoice' }).isHidden()).toBe(true);
    expect(await page.locator('#countdown').textContent()).toMatch(/^(59 min \d+ s|1 h 0 min)$/);

    await Promise.all([page.waitForURL(`${base}/pay/${id}`, { waitUntil: 'load' }), page.getByRole('button', { name: 'Pay with the dev wallet' }).click()]);
    await page.getByRole('status').filter({ hasText: 'Delivered' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(statuses).toEqual([303]);
    expect(await page.getByRole('button', { name: 'Pay with the dev wallet' }).count()).toBe(0);

    // The refresh link shows what changed since: the recipient kept the message.
    await source.settle(id);
    await page.getByRole('link', { name: 'Check status' }).click();
    await page.getByRole('status').filter({ hasText: 'Delivered' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('has a language, a main landmark, headings, a labelled field, a polite live status, and AA contrast', async () => {
    const id = await newPayment();
    const page = await browser.newPage();
    await page.goto(`${base}/pay/${id}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Pay postage to deliver your message');
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual(['Status', 'Lightning invoice', 'Development only']);
    expect(await page.getByRole('status').getAttribute('aria-live')).toBe('polite');
    expect(await page.getByRole('img', { name: 'QR code of the Lightning invoice' }).count()).toBe(1);

    // Text colour against the first non-transparent background behind it, for every text element shown.
    const pairs = await page.evaluate<{ what: string; fg: string; bg: string }[]>(TEXT_COLOURS);
    expect(pairs.length).toBeGreaterThan(10);
    const below = pairs.filter((p) => contrast(p.fg, p.bg) < 4.5).map((p) => `${p.what} ${p.fg} on ${p.bg}: ${contrast(p.fg, p.bg).toFixed(2)}`);
    expect(below).toEqual([]);
    await page.close();
  });
});

// Browser-side code as strings: the type-check of tests has no DOM library.
/** A marker on the window: it survives only if the page is not reloaded. */
const MARK_PAGE = 'window.notReloaded = true';
const IS_MARKED = 'window.notReloaded === true';
/** Each shown text element's colour and the first non-transparent background behind it. */
const TEXT_COLOURS = `(() => {
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const bg = getComputedStyle(el).backgroundColor;
      if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...document.querySelectorAll('h1, h2, p, dt, dd, a, label, button, textarea, span, figcaption, time')]
    .filter((el) => el.offsetParent !== null && (el.textContent ?? '').trim() !== '')
    .map((el) => ({ what: el.tagName.toLowerCase() + '#' + el.id, fg: getComputedStyle(el).color, bg: background(el) }));
})()`;

/** WCAG 2 contrast ratio of two CSS rgb()/rgba() colours (opaque ones here). */
function contrast(a: string, b: string): number {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function luminance(color: string): number {
  const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}
