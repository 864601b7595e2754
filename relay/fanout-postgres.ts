// Fan-out notices over PostgreSQL LISTEN/NOTIFY, for several relay processes on one database
// without Redis. NOTIFY goes through the relay's own pool (delivered at commit); LISTEN holds
// one dedicated connection, opened again with backoff if it drops. Notices sent while it was
// down are not replayed (clients find those envelopes with QUERY).
import pg from 'pg';
import { describeCause } from '../storage/notifier-errors.js';
import type { Queryable } from '../storage/db.js';
import { fullJitterDelay } from './backoff.js';
import type { RelayLogger } from './context.js';
import type { FanoutTransport } from './fanout.js';

/** The channel is this plus the deployment's namespace (channels are per database, not per schema). */
export const PG_FANOUT_PREFIX = 'lnmp_relay_';
/** The listening connection's application_name (pg_stat_activity). */
export const PG_FANOUT_APPLICATION = 'lnmp-relay-fanout';
/** Backoff of reopening a dropped LISTEN connection: first wait up to this, doubling... */
export const PG_FANOUT_RECONNECT_BASE_MS = 250;
/** ...up to this. */
export const PG_FANOUT_RECONNECT_MAX_MS = 30_000;

export function postgresFanoutChannel(namespace: string): string {
  if (!/^[0-9a-z_]{0,40}$/.test(namespace)) throw new RangeError('fan-out namespace must be at most 40 of [0-9a-z_]');
  return `${PG_FANOUT_PREFIX}${namespace}`;
}

export async function openPostgresFanout(opts: { url: string; db: Queryable; namespace: string; logger: RelayLogger }): Promise<FanoutTransport> {
  const channel = postgresFanoutChannel(opts.namespace);
  let client: pg.Client | undefined;
  let closing = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let deliver: ((payload: string) => void) | undefined;

  const open = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: opts.url, application_name: PG_FANOUT_APPLICATION });
    c.on('error', (err) => opts.logger.warn('relay fan-out: PostgreSQL listener error', { err: describeCause(err) }));
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) deliver?.(n.payload);
    });
    c.on('end', () => {
      if (client !== c || closing) return;
      client = undefined;
      reopenLater();
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
    if (closing) return void (await c.end().catch(() => {}));
    client = c;
    failures = 0;
  };
  const reopenLater = (): void => {
    const wait = fullJitterDelay(failures++, PG_FANOUT_RECONNECT_BASE_MS, PG_FANOUT_RECONNECT_MAX_MS, Math.random);
    retry = setTimeout(() => {
      open().then(
        () => opts.logger.info('relay fan-out: PostgreSQL listener reconnected', {}),
        (err: unknown) => {
          opts.logger.warn('relay fan-out: PostgreSQL listener reconnect failed', { err: describeCause(err) });
          if (!closing) reopenLater();
        },
      );
    }, wait);
  };

  return {
    name: 'postgres',
    async listen(onMessage) {
      deliver = onMessage;
      await open();
    },
    async send(payload) {
      await opts.db.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      closing = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
