// XML for the client-setup routes: escaping for what they write, and a small strict reader for
// the one XML body they accept (an Autodiscover request). The reader knows elements,
// attributes, text, CDATA, comments and processing instructions; it refuses a DOCTYPE (no
// entity expansion, so no entity bombs or external fetches) and anything not well-formed.

/** Text or an attribute value, safe inside XML: `& < > " '` as references. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Nesting deeper than this is refused: no request the gateway reads comes close. */
export const MAX_XML_DEPTH = 32;

export interface XmlElement {
  /** The local name, without a namespace prefix. */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own text (CDATA included), children's text excluded. */
  readonly text: string;
}

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

const NAME = /[A-Za-z_:\u00C0-\uFFFF][-A-Za-z0-9_.:\u00B7\u00C0-\uFFFF]*/y;
const SPACE = /[ \t\r\n]*/y;

/** The document's root element. @throws XmlSyntaxError when the text is not well-formed XML. */
export function parseXml(text: string): XmlElement {
  let pos = text.startsWith('\uFEFF') ? 1 : 0;

  const fail = (what: string): never => {
    throw new XmlSyntaxError(`${what} at offset ${pos}`);
  };
  const skipSpace = () => {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    pos = SPACE.lastIndex;
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) return fail('expected a name');
    pos = NAME.lastIndex;
    return m[0];
  };
  const until = (end: string, what: string): string => {
    const at = text.indexOf(end, pos);
    if (at === -1) return fail(`unterminated ${what}`);
    const body = text.slice(pos, at);
    pos = at + end.length;
    return body;
  };
  /** Comments and processing instructions (the XML declaration among them); true if one was read. */
  const misc = (): boolean => {
    if (text.startsWith('<!--', pos)) {
      pos += 4;
      if (until('-->', 'comment').includes('--')) fail('"--" inside a comment');
      return true;
    }
    if (text.startsWith('<?', pos)) {
      pos += 2;
      until('?>', 'processing instruction');
      return true;
    }
    return false;
  };
  const decode = (raw: string): string => {
    if (raw.includes('<')) fail('"<" in text or attribute');
    return raw.replace(/&([^;&]*);?/g, (match, ref: string) => {
      if (!match.endsWith(';')) return fail('unterminated reference');
      const named = ENTITIES[ref];
      if (named !== undefined) return named;
      const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? parseInt(ref.slice(1), 10) : NaN;
      if (!isXmlChar(code)) return fail(`unknown reference &${ref};`);
      return String.fromCodePoint(code);
    });
  };
  const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

  const element = (depth: number): XmlElement => {
    if (depth > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH}`);
    pos += 1; // '<'
    const qname = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = pos;
      skipSpace();
      if (text.startsWith('/>', pos)) {
        pos += 2;
        return { name: localName(qname), attributes, children: [], text: '' };
      }
      if (text[pos] === '>') {
        pos += 1;
        break;
      }
      if (pos === before) fail('expected white space before an attribute');
      const attr = name();
      skipSpace();
      if (text[pos] !== '=') fail('expected "="');
      pos += 1;
      skipSpace();
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") return fail('expected a quoted attribute value');
      pos += 1;
      if (Object.hasOwn(attributes, attr)) fail(`duplicate attribute ${attr}`);
      attributes[attr] = decode(until(quote, 'attribute value'));
    }
    const children: XmlElement[] = [];
    let own = '';
    for (;;) {
      const lt = text.indexOf('<', pos);
      if (lt === -1) fail(`unclosed element ${qname}`);
      own += decode(text.slice(pos, lt));
      pos = lt;
      if (text.startsWith('</', pos)) {
        pos += 2;
        if (name() !== qname) fail(`mismatched end tag for ${qname}`);
        skipSpace();
        if (text[pos] !== '>') fail('expected ">"');
        pos += 1;
        return { name: localName(qname), attributes, children, text: own };
      }
      if (text.startsWith('<![CDATA[', pos)) {
        pos += 9;
        own += until(']]>', 'CDATA section');
      } else if (!misc()) {
        if (text.startsWith('<!', pos)) fail('unexpected declaration');
        children.push(element(depth + 1));
      }
    }
  };

  for (;;) {
    skipSpace();
    if (misc()) continue;
    if (text.startsWith('<!DOCTYPE', pos)) fail('a DOCTYPE is not accepted');
    break;
  }
  if (text[pos] !== '<') fail('expected the root element');
  const root = element(1);
  for (;;) {
    skipSpace();
    if (!misc()) break;
  }
  if (pos !== text.length) fail('content after the root element');
  return root;
}

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** The first child named `name` (local name, case-sensitive as XML is). */
export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}
