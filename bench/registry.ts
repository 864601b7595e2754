// The benchmarks `npm run bench -- NAME` knows. Each is imported only when it runs, so a
// benchmark's process holds its own modules alone (the storage benchmark measures its peak RSS).
export const BENCHMARKS: Record<string, () => Promise<void>> = {
  core: async () => (await import('./core.js')).runCoreBench(),
  storage: async () => (await import('./storage.js')).runStorageBench(),
  smtp: async () => (await import('./smtp.js')).runSmtpBench(),
  imap: async () => (await import('./imap.js')).runImapBench(),
  jmap: async () => (await import('./jmap.js')).runJmapBench(),
  relay: async () => (await import('./relay.js')).runRelayBench(),
};
