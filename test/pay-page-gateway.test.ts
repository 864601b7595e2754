// The pay page of a real gateway in headless Chromium: the link in a stranger's auto-reply
// opens the page with the amount, the recipient, the subject and the QR code; the dev
// wallet's button pays; the page says "Delivered" without a reload, and the message is in
// the recipient's INBOX with $Postage-100. Screenshot: test-artifacts/pay-page-gateway.png.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli-process.js';
import { eventually, find, message, startPostageGateway, type PostageGateway } from './helpers/postage-gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const UI_TIMEOUT_MS = 15_000;

let g: PostageGateway;
let browser: Browser;

beforeAll(async () => {
  g = await startPostageGateway();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await g?.close();
});

describe('the pay page of a running gateway', () => {
  it('pays from the auto-reply link with the dev button and shows Delivered without a reload; the message reaches the INBOX', async () => {
    await g.send('bob@sender.test', message('bob@sender.test', 'Lunch <Friday> & more'));
    await g.remote.until('the auto-reply', () => g.remote.received.length >= 1);
    const payUrl = /^Pay page: (http:\/\/\S+)\r$/m.exec(g.remote.received[0]!.data.toString('utf8'))![1]!;
    const page = await browser.newPage();
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await page.goto(payUrl);
    expect(await page.locator('#amount').textContent()).toBe('100 sats');
    expect(await page.locator('#subject').textContent()).toBe('Lunch <Friday> & more');
    expect(await page.locator('svg.qr path').count()).toBeGreaterThan(0);
    expect(await page.getByRole('status').textContent()).toBe('Waiting for payment');
    await page.getByRole('button', { name: 'Pay with the dev wallet' }).click();
    await page.getByRole('status').filter({ hasText: 'Delivered' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(navigations).toBe(1);
    const artifacts = join(REPO_ROOT, 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'pay-page-gateway.png'), fullPage: true });
    expect(readFileSync(join(artifacts, 'pay-page-gateway.png')).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
    const client = await g.imap();
    try {
      const delivered = await eventually('paid message in the INBOX', () => find(client, 'INBOX', 'Lunch <Friday> & more'));
      expect(delivered.flags.has('$Postage-100')).toBe(true);
    } finally {
      await client.logout();
    }
  });

  it('answers an unknown pay id with the generic 404', async () => {
    const base = `http://127.0.0.1:${g.gateway.httpPort}`;
    const missing = await fetch(`${base}/pay/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
  });
});
