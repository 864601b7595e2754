// DNS records in master-file form (RFC 1035 §5.1), one per line, for `domain dns`: absolute
// names, explicit TTL and class, TXT text as quoted strings of at most 255 bytes each.
import type { DnsRecord } from '../../services/domain-dns.js';

/** A character-string in DNS holds at most 255 bytes (RFC 1035 §3.3). */
export const MAX_TXT_STRING_BYTES = 255;

/** `value` as quoted character-strings: split by bytes, `"` and `\` escaped, other non-printables as `\DDD`. */
export function quoteTxt(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const strings: string[] = [];
  for (let start = 0; start === 0 || start < bytes.length; start += MAX_TXT_STRING_BYTES) {
    strings.push(`"${escape(bytes.subarray(start, start + MAX_TXT_STRING_BYTES))}"`);
  }
  return strings.join(' ');
}

function escape(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte <= 0x7e) text += String.fromCharCode(byte);
    else text += `\\${String(byte).padStart(3, '0')}`;
  }
  return text;
}

export function zoneLine(record: DnsRecord): string {
  const value = record.type === 'TXT' ? quoteTxt(record.value) : record.value;
  return `${record.name} ${record.ttl} IN ${record.type} ${value}`;
}

export function formatZone(records: readonly DnsRecord[]): string {
  return records.map((r) => `${zoneLine(r)}\n`).join('');
}
