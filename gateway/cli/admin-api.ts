// Where the account commands send their work, so they act on the database the server uses:
// with PostgreSQL, straight to it (any number of processes may connect); with embedded
// PGlite, which one process only may open, through a running gateway's admin socket, or,
// when nothing answers there, to the data directory itself. In that last case the command
// holds the admin socket while it works, so a gateway or command started meanwhile goes
// through it instead of opening the directory a second time.
//
// Everything behind it (storage, services, the admin socket) is loaded on the first call, not
// when the CLI starts: every command file imports this one, and `--help` or a usage error
// must not pay for the database drivers.
import type { Config } from '../../config/schema.js';
import type { Db } from '../../storage/db.js';
import type { AdminApi } from '../admin/api.js';
import type { AdminClient } from '../admin/client.js';
import type { AdminServer } from '../admin/server.js';

export async function withAdminApi<T>(config: Config, work: (api: AdminApi) => Promise<T>): Promise<T> {
  const { openStorage, prepareDataDir } = await import('../storage.js');
  if (config.databaseUrl !== undefined) {
    const db = await openStorage(config);
    try {
      return await work(await localApi(config, db));
    } finally {
      await db.close();
    }
  }
  const [{ connectAdmin }, { adminSocketPath }] = await Promise.all([import('../admin/client.js'), import('../admin/protocol.js')]);
  const path = adminSocketPath(config.dataDir);
  const remote = await connectAdmin(path);
  if (remote) return viaSocket(remote, work);

  prepareDataDir(config.dataDir);
  let apiReady!: (api: AdminApi) => void;
  let apiFailed!: (err: unknown) => void;
  const api = new Promise<AdminApi>((resolve, reject) => ((apiReady = resolve), (apiFailed = reject)));
  const [{ startAdminServer }, { createLogger }] = await Promise.all([import('../admin/server.js'), import('../log.js')]);
  let admin: AdminServer;
  try {
    // The command's own requests do not pass through its socket; it logs nothing.
    admin = await startAdminServer({ path, api, logger: createLogger({ level: 'error', write: () => {} }) });
  } catch (err) {
    // A gateway may have claimed the directory since the first look.
    const late = await connectAdmin(path);
    if (late) return viaSocket(late, work);
    throw err;
  }
  let db: Db | undefined;
  try {
    db = await openStorage(config);
    const accounts = await localApi(config, db);
    apiReady(accounts);
    return await work(accounts);
  } catch (err) {
    apiFailed(err);
    throw err;
  } finally {
    await admin.close();
    await db?.close();
  }
}

async function viaSocket<T>(client: AdminClient, work: (api: AdminApi) => Promise<T>): Promise<T> {
  try {
    return await work(client.api);
  } finally {
    client.close();
  }
}

async function localApi(config: Config, db: Db): Promise<AdminApi> {
  const [{ localAdminApi }, { AccountService }, { systemRng }] = await Promise.all([
    import('../admin/local-api.js'),
    import('../../services/account-service.js'),
    import('../../services/random.js'),
  ]);
  return localAdminApi(config, db, new AccountService(db, { rng: systemRng }));
}
