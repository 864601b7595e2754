// The native client's message shape and how received messages are shown: the MIME it writes,
// who a message is from, and the one-line form with untrusted text made terminal-safe.
import { describe, expect, it } from 'vitest';
import { createMessage, deterministicRng, formatAddress, fromBase64, identityFromPrivateKey, makeAddress, sha256, utf8 } from '../../core/index.js';
import { composeContent, displaySender } from './compose.js';
import { formatEntry, openEntry } from './inbox.js';

const alice = identityFromPrivateKey(sha256(utf8('native-client:alice')));
const bob = identityFromPrivateKey(sha256(utf8('native-client:bob')));
const aliceAddress = formatAddress(makeAddress(alice.publicKey, 'alice', 'lnmp.invalid'));
const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

async function sent(from: typeof alice, subject: string, body = 'hi') {
  const content = await composeContent({ from: { name: 'alice', address: aliceAddress }, to: 'bob@b.test', subject, body, date }, '<m1@lnmp.invalid>');
  return { content, message: createMessage({ privateKey: from.privateKey, to: [bob.publicKey], content, timestamp: date.getTime() / 1000 }, deterministicRng('compose')) };
}

describe('composeContent', () => {
  it('writes one text/plain UTF-8 part with From, To, an encoded-word Subject, Date and Message-ID', async () => {
    const { content } = await sent(alice, 'Grüße');
    const mime = Buffer.from(fromBase64(content.mime!)).toString('utf8');
    expect(mime).toBe(
      `From: "alice" <${aliceAddress}>\r\nTo: bob@b.test\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nDate: Fri, 02 Jan 2026 03:04:05 +0000\r\n` +
        'Message-ID: <m1@lnmp.invalid>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhi\r\n',
    );
    expect(content).toMatchObject({ type: 'text', subject: 'Grüße', body: 'hi\n' });
  });
});

describe('displaySender and formatEntry', () => {
  it('shows the From address when the signing key owns it, else the key', async () => {
    const own = await sent(alice, 's');
    expect(displaySender(own.message, own.content)).toBe(aliceAddress);
    const forged = await sent(bob, 's');
    expect(displaySender(forged.message, forged.content)).toBe(bob.publicKey);
  });

  it('one line: date, from, subject without control characters, id', async () => {
    const { message } = await sent(alice, 'a\u001b[31mred\u001b[0m\tsubject');
    const entry = openEntry(message, bob.privateKey);
    expect(formatEntry(entry)).toBe(`2026-01-02T03:04:05.000Z  ${aliceAddress}  a [31mred [0m subject  ${message.id}`);
    expect(formatEntry({ ...entry, subject: '' })).toBe(`2026-01-02T03:04:05.000Z  ${aliceAddress}  (no subject)  ${message.id}`);
  });
});
