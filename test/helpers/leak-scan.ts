// Looks for secrets ("needles") in what a database holds: every table of the current schema
// read back value by value, or any text or bytes (pg_dump output, a data directory). A
// needle is found in clear (case-insensitive when it is text), as hex, or as base64 at any
// byte alignment, so a leak that merely re-encodes the plaintext is still a leak.
import type { Queryable } from '../../storage/db.js';

export interface Needle {
  readonly label: string;
  readonly bytes: Uint8Array;
  /** The needle as text, when it was given as text (it may not be ASCII). */
  readonly text?: string;
}

export interface Finding {
  /** `table.column`, `table (row text)`, or the name of a scanned text. */
  readonly where: string;
  readonly needle: string;
  /** How the needle was encoded where it was found: raw, hex, base64+k, base64url+k. */
  readonly form: string;
  /** How the value was read: text, latin1, utf8, hex, base64, base64url. */
  readonly view: string;
}

interface Form {
  readonly name: string;
  readonly text: string;
  readonly caseInsensitive: boolean;
}

export type ByteView = 'latin1' | 'utf8' | 'hex' | 'base64' | 'base64url';
export const ALL_BYTE_VIEWS: readonly ByteView[] = ['latin1', 'utf8', 'hex', 'base64', 'base64url'];

/** Base64 forms shorter than this would match by chance too easily to mean anything. */
const MIN_FORM_CHARS = 16;

export function needle(label: string, value: string | Uint8Array): Needle {
  const bytes = typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'utf8')) : value;
  if (bytes.length < 14) throw new RangeError(`needle ${label} is too short (${bytes.length} bytes) to be searched meaningfully`);
  return typeof value === 'string' ? { label, bytes, text: value } : { label, bytes };
}

const formCache = new WeakMap<Needle, readonly Form[]>();

/**
 * The needle as it would appear in text: itself (as text, and its bytes read as latin1), its
 * hex, and its base64 / base64url at each of the three byte alignments (a base64 encoder only
 * emits the needle's own characters from the first group boundary inside it). Clear and hex
 * forms match in any case: both sides are lowercased alike, so this holds for binary too.
 */
export function formsOf(n: Needle): readonly Form[] {
  const cached = formCache.get(n);
  if (cached) return cached;
  const buf = Buffer.from(n.bytes);
  const latin1 = buf.toString('latin1');
  const forms: Form[] = [
    { name: 'raw', text: latin1, caseInsensitive: true },
    ...(n.text !== undefined && n.text !== latin1 ? [{ name: 'text', text: n.text, caseInsensitive: true }] : []),
    { name: 'hex', text: buf.toString('hex'), caseInsensitive: true },
  ];
  for (const k of [0, 1, 2]) {
    const aligned = buf.subarray(k, k + 3 * Math.floor((buf.length - k) / 3));
    for (const enc of ['base64', 'base64url'] as const) {
      const text = aligned.toString(enc);
      if (text.length >= MIN_FORM_CHARS) forms.push({ name: `${enc}+${k}`, text, caseInsensitive: false });
    }
  }
  formCache.set(n, forms);
  return forms;
}

/** Every needle form found in `text`, reported as read through `view`. */
export function scanText(where: string, text: string, needles: readonly Needle[], view = 'text', opts: { nonAsciiFormsOnly?: boolean } = {}): Finding[] {
  let lower: string | undefined;
  const found: Finding[] = [];
  for (const n of needles) {
    for (const f of formsOf(n)) {
      if (opts.nonAsciiFormsOnly && isAscii(f.text)) continue;
      const hit = f.caseInsensitive ? (lower ??= text.toLowerCase()).includes(f.text.toLowerCase()) : text.includes(f.text);
      if (hit) found.push({ where, needle: n.label, form: f.name, view });
    }
  }
  return found;
}

function isAscii(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') === s.length;
}

/**
 * Reads bytes as latin1, as lossy UTF-8, and as their own hex and base64, and scans each.
 * ASCII reads the same in latin1 and UTF-8, so with both views the UTF-8 one only needs the
 * non-ASCII forms (it is there to match them case-insensitively).
 */
export function scanBytes(where: string, bytes: Uint8Array, needles: readonly Needle[], views: readonly ByteView[] = ALL_BYTE_VIEWS): Finding[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return views.flatMap((view) =>
    scanText(where, buf.toString(view), needles, view, { nonAsciiFormsOnly: view === 'utf8' && views.includes('latin1') }),
  );
}

/** Scans any value a query returns: bytes, text, arrays (text[]), JSON objects, scalars. */
export function scanValue(where: string, value: unknown, needles: readonly Needle[]): Finding[] {
  if (value === null || value === undefined) return [];
  if (value instanceof Uint8Array) return scanBytes(where, value, needles);
  if (typeof value === 'string') return scanText(where, value, needles);
  if (value instanceof Date) return scanText(where, value.toISOString(), needles);
  if (Array.isArray(value)) return value.flatMap((v) => scanValue(where, v, needles));
  if (typeof value === 'object') return scanText(where, JSON.stringify(value), needles, 'json');
  return scanText(where, String(value), needles);
}

export interface TableDump {
  readonly name: string;
  /** Rows as the driver parses them (bytea as bytes, jsonb as objects, arrays as arrays). */
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  /** The same rows in PostgreSQL's own text output (`row::text`), whatever the column types. */
  readonly rowTexts: readonly string[];
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Every table and view of the current schema, discovered from information_schema, read in full. */
export async function dumpSchema(db: Queryable): Promise<TableDump[]> {
  const tables = await db.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
  );
  const dumps: TableDump[] = [];
  for (const { table_name: name } of tables) {
    const rows = await db.query<Record<string, unknown>>(`SELECT * FROM ${quoteIdent(name)}`);
    const texts = await db.query<{ row: string }>(`SELECT t::text AS row FROM ${quoteIdent(name)} t`);
    dumps.push({ name, rows, rowTexts: texts.map((r) => r.row) });
  }
  return dumps;
}

export function scanSchema(tables: readonly TableDump[], needles: readonly Needle[]): Finding[] {
  const found: Finding[] = [];
  for (const t of tables) {
    for (const row of t.rows) {
      for (const [column, value] of Object.entries(row)) found.push(...scanValue(`${t.name}.${column}`, value, needles));
    }
    for (const text of t.rowTexts) found.push(...scanText(`${t.name} (row text)`, text, needles));
  }
  return found;
}
