// The pay routes through a real HTTP server on 127.0.0.1 over real dev-backend hold invoices:
// the page's content, escaping and headers, the event stream (current state, then changes,
// pings, expiry), the dev-pay form in and out of development mode, and the generic 404.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevPaySource, type DevPaySource } from '../../../test/helpers/dev-pay-source.js';
import { createLogger } from '../../log.js';
import { createGatewayRouter } from '../gateway-router.js';
import { createRouter } from '../router.js';
import { closeHttpServer, createHttpServer } from '../server.js';
import type { Router } from '../router.js';
import { payRoutes, type PaySource } from './pay.js';
import { TEST_CLIENT_SETUP } from '../../../test/helpers/client-setup.js';

const setup = TEST_CLIENT_SETUP;
const logger = createLogger({ level: 'error', write: () => {} });
const NOT_FOUND = '{"error":"not_found"}';
const HOSTILE_SUBJECT = `<script>alert("hi")</script> & 'friends'`;

/** A real HTTP server on 127.0.0.1:0 around `router`. */
async function serve(router: Router): Promise<{ base: string; close(): Promise<void> }> {
  const server: Server = createHttpServer(router, logger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeHttpServer(server) };
}

/** Every `event: state` of an event stream, in order, until the server ends it. */
async function stateEvents(url: string, onFirst?: () => Promise<void>): Promise<{ states: string[]; raw: string }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let raw = '';
  let calledFirst = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    raw += value;
    if (!calledFirst && raw.includes('\n\n') && onFirst) {
      calledFirst = true;
      await onFirst();
    }
  }
  const states = [...raw.matchAll(/^event: state\ndata: (.*)\n\n/gm)].map((m) => (JSON.parse(m[1]!) as { state: string }).state);
  return { states, raw };
}

describe('pay routes (dev mode)', () => {
  let source: DevPaySource;
  let asked: string[];
  let http: { base: string; close(): Promise<void> };

  beforeAll(async () => {
    source = await openDevPaySource();
    asked = [];
    // The real source, with a record of which ids it was asked about.
    const counted: PaySource = { ...source, view: (id) => (asked.push(id), source.view(id)), watch: (id, f) => source.watch(id, f) };
    http = await serve(createGatewayRouter({ version: '0.0.0', setup, pay: { source: counted, devMode: true } }));
  });
  afterAll(async () => {
    await http?.close();
    await source?.close();
  });

  const newPayment = (expirySeconds?: number) =>
    source.create({ amountSats: 2100, recipient: 'alice@example.test', subject: HOSTILE_SUBJECT, ...(expirySeconds ? { expirySeconds } : {}) });

  it('renders the page: amount, recipient, escaped subject, inline QR svg, invoice field, status, countdown', async () => {
    const id = await newPayment();
    const { bolt11 } = (await source.view(id))!;
    const response = await fetch(`${http.base}/pay/${id}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<dd id="amount">2,100 sats</dd>');
    expect(html).toContain('<dd id="recipient">alice@example.test</dd>');
    expect(html).toContain('<dd id="subject">&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; &apos;friends&apos;</dd>');
    expect(html).not.toContain('<script>alert');
    expect(html).toMatch(/<svg class="qr" role="img" aria-label="QR code of the Lightning invoice" xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
    expect(html).toContain(`<a href="lightning:${bolt11}">`);
    expect(html).toContain('<label for="bolt11">Invoice (BOLT11)</label>');
    expect(html).toContain(`<textarea id="bolt11" readonly rows="7" spellcheck="false">${bolt11}</textarea>`);
    expect(html).toContain('<p id="status" class="status" role="status" aria-live="polite" data-state="open">Waiting for payment</p>');
    expect(html).toContain(`<a id="refresh" href="/pay/${id}">Check status</a>`);
    expect(html).toMatch(/Expires in <span id="countdown">(59 min \d+ s|1 h 0 min)<\/span>/);
    expect(html).toContain('<main id="pay"');
    expect(html).toContain('<h1>');
    expect(html).toContain(`<form id="dev-pay" method="post" action="/pay/${id}/dev-pay"><button type="submit">Pay with the dev wallet</button></form>`);
    // No external resource of any kind: only the one xmlns name and same-page links.
    expect(html.match(/https?:\/\/[^"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).not.toMatch(/\ssrc=/);
  });

  it('sends the security headers, with the inline script and style allowed by their hashes only', async () => {
    const id = await newPayment();
    const response = await fetch(`${http.base}/pay/${id}`);
    const html = await response.text();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src ${hash(script)}; style-src ${hash(style)}; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
  });

  it('streams the current state first, then the change, and ends once delivered', async () => {
    const id = await newPayment();
    const events = await stateEvents(`${http.base}/pay/${id}/events`, () => source.devPay!(id));
    expect(events.states).toEqual(['open', 'held']);
    expect((await fetch(`${http.base}/pay/${id}`).then((r) => r.text())).includes('data-state="delivered">Delivered</p>')).toBe(true);
  });

  it('sends a settled, canceled or expired state once and ends', async () => {
    const settled = await newPayment();
    await source.devPay!(settled);
    await source.settle(settled);
    const result = await source.payment(settled);
    expect(result?.feeSats).toBe(0);
    expect((await stateEvents(`${http.base}/pay/${settled}/events`)).raw).toBe('event: state\ndata: {"state":"settled"}\n\n');

    const canceled = await newPayment();
    await source.cancel(canceled);
    expect((await stateEvents(`${http.base}/pay/${canceled}/events`)).states).toEqual(['canceled']);
    expect(await fetch(`${http.base}/pay/${canceled}`).then((r) => r.text())).toContain('data-state="canceled">Canceled</p>');
  });

  it('reports an expiry that nothing announced, when it is due', async () => {
    const id = await newPayment(2);
    expect((await stateEvents(`${http.base}/pay/${id}/events`)).states).toEqual(['open', 'expired']);
    const html = await fetch(`${http.base}/pay/${id}`).then((r) => r.text());
    expect(html).toContain('data-state="expired">Expired</p>');
    expect(html).toContain('<section id="invoice" aria-labelledby="invoice-heading" hidden>');
    expect(html).not.toContain('Pay with the dev wallet');
  });

  it('pays through the dev-pay form and answers 303 back to the page', async () => {
    const id = await newPayment();
    const response = await fetch(`${http.base}/pay/${id}/dev-pay`, { method: 'POST', redirect: 'manual', body: new URLSearchParams() });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/pay/${id}`);
    expect((await source.view(id))?.state).toBe('held');
    // Again, once paid: nothing more to pay, the same way back.
    const again = await fetch(`${http.base}/pay/${id}/dev-pay`, { method: 'POST', redirect: 'manual' });
    expect(again.status).toBe(303);
    expect((await source.view(id))?.state).toBe('held');
  });

  it('answers HEAD like GET without a body', async () => {
    const id = await newPayment();
    const response = await fetch(`${http.base}/pay/${id}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(await response.text()).toBe('');
  });

  it('answers unknown, malformed and non-matching ids with the generic 404, asking the source only about well-formed ids', async () => {
    const generic = await fetch(`${http.base}/no/such/path`);
    expect(generic.status).toBe(404);
    expect(await generic.text()).toBe(NOT_FOUND);
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    const malformed = ['short', 'AAAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAA+/', 'AAAAAAAAAAAAAAAAAAAA%2FA', '%00AAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAA.A'];
    asked.length = 0;
    for (const id of [unknown, ...malformed]) {
      for (const [method, path] of [['GET', `/pay/${id}`], ['GET', `/pay/${id}/events`], ['POST', `/pay/${id}/dev-pay`]] as const) {
        const response = await fetch(`${http.base}${path}`, { method, redirect: 'manual' });
        expect({ path, status: response.status, type: response.headers.get('content-type'), body: await response.text() }).toEqual({
          path,
          status: 404,
          type: generic.headers.get('content-type'),
          body: NOT_FOUND,
        });
      }
    }
    expect(asked).toEqual([unknown, unknown, unknown]);
    for (const path of ['/pay', '/pay/', `/pay/${unknown}/`, `/pay/${unknown}/other`]) {
      const response = await fetch(`${http.base}${path}`);
      expect({ path, status: response.status, body: await response.text() }).toEqual({ path, status: 404, body: NOT_FOUND });
    }
  });
});

describe('pay routes outside dev mode', () => {
  let source: DevPaySource;

  beforeAll(async () => {
    source = await openDevPaySource();
  });
  afterAll(() => source?.close());

  it.each([
    ['devMode false, although the source could pay', true, false],
    ['devMode true, but the source has no devPay', false, true],
  ])('%s: no dev-pay button, and POST dev-pay is the generic 404', async (_name, withDevPay, devMode) => {
    const paySource: PaySource = withDevPay ? source : { view: (id) => source.view(id), watch: (id, f) => source.watch(id, f) };
    const http = await serve(createGatewayRouter({ version: '0.0.0', setup, pay: { source: paySource, devMode } }));
    try {
      const id = await source.create({ amountSats: 10, recipient: 'bob@example.test', subject: 'hi' });
      const html = await fetch(`${http.base}/pay/${id}`).then((r) => r.text());
      expect(html).toContain('<dd id="amount">10 sats</dd>');
      expect(html).not.toContain('<form');
      expect(html).not.toContain('Pay with the dev wallet');
      const response = await fetch(`${http.base}/pay/${id}/dev-pay`, { method: 'POST', redirect: 'manual' });
      expect(response.status).toBe(404);
      expect(await response.text()).toBe(NOT_FOUND);
      expect((await source.view(id))?.state).toBe('open');
    } finally {
      await http.close();
    }
  });

  it('pings an open event stream with a comment', async () => {
    const http = await serve(createRouter(payRoutes(source, { devMode: false, pingIntervalMs: 20 })));
    try {
      const id = await source.create({ amountSats: 10, recipient: 'bob@example.test', subject: 'hi' });
      const response = await fetch(`${http.base}/pay/${id}/events`);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let raw = '';
      while (!raw.includes(': ping\n\n')) raw += (await reader.read()).value ?? '';
      expect(raw.startsWith('event: state\ndata: {"state":"open"}\n\n: ping\n\n')).toBe(true);
      await reader.cancel();
    } finally {
      await http.close();
    }
  });
});
