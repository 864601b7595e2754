// The client-setup facts HTTP route tests use: mail.example.test serving example.test on the
// standard ports, with MTA-STS in testing mode.
import type { ClientSetup } from '../../gateway/http/client-setup.js';

export const TEST_CLIENT_SETUP: ClientSetup = {
  hostname: 'mail.example.test',
  defaultDomain: 'example.test',
  mtaStsMode: 'testing',
  ports: { imap: 143, imaps: 993, submission: 587 },
  isHostedDomain: (domain) => Promise.resolve(domain === 'example.test'),
};
