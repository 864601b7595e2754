// IMAP flags ⇄ JMAP keywords (RFC 8621 §4.1.1): the four system flags have `$` keywords,
// other keywords are the same text lowercased (JMAP keywords are case-insensitive). \Deleted
// and \Recent have no keyword: they are hidden from JMAP and kept when JMAP sets keywords.

const FLAG_TO_KEYWORD: Readonly<Record<string, string>> = {
  '\\seen': '$seen',
  '\\flagged': '$flagged',
  '\\answered': '$answered',
  '\\draft': '$draft',
};
const KEYWORD_TO_FLAG: Readonly<Record<string, string>> = {
  $seen: '\\Seen',
  $flagged: '\\Flagged',
  $answered: '\\Answered',
  $draft: '\\Draft',
};

/**
 * What both protocols accept: RFC 8621 §4.1.1 (%x21-7E except `( ) { ] % * " \`) and an IMAP
 * flag atom as the mailbox stores it (no `, / : ; < = > ? @ [`, at most 64 characters).
 */
const KEYWORD_RE = /^[!#$&'+\-.0-9A-Z^_`a-z|~]{1,64}$/;

export function isValidKeyword(keyword: string): boolean {
  return KEYWORD_RE.test(keyword);
}

export function keywordOf(flag: string): string | undefined {
  if (flag.startsWith('\\')) return FLAG_TO_KEYWORD[flag.toLowerCase()];
  return flag.toLowerCase();
}

export function flagOf(keyword: string): string {
  const k = keyword.toLowerCase();
  return KEYWORD_TO_FLAG[k] ?? k;
}

/** The Email `keywords` object of a message's flags. */
export function keywordsOf(flags: readonly string[]): Record<string, true> {
  const keywords: Record<string, true> = {};
  for (const flag of flags) {
    const k = keywordOf(flag);
    if (k !== undefined) keywords[k] = true;
  }
  return keywords;
}

/** Flags JMAP cannot see, which setting keywords leaves as they are. */
export function hiddenFlags(flags: readonly string[]): string[] {
  return flags.filter((f) => keywordOf(f) === undefined);
}
