// The postage auto-reply (RFC 3834): which messages may get one, what of the original it
// answers (Subject, Message-ID, References), and the reply itself — plain text and HTML
// saying in one sentence why and how to pay, with the amount, the BOLT11 invoice, its
// `lightning:` link, the pay page and the expiry. Pure: dates, ids and the boundary come in.
import { decodeHeaderWords, headerFields } from './header-fields.js';
import { ConverterError } from './errors.js';
import { checkAddress, checkAscii, encodeUnstructured, formatDate, formatMailbox, headerLine } from './headers.js';
import { formatMessageId, parseMessageIds } from './message-ids.js';

/** Our own marker on every postage auto-reply: a reply to one is never answered (loops). */
export const POSTAGE_REPLY_HEADER = 'X-LNMP-Postage';

/** Why a message gets no auto-reply; `undefined` when it may get one. */
export type AutoReplyBlock =
  | 'null-sender'
  | 'system-sender'
  | 'auto-submitted'
  | 'precedence'
  | 'mailing-list'
  | 'own-auto-reply';

/** Envelope senders RFC 3834 §2 says never to answer: bounces and list owners. */
const SYSTEM_SENDER = /^(?:mailer-daemon|postmaster|owner-.*|.*-request|.*-owner|.*-bounces?)@/i;

/**
 * RFC 3834 §2 and the list: no reply to a null or system envelope sender, to
 * `Auto-Submitted` other than `no`, to `Precedence: bulk | list | junk`, to mailing-list mail
 * (`List-Id` or any `List-*` field) or to our own auto-replies.
 */
export function autoReplyBlock(raw: Uint8Array, envelopeFrom: string): AutoReplyBlock | undefined {
  if (envelopeFrom === '') return 'null-sender';
  if (SYSTEM_SENDER.test(envelopeFrom)) return 'system-sender';
  for (const field of headerFields(raw)) {
    const value = field.value.toLowerCase();
    if (field.name === POSTAGE_REPLY_HEADER.toLowerCase()) return 'own-auto-reply';
    if (field.name === 'auto-submitted' && value.split(';')[0]!.trim() !== 'no') return 'auto-submitted';
    if (field.name === 'precedence' && ['bulk', 'list', 'junk'].includes(value)) return 'precedence';
    if (field.name === 'list-id' || field.name.startsWith('list-')) return 'mailing-list';
  }
  return undefined;
}

/** What an auto-reply quotes of the message it answers. */
export interface RepliedTo {
  /** The decoded Subject, or '' without one. */
  readonly subject: string;
  /** Message-ID without brackets, if the message has a usable one. */
  readonly messageId: string | undefined;
  /** The References chain to continue (References, else In-Reply-To), without brackets. */
  readonly references: string[];
}

export function repliedTo(raw: Uint8Array): RepliedTo {
  const fields = headerFields(raw);
  const first = (name: string) => fields.find((f) => f.name === name)?.value;
  const subjectValue = first('subject');
  const messageId = parseMessageIds(first('message-id'))[0];
  const refs = parseMessageIds(first('references'));
  return {
    subject: subjectValue === undefined ? '' : decodeHeaderWords(subjectValue),
    messageId,
    references: refs.length > 0 ? refs : parseMessageIds(first('in-reply-to')),
  };
}

export interface PostageReplyInput {
  /** The recipient the postage is for: the reply comes from them (RFC 3834 §3.1.1 allows it). */
  readonly from: string;
  /** Where the reply goes: the envelope sender of the original (RFC 3834 §4). */
  readonly to: string;
  readonly original: RepliedTo;
  readonly amountSats: number;
  readonly bolt11: string;
  readonly payUrl: string;
  readonly expiresAt: Date;
  readonly date: Date;
  /** Message-ID of the reply, without brackets. */
  readonly messageId: string;
  readonly boundary: string;
}

const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;
const BOLT11 = /^ln[a-z0-9]+$/i;
/** References kept: the chain's root and its most recent ids (RFC 5322 §3.6.4 allows trimming). */
const MAX_REFERENCES = 20;

/** The auto-reply as bytes, CRLF line endings, UTF-8 quoted-printable-free 8bit parts. */
export function buildPostageReply(input: PostageReplyInput): Buffer {
  if (!BOUNDARY.test(input.boundary)) throw new ConverterError('invalid_header_value', `boundary cannot be used: ${JSON.stringify(input.boundary)}`);
  if (!BOLT11.test(input.bolt11)) throw new ConverterError('invalid_header_value', 'not a BOLT11 invoice');
  if (!Number.isSafeInteger(input.amountSats) || input.amountSats <= 0) throw new RangeError('amountSats must be a positive integer');
  const payUrl = checkAscii(input.payUrl, 'payUrl');
  if (!/^https?:\/\/[!-~]+$/.test(payUrl)) throw new ConverterError('invalid_header_value', `not an http(s) URL: ${JSON.stringify(payUrl)}`);
  const messageId = formatMessageId(checkAscii(input.messageId, 'messageId'));
  if (messageId === undefined) throw new ConverterError('invalid_header_value', `not a message id: ${JSON.stringify(input.messageId)}`);
  const subject = input.original.subject.trim();
  const text = { ...input, payUrl, subject, lightning: `lightning:${input.bolt11.toLowerCase()}` };

  let head =
    headerLine('From', formatMailbox({ address: input.from })) +
    headerLine('To', formatMailbox({ address: checkAddress(input.to) })) +
    headerLine('Subject', encodeUnstructured(subject === '' ? 'Auto: postage requested' : `Auto: postage requested (Re: ${subject})`)) +
    headerLine('Date', formatDate(input.date)) +
    headerLine('Message-ID', messageId);
  head +=
    replyThreadHeaders(input.original) +
    // RFC 3834 §5: an automatic response; a responder must not answer it.
    headerLine('Auto-Submitted', 'auto-replied') +
    headerLine(POSTAGE_REPLY_HEADER, `invoice; amount=${input.amountSats}`);
  return alternativeMessage(head, input.boundary, [
    { type: 'text/plain; charset=utf-8', body: plainText(text) },
    { type: 'text/html; charset=utf-8', body: html(text) },
  ]);
}

/** In-Reply-To and References of a reply to `original` (the chain trimmed to MAX_REFERENCES). */
export function replyThreadHeaders(original: RepliedTo): string {
  const references = [...original.references, ...(original.messageId ? [original.messageId] : [])];
  const kept = references.length > MAX_REFERENCES ? [references[0]!, ...references.slice(-(MAX_REFERENCES - 1))] : references;
  let head = '';
  if (original.messageId) head += headerLine('In-Reply-To', formatMessageId(original.messageId)!);
  if (kept.length > 0) head += headerLine('References', kept.map((id) => formatMessageId(id)).filter((id) => id !== undefined).join(' '));
  return head;
}

/** A message of `head` and a multipart/alternative body of 8bit UTF-8 text parts, CRLF line endings. */
export function alternativeMessage(head: string, boundary: string, parts: ReadonlyArray<{ type: string; body: string }>): Buffer {
  if (!BOUNDARY.test(boundary)) throw new ConverterError('invalid_header_value', `boundary cannot be used: ${JSON.stringify(boundary)}`);
  for (const part of parts) {
    if (part.body.includes(`--${boundary}`)) throw new ConverterError('invalid_header_value', 'the boundary occurs in the content');
  }
  const top = headerLine('MIME-Version', '1.0') + headerLine('Content-Type', `multipart/alternative; boundary="${boundary}"`);
  const body = parts.map((p) => `--${boundary}\r\nContent-Type: ${p.type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${p.body}\r\n`).join('');
  return Buffer.from(`${head}${top}\r\n${body}--${boundary}--\r\n`, 'utf8');
}

type Text = PostageReplyInput & { subject: string; lightning: string };

/** The one sentence that says why and how. */
function why(t: Text): string {
  return (
    `${t.from} does not know you yet, so your message is waiting in a screening folder: ` +
    `pay ${sats(t.amountSats)} of Lightning postage and it will be delivered to the inbox at once ` +
    `(${t.from.split('@')[0]} decides whether to keep the postage or refund it).`
  );
}

function sats(n: number): string {
  return `${n.toLocaleString('en-US')} sat${n === 1 ? '' : 's'}`;
}

function plainText(t: Text): string {
  const lines = [
    why(t),
    '',
    `Amount:   ${sats(t.amountSats)}`,
    `Pay page: ${t.payUrl}`,
    `Expires:  ${formatDate(t.expiresAt)}`,
    '',
    'Lightning invoice (BOLT11):',
    t.bolt11,
    '',
    `Wallet link: ${t.lightning}`,
    '',
    'If you did not send this message, ignore this reply: nothing is charged unless you pay.',
  ];
  return lines.map((l) => `${l}\r\n`).join('');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function html(t: Text): string {
  const e = escapeHtml;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Postage requested</title></head>',
    '<body style="font-family:sans-serif;color:#1a1a1a;background:#ffffff;max-width:40em">',
    `<p>${e(why(t))}</p>`,
    `<p><strong>Amount:</strong> ${e(sats(t.amountSats))}<br>`,
    `<strong>Expires:</strong> ${e(formatDate(t.expiresAt))}</p>`,
    `<p><a href="${e(t.payUrl)}" style="color:#0b4f9c">Open the pay page</a> or <a href="${e(t.lightning)}" style="color:#0b4f9c">pay with your wallet</a>.</p>`,
    `<p>Lightning invoice (BOLT11):<br><code style="word-break:break-all">${e(t.bolt11)}</code></p>`,
    '<p>If you did not send this message, ignore this reply: nothing is charged unless you pay.</p>',
    '</body></html>',
  ]
    .map((l) => `${l}\r\n`)
    .join('');
}
