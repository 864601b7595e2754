// Truncation that never splits a character: schema limits count UTF-16 code units, body
// limits count UTF-8 bytes, and neither may leave half a surrogate pair behind.

/** At most `max` UTF-16 code units of `s`, cut before a surrogate pair rather than inside it. */
export function truncateChars(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return s.slice(0, end);
}

const encoder = new TextEncoder();

/** The longest prefix of `s` whose UTF-8 encoding is at most `maxBytes`, cut at a code point. */
export function truncateUtf8(s: string, maxBytes: number): string {
  // Every UTF-16 code unit is at most 3 UTF-8 bytes, so short strings need no work.
  if (s.length * 3 <= maxBytes) return s;
  const buf = new Uint8Array(maxBytes);
  // encodeInto stops before a code point that does not fit whole.
  const { read } = encoder.encodeInto(s, buf);
  return read >= s.length ? s : s.slice(0, read);
}
