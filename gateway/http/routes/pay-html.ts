// The pay page's HTML: one self-contained document (inline style, inline SVG QR code, one
// inline script allowed by its hash), usable without JavaScript. Every interpolated value
// is escaped; the script and style are constants so their CSP hashes are computed once.
import { createHash } from 'node:crypto';
import { escapeXml } from '../xml.js';

/** How the page shows a state; `held` and `settled` both mean the message was delivered. */
export type PayDisplayState = 'open' | 'delivered' | 'canceled' | 'expired';

export const STATUS_LABELS: Readonly<Record<PayDisplayState, string>> = {
  open: 'Waiting for payment',
  delivered: 'Delivered',
  canceled: 'Canceled',
  expired: 'Expired',
};

export interface PayPage {
  readonly id: string;
  readonly state: PayDisplayState;
  readonly amountSats: number;
  readonly recipient: string;
  readonly subject: string;
  readonly bolt11: string;
  readonly expiresAt: number;
  /** Milliseconds until expiry when rendered (the script counts down from it, not the client's clock). */
  readonly expiresInMs: number;
  /** The QR code of the lightning: URI, an SVG document from `qrcode`. */
  readonly qrSvg: string;
  /** Show the "Pay with the dev wallet" form (development mode only). */
  readonly devPay: boolean;
}

// HTML5 knows every reference escapeXml writes (&apos; included).
const esc = escapeXml;

const STYLE = `
:root { color: #1a1a1a; background: #ffffff; font: 16px/1.5 system-ui, sans-serif; }
body { margin: 0; }
main { max-width: 36rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
a { color: #0b57d0; }
.status { font-size: 1.25rem; font-weight: 700; margin: 0; }
.status[data-state="delivered"] { color: #146c2e; }
.status[data-state="canceled"], .status[data-state="expired"] { color: #a3262a; }
.qr { display: block; width: min(18rem, 100%); height: auto; margin: 0 auto; }
figure { margin: 0 0 1rem; text-align: center; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
textarea { box-sizing: border-box; width: 100%; font: 0.85rem/1.4 ui-monospace, monospace; color: #1a1a1a; background: #f3f3f3; border: 1px solid #6b6b6b; padding: 0.5rem; overflow-wrap: anywhere; resize: none; }
button { font: inherit; font-weight: 600; color: #ffffff; background: #0b57d0; border: 0; border-radius: 0.25rem; padding: 0.5rem 1rem; margin-top: 0.5rem; cursor: pointer; }
button:disabled { background: #4a4a4a; }
:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.dev { border: 2px dashed #8a4b00; background: #fff8e6; padding: 0 1rem 1rem; margin-top: 2rem; }
.dev button { background: #8a4b00; }
[hidden] { display: none !important; }
`;

// The page's only script: live status over EventSource, the countdown, the copy button and
// the dev-pay button without a reload. It reads what it needs from data attributes.
const SCRIPT = `
(() => {
  'use strict';
  const main = document.getElementById('pay');
  const status = document.getElementById('status');
  const invoice = document.getElementById('invoice');
  const dev = document.getElementById('dev');
  const countdown = document.getElementById('countdown');
  const field = document.getElementById('bolt11');
  const copy = document.getElementById('copy');
  const copied = document.getElementById('copied');
  const devForm = document.getElementById('dev-pay');
  const LABELS = { open: 'Waiting for payment', delivered: 'Delivered', canceled: 'Canceled', expired: 'Expired' };
  const SHOWN = { open: 'open', held: 'delivered', settled: 'delivered', canceled: 'canceled', expired: 'expired' };
  const deadline = performance.now() + Number(main.dataset.expiresIn);
  let state = main.dataset.state;
  let events;
  let timer;

  const remaining = (ms) => {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h > 0) return h + ' h ' + m + ' min';
    if (m > 0) return m + ' min ' + r + ' s';
    return r + ' s';
  };
  const show = (next) => {
    if (!(next in LABELS) || next === state) return;
    state = next;
    status.dataset.state = next;
    status.textContent = LABELS[next];
    if (next === 'open') return;
    if (invoice) invoice.hidden = true;
    if (dev) dev.hidden = true;
    if (events) events.close();
    clearInterval(timer);
  };
  const tick = () => {
    const left = deadline - performance.now();
    if (countdown) countdown.textContent = remaining(left);
    if (left <= 0) show('expired');
  };

  if (copy && field) {
    copy.hidden = false;
    copy.addEventListener('click', () => {
      field.select();
      const done = () => { copied.textContent = 'Copied'; };
      const failed = () => { copied.textContent = 'Selected: copy it with your keyboard'; };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, failed);
      else failed();
    });
  }
  if (devForm) {
    devForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const button = devForm.querySelector('button');
      button.disabled = true;
      fetch(devForm.action, { method: 'POST', redirect: 'manual', credentials: 'same-origin' }).then(
        () => { button.disabled = false; },
        () => devForm.submit(),
      );
    });
  }
  if (state === 'open') {
    events = new EventSource('/pay/' + encodeURIComponent(main.dataset.id) + '/events');
    events.addEventListener('state', (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch { return; }
      if (data && typeof data.state === 'string' && data.state in SHOWN) show(SHOWN[data.state]);
    });
    timer = setInterval(tick, 1000);
    tick();
  }
})();
`;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64');

/** The page's Content-Security-Policy: nothing but its own style and script, events from its origin, forms to its origin. */
export const PAY_PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(SCRIPT)}'`,
  `style-src 'sha256-${sha256(STYLE)}'`,
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** "59 min 30 s", "1 h 5 min", "45 s": the same wording the script counts down in. */
export function formatRemaining(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

export function renderPayPage(page: PayPage): string {
  const id = esc(page.id);
  const open = page.state === 'open';
  const amount = `${page.amountSats.toLocaleString('en-US')} sats`;
  const expiresIso = new Date(page.expiresAt).toISOString();
  const expiresText = `${expiresIso.slice(0, 10)} ${expiresIso.slice(11, 16)} UTC`;
  // The SVG comes from qrcode (fixed markup, no input text in it); it gets a name for screen readers.
  const qr = page.qrSvg.replace(/^<svg /, '<svg class="qr" role="img" aria-label="QR code of the Lightning invoice" ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Pay postage: ${esc(amount)} to reach ${esc(page.recipient)}</title>
<style>${STYLE}</style>
</head>
<body>
<main id="pay" data-id="${id}" data-state="${esc(page.state)}" data-expires-in="${Math.max(0, Math.round(page.expiresInMs))}">
<h1>Pay postage to deliver your message</h1>
<p>${esc(page.recipient)} accepts mail from new senders once a small Lightning payment, the postage, is made. Your message is held until then.</p>
<dl>
<dt>Amount</dt><dd id="amount">${esc(amount)}</dd>
<dt>Recipient</dt><dd id="recipient">${esc(page.recipient)}</dd>
<dt>Subject</dt><dd id="subject">${esc(page.subject)}</dd>
</dl>
<h2>Status</h2>
<p id="status" class="status" role="status" aria-live="polite" data-state="${esc(page.state)}">${esc(STATUS_LABELS[page.state])}</p>
<p><a id="refresh" href="/pay/${id}">Check status</a></p>
<section id="invoice" aria-labelledby="invoice-heading"${open ? '' : ' hidden'}>
<h2 id="invoice-heading">Lightning invoice</h2>
<figure>${qr}<figcaption>Scan with a Lightning wallet, or <a href="lightning:${esc(page.bolt11)}">open it in a wallet on this device</a>.</figcaption></figure>
<label for="bolt11">Invoice (BOLT11)</label>
<textarea id="bolt11" readonly rows="7" spellcheck="false">${esc(page.bolt11)}</textarea>
<button type="button" id="copy" hidden>Copy invoice</button> <span id="copied" aria-live="polite"></span>
<p id="expiry">Expires in <span id="countdown">${esc(formatRemaining(page.expiresInMs))}</span> (at <time datetime="${esc(expiresIso)}">${esc(expiresText)}</time>).</p>
</section>
${page.devPay && open ? devSection(id) : ''}</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function devSection(id: string): string {
  return `<section id="dev" class="dev" aria-labelledby="dev-heading">
<h2 id="dev-heading">Development only</h2>
<p>This gateway runs in development mode. Its dev wallet pays the invoice without real money.</p>
<form id="dev-pay" method="post" action="/pay/${id}/dev-pay"><button type="submit">Pay with the dev wallet</button></form>
</section>
`;
}
