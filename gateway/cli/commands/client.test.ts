// `client inbox --limit` keeps the native client's default although client.ts defines the
// option without loading the client: the help shows it and a run without --limit uses it.
import { describe, expect, it } from 'vitest';
import { fakeIo } from '../../../test/helpers/fake-io.js';
import { DEFAULT_INBOX_LIMIT } from '../../native-client/inbox.js';
import { buildProgram, runCli } from '../program.js';
import { INBOX_LIMIT_DEFAULT } from './client.js';

describe('client inbox --limit default', () => {
  it('is the native client default', () => {
    expect(INBOX_LIMIT_DEFAULT).toBe(DEFAULT_INBOX_LIMIT);
    const inbox = buildProgram(fakeIo()).commands.find((c) => c.name() === 'client')?.commands.find((c) => c.name() === 'inbox');
    expect(inbox?.options.find((o) => o.long === '--limit')?.defaultValue).toBe(String(DEFAULT_INBOX_LIMIT));
  });

  it('appears in the help', async () => {
    const io = fakeIo();
    expect(await runCli(['client', 'inbox', '--help'], io)).toBe(0);
    expect(io.out()).toContain(`at most this many messages (default: "${DEFAULT_INBOX_LIMIT}")`);
  });
});
