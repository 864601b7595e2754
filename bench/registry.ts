// The benchmarks `npm run bench -- NAME` knows.
import { runCoreBench } from './core.js';
import { runImapBench } from './imap.js';
import { runJmapBench } from './jmap.js';
import { runRelayBench } from './relay.js';
import { runSmtpBench } from './smtp.js';
import { runStorageBench } from './storage.js';

export const BENCHMARKS: Record<string, () => Promise<void>> = {
  core: runCoreBench,
  storage: runStorageBench,
  smtp: runSmtpBench,
  imap: runImapBench,
  jmap: runJmapBench,
  relay: runRelayBench,
};
