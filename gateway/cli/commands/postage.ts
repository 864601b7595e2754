// `lnmp-gateway postage show ADDRESS` (the user's prices and recent postage cases with their
// audit trail) and `postage set ADDRESS --stranger N ...` (a user's own prices; `default`
// resets one to the gateway's setting).
import { Option, type Command } from 'commander';
import type { PolicyPatch } from '../../../services/postage-policy.js';
import { withAdminApi } from '../admin-api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

const SATS_OPTIONS = [
  ['stranger', 'strangerSats', 'postage a stranger pays'],
  ['acquaintance', 'acquaintanceSats', 'postage an acquaintance pays'],
  ['priority', 'prioritySats', 'paid postage at or above this is tagged $Priority'],
  ['surge-unread', 'surgeUnread', 'unread INBOX messages above which prices double'],
] as const;
const BOOLEAN_OPTIONS = [
  ['refund-on-reply', 'refundOnReply', 'refund instead of settling when the user replies'],
  ['auto-reply', 'autoReply', 'send invoice auto-replies to eligible strangers'],
] as const;

export function register(program: Command, io: CliIo): void {
  const postage = commandGroup(program, 'postage', "show and set a user's postage prices");
  postage
    .command('show')
    .description("a user's prices and recent postage cases (state, amount, every recorded change)")
    .argument('<address>', "the user's address")
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (address: string, options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const report = await withAdminApi(config, (api) => api.postageShow(address));
      if (options.json) {
        io.stdout(`${JSON.stringify(report)}\n`);
        return;
      }
      const p = report.policy;
      io.stdout(`${report.address}: stranger ${p.strangerSats} sats, acquaintance ${p.acquaintanceSats} sats, friends free, priority from ${p.prioritySats} sats\n`);
      io.stdout(`surge above ${p.surgeUnread} unread (prices x2); refund on reply: ${p.refundOnReply ? 'yes' : 'no'}; auto-reply: ${p.autoReply ? 'on' : 'off'}\n`);
      for (const c of report.cases) {
        io.stdout(`case ${c.id}\t${c.state}\t${c.amountSats} sats${c.priority ? '\tpriority' : ''}\n`);
        for (const e of c.events) io.stdout(`  ${new Date(e.at).toISOString()}\t${e.state}\t${e.reason}\n`);
      }
    });
  const set = postage
    .command('set')
    .description("set a user's own prices; `default` returns a setting to the gateway's")
    .argument('<address>', "the user's address")
    .addOption(configOption())
    .option('--json', 'print the resulting policy as JSON');
  for (const [flag, , description] of SATS_OPTIONS) set.addOption(new Option(`--${flag} <n>`, `${description} (a whole number, or default)`));
  for (const [flag, , description] of BOOLEAN_OPTIONS) set.addOption(new Option(`--${flag} <on|off>`, `${description} (on, off or default)`));
  set.action(async (address: string, options: Record<string, string | boolean | undefined>) => {
    const patch: PolicyPatch = {};
    for (const [flag, key] of SATS_OPTIONS) {
      const value = options[camel(flag)];
      if (typeof value !== 'string') continue;
      if (value === 'default') patch[key] = null;
      else if (/^\d{1,9}$/.test(value)) patch[key] = Number(value);
      else throw new CliError(`--${flag}: expected a whole number or "default", got "${value}"`, EXIT.usage);
    }
    for (const [flag, key] of BOOLEAN_OPTIONS) {
      const value = options[camel(flag)];
      if (typeof value !== 'string') continue;
      if (value === 'default') patch[key] = null;
      else if (value === 'on' || value === 'off') patch[key] = value === 'on';
      else throw new CliError(`--${flag}: expected on, off or "default", got "${value}"`, EXIT.usage);
    }
    if (Object.keys(patch).length === 0) throw new CliError('nothing to set: give at least one of --stranger, --acquaintance, --priority, --surge-unread, --refund-on-reply, --auto-reply', EXIT.usage);
    const { config } = await loadCliConfig(io, typeof options['config'] === 'string' ? options['config'] : undefined);
    const policy = await withAdminApi(config, (api) => api.postageSet({ address, policy: patch }));
    io.stdout(options['json'] ? `${JSON.stringify(policy)}\n` : `${address}: stranger ${policy.strangerSats} sats, acquaintance ${policy.acquaintanceSats} sats, priority from ${policy.prioritySats} sats, surge above ${policy.surgeUnread} unread, refund on reply ${policy.refundOnReply ? 'on' : 'off'}, auto-reply ${policy.autoReply ? 'on' : 'off'}\n`);
  });
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
