// Removing header fields from a message's own header, the rest byte-exact: the Bcc field is
// taken out of what a submission sends (RFC 8621 §7.5, RFC 5322 §3.6.3). Pure.
import { headerFields } from './header-fields.js';

/** The message without any field of these (lowercase) names; the same bytes when it has none. */
export function withoutHeaderFields(raw: Uint8Array, names: readonly string[]): Uint8Array {
  const drop = headerFields(raw).filter((f) => names.includes(f.name));
  if (drop.length === 0) return raw;
  const out = new Uint8Array(raw.length - drop.reduce((n, f) => n + f.end - f.start, 0));
  let from = 0;
  let at = 0;
  for (const f of drop) {
    out.set(raw.subarray(from, f.start), at);
    at += f.start - from;
    from = f.end;
  }
  out.set(raw.subarray(from), at);
  return out;
}
