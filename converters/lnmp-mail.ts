// MIME for mail that travels as LNMP between identities. Pure: no I/O.
// - Sending: the From field names the sender's LNMP address (`Name <name#chk@host>`), the
//   identity the envelope's signature proves, so the recipient can check it and reply to it.
// - Receiving: the message a mail client sees is the MIME the envelope carries, with an
//   `Authentication-Results` field saying what was verified: `lnmp=pass` when the envelope's
//   signature verified and its From address belongs to the signing key (the address checksum),
//   `lnmp=fail` when the From names another identity. Native content without MIME becomes a
//   text message from the sender's key.
import { checksumMatches, concatBytes, isLnmpAddress, parseAddress, type MessageContent } from '../core/index.js';
import { contentToMime } from './content-to-mime.js';
import { headerFields } from './header-fields.js';
import { encodeUnstructured, formatDate, formatMailbox, headerLine } from './headers.js';

const encoder = new TextEncoder();

/** The address in a From field value (`Name <a@b>` or `a@b`), lowercased; undefined when there is not exactly one. */
export function singleFromAddress(value: string): string | undefined {
  const angle = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  if (angle.length === 1) return angle[0]!.toLowerCase();
  if (angle.length > 1 || value.includes(',')) return undefined;
  const bare = value.trim();
  return /^[^\s<>@]+@[^\s<>@]+$/.test(bare) ? bare.toLowerCase() : undefined;
}

/**
 * The message with its From field's address replaced by `address`, display name kept; the
 * rest byte-exact. A message without a From field gets one at the top.
 */
export function withFromAddress(raw: Uint8Array, address: string): Uint8Array {
  const field = headerFields(raw).find((f) => f.name === 'from');
  const eol = raw.indexOf(0x0a) > 0 && raw[raw.indexOf(0x0a) - 1] === 0x0d ? '\r\n' : '\n';
  if (!field) return concatBytes(encoder.encode(`From: <${address}>${eol}`), raw);
  const name = field.value.match(/^(.*?)<[^<>]*>\s*$/)?.[1]?.trim();
  const value = name ? `${name} <${address}>` : `<${address}>`;
  return concatBytes(raw.subarray(0, field.start), encoder.encode(`From: ${value}${eol}`), raw.subarray(field.end));
}

export interface ReceivedEnvelope {
  readonly id: string;
  /** The signing key (x-only hex): verified before this is called. */
  readonly from: string;
  readonly timestamp: number;
}

/** What `Authentication-Results` says of a verified envelope's MIME. */
export function lnmpResult(raw: Uint8Array | undefined, senderKey: string): { result: 'pass' | 'fail' | 'none'; from: string | undefined } {
  if (raw === undefined) return { result: 'none', from: undefined };
  const fields = headerFields(raw).filter((f) => f.name === 'from');
  const from = fields.length === 1 ? singleFromAddress(fields[0]!.value) : undefined;
  if (from === undefined || !isLnmpAddress(from)) return { result: 'fail', from };
  return { result: checksumMatches(parseAddress(from), senderKey) ? 'pass' : 'fail', from };
}

/** The MIME a mail client is shown for an LNMP envelope received by `recipient`. */
export function receivedLnmpMime(content: MessageContent, envelope: ReceivedEnvelope, opts: { authservId: string; recipient: string }): Uint8Array {
  const signer = `signer=${envelope.from}`;
  if (content.mime !== undefined) {
    const raw = Buffer.from(content.mime, 'base64');
    const { result, from } = lnmpResult(raw, envelope.from);
    const header = `${opts.authservId}; lnmp=${result}${from && /^[\x21-\x7e]+$/.test(from) ? ` header.from=${from}` : ''} (${signer})`;
    return contentToMime(content, { from: { address: opts.recipient }, to: [opts.recipient], date: new Date(envelope.timestamp * 1000), messageId: `${envelope.id}@lnmp`, authResults: header });
  }
  return contentToMime(content, {
    // The key is the only name a native sender has here; 64 hex characters fit a local part.
    from: { address: `${envelope.from}@lnmp.invalid` },
    to: [opts.recipient],
    date: new Date(envelope.timestamp * 1000),
    messageId: `${envelope.id}@lnmp`,
    authResults: `${opts.authservId}; lnmp=pass (${signer})`,
  });
}

export interface PostageRequestNotice {
  /** The gateway's postmaster-like sender and the user it tells. */
  readonly from: string;
  readonly to: string;
  /** The recipient's key: the envelope names no address. */
  readonly recipientKey: string;
  readonly envelopeId: string;
  readonly amountSats: number;
  readonly bolt11: string;
  readonly url: string | undefined;
  /** Unix seconds. */
  readonly expiresAt: number;
  readonly date: Date;
  readonly messageId: string;
}

/**
 * The message a user finds when an LNMP recipient holds their mail until postage is paid: who
 * asks, how much, the invoice and where to pay it. Plain text, ASCII only.
 */
export function buildPostageRequestNotice(n: PostageRequestNotice): Uint8Array {
  const lines = [
    `Your message (LNMP envelope ${n.envelopeId}) was accepted by the recipient with key`,
    n.recipientKey,
    `and is held until ${n.amountSats} sats of postage are paid. Pay the Lightning invoice`,
    'below before it expires; the recipient decides whether to keep the payment or refund it.',
    '',
    ...(n.url ? [`Pay page: ${n.url}`, ''] : []),
    `lightning:${n.bolt11}`,
    '',
    `Expires: ${formatDate(new Date(n.expiresAt * 1000))}`,
  ];
  const body = `${lines.map((l) => (l.length > 998 ? l.match(/.{1,998}/g)!.join('\r\n') : l)).join('\r\n')}\r\n`;
  const header = [
    headerLine('From', formatMailbox({ name: 'LNMP postage', address: n.from })),
    headerLine('To', formatMailbox({ address: n.to })),
    headerLine('Subject', encodeUnstructured(`Postage requested: ${n.amountSats} sats`)),
    headerLine('Date', formatDate(n.date)),
    headerLine('Message-ID', `<${n.messageId}>`),
    headerLine('Auto-Submitted', 'auto-generated'),
    headerLine('X-LNMP-Postage', 'request'),
    headerLine('MIME-Version', '1.0'),
    headerLine('Content-Type', 'text/plain; charset=us-ascii'),
    headerLine('Content-Transfer-Encoding', '7bit'),
  ].join('');
  return encoder.encode(`${header}\r\n${body}`);
}
