// Whether bytes can be an Internet message (RFC 5322 §2.1-2.2): a header section of at least
// one field, every line of it a field (name, optional blanks of the obsolete syntax, colon) or
// the folded continuation of one. The body may be anything. Used to refuse importing or parsing
// a blob that is plainly something else (an image, a text file) as an Email. Pure: no I/O.
import { headerEnd, nextLine } from './header-fields.js';

const CR = 0x0d;
const LF = 0x0a;
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

export function isInternetMessage(raw: Uint8Array): boolean {
  const end = headerEnd(raw);
  let fields = 0;
  for (let i = 0; i < end; ) {
    const lineEnd = nextLine(raw, i, end);
    if (raw[i] === LF || (raw[i] === CR && raw[i + 1] === LF)) break; // the blank line
    const line = Buffer.from(raw.buffer, raw.byteOffset + i, lineEnd - i).toString('latin1');
    if (line.includes('\0')) return false;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (fields === 0) return false;
    } else if (FIELD_LINE.test(line)) {
      fields++;
    } else {
      return false;
    }
    i = lineEnd;
  }
  return fields > 0;
}
