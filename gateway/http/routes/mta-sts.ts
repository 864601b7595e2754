// GET /.well-known/mta-sts.txt: the MTA-STS policy (RFC 8461) senders fetch from
// `https://mta-sts.<domain>/`; one policy serves every hosted domain, since all share the MX.
import { mtaStsPolicy } from '../../../services/mta-sts.js';
import type { ClientSetup } from '../client-setup.js';
import { textResponse } from '../text.js';
import type { Route } from '../types.js';

export const MTA_STS_PATH = '/.well-known/mta-sts.txt';

export function mtaStsRoute(setup: ClientSetup): Route {
  const policy = mtaStsPolicy({ mode: setup.mtaStsMode, mx: setup.hostname });
  return { path: MTA_STS_PATH, methods: { GET: () => textResponse(200, 'text/plain; charset=utf-8', policy) } };
}
