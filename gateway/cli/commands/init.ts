// `lnmp-gateway init`: set up a new deployment in one step. Writes a JSON config file (data
// directory, domain, hostname and the paths of a self-signed TLS certificate it generates),
// creates the data directory and database, hosts the domain and, with --user, creates the
// first user (password from a prompt or --password-stdin; the mnemonic is printed once). The
// config file is written last and never over an existing one.
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isServiceError } from '../../../services/errors.js';
import { withAdminApi } from '../admin-api.js';
import type { CreatedUser } from '../../admin/api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { readNewPassword } from '../passwords.js';

interface Options {
  config: string;
  dataDir: string;
  domain: string;
  hostname?: string;
  user?: string;
  passwordStdin?: boolean;
  json?: boolean;
}

export const DEFAULT_CONFIG_FILE = 'lnmp-gateway.json';

export function register(program: Command, io: CliIo): void {
  program
    .command('init')
    .description('set up a new gateway: config file, data directory, self-signed TLS certificate, the first domain and (with --user) the first user')
    .option('-c, --config <file>', 'the config file to write (must not exist)', DEFAULT_CONFIG_FILE)
    .option('--data-dir <dir>', 'the data directory to create', './data')
    .option('--domain <domain>', 'the first mail domain to host', 'example.test')
    .option('--hostname <host>', "the gateway's host name (MX, TLS certificate; default mail.<domain>)")
    .option('--user <address>', 'also create this user on the domain (password prompted twice, or --password-stdin)')
    .option('--password-stdin', "read the user's password from the first line of stdin")
    .option('--json', 'print {"configFile","dataDir","domain","hostname","tls","user"}')
    .action(async (options: Options) => {
      const file = resolve(options.config);
      if (existsSync(file)) throw new CliError(`${file} exists; init does not overwrite a config file`, EXIT.failure);
      const dataDir = resolve(options.dataDir);
      const domain = options.domain.trim().toLowerCase();
      const [{ loadConfig }, { prepareDataDir }, { loadTlsCredentials, SELF_SIGNED_CERT_FILE, SELF_SIGNED_KEY_FILE, TLS_DIR }] = await Promise.all([
        import('../../../config/load.js'),
        import('../../storage.js'),
        import('../../tls.js'),
      ]);
      // Checked as `start` will read the file, with the environment on top (DATABASE_URL…);
      // the domain alone first, so a bad one is one line and not also a bad derived hostname.
      const load = (settings: object) => {
        const text = `${JSON.stringify(settings, null, 2)}\n`;
        return { text, ...loadConfig({ env: io.env, configPath: file, readFile: (path) => (path === file ? text : io.readFile(path)) }) };
      };
      load({ dataDir, domain });
      const hostname = options.hostname?.trim().toLowerCase() ?? `mail.${domain}`;
      const tlsDir = join(dataDir, TLS_DIR);
      const settings = {
        dataDir,
        domain,
        hostname,
        tls: { cert: join(tlsDir, SELF_SIGNED_CERT_FILE), key: join(tlsDir, SELF_SIGNED_KEY_FILE) },
      };
      const { config, text } = load(settings);
      const password = options.user === undefined ? undefined : await readNewPassword(io, options.passwordStdin === true);

      prepareDataDir(config.dataDir);
      await loadTlsCredentials({ dataDir: config.dataDir, hostname: config.hostname, tls: {} });
      let user: CreatedUser | undefined;
      await withAdminApi(config, async (api) => {
        await api.addDomain(config.domain).catch((err: unknown) => {
          if (!isServiceError(err, 'domain_exists')) throw err;
        });
        if (options.user !== undefined && password !== undefined) user = await api.createUser({ address: options.user, password });
      });
      writeFileSync(file, text, { flag: 'wx' });

      if (options.json) {
        const u = user && { address: user.address, lnmpAddress: user.lnmpAddress, publicKey: user.publicKey, mnemonic: user.mnemonic };
        io.stdout(`${JSON.stringify({ configFile: file, dataDir: config.dataDir, domain: config.domain, hostname: config.hostname, tls: settings.tls, user: u ?? null })}\n`);
        return;
      }
      let out = `config file:  ${file}\ndata dir:     ${config.dataDir}\ndomain:       ${config.domain}\nhostname:     ${config.hostname}\ntls cert:     ${settings.tls.cert}\n`;
      if (user) {
        out += `user:         ${user.address}\nlnmp address: ${user.lnmpAddress}\npublic key:   ${user.publicKey}\n`;
        if (user.mnemonic !== undefined) out += `mnemonic:     ${user.mnemonic}\n# The mnemonic is shown only this once. It restores the identity: keep it offline and private.\n`;
      }
      out += `# Next: lnmp-gateway start --config ${file}\n`;
      io.stdout(out);
    });
}
