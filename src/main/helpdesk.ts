// The helpdesk commands' objects (`user show`, `token reset|enable|disable|delete|set|resend`):
// the application layer of every CLI command, plus what only these need, the site's user
// directory (what the user store says of the user) and the login core (resend sends the SMS
// as /validate/triggerchallenge does: same limits, gateway choice and audit row). Built for
// one command and closed after it.
import { userInfo } from 'node:os';
import { Helpdesk } from '../app/helpdesk.js';
import { TransactionIds } from '../core/transaction-ids.js';
import { UserViews } from '../app/user-view.js';
import { GatewayRegistry } from '../gateways/registry.js';
import { buildAdmin } from './admin.js';
import { buildDirectory, buildLogin, buildSite } from './login.js';
import { providerContext } from './providers.js';
import { openRuntime } from './runtime.js';

export interface HelpdeskServices {
  readonly users: UserViews;
  readonly helpdesk: Helpdesk;
}

/** The account that runs the CLI, for the audit trail ('' where the system cannot tell). */
export function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

/** Runs `fn` with the helpdesk services on a migrated store; closes everything after. */
export async function withHelpdesk<T>(configFlag: string | undefined, fn: (services: HelpdeskServices) => Promise<T>): Promise<T> {
  const rt = await openRuntime(configFlag, { migrate: true, cli: true });
  const authStore = rt.store.openAuthStore((err) => rt.log.warn({ reason: err.message }, 'store connection lost'));
  const site = buildSite(rt.store, { configRevision: () => authStore.configRevision() }, { onError: () => undefined, onRecovered: () => undefined, onReload: () => undefined });
  try {
    await site.start();
    site.stop(); // one command: the configuration as read now, no polling
    const directory = buildDirectory(site, rt.config.radius);
    // The login's events (SMS failed, gateway down) are told by the command's own output, from the audit row.
    const events = { emit: () => undefined };
    const gateways = new GatewayRegistry((id) => site.gateway(id), providerContext(rt, events));
    const login = buildLogin({
      store: authStore,
      pins: rt.pins,
      sms: gateways,
      settings: site,
      clock: { now: () => Date.now() },
      events,
      directory,
      policies: site,
      rateLimits: { consume: (limits, now) => authStore.consume(limits, now), refund: (counted) => authStore.refund(counted) },
      // The site's key: the daemons recognise the States this command issues.
      transactionIds: new TransactionIds(rt.keys.transactionIdMac),
    });
    const admin = buildAdmin(rt);
    try {
      return await fn({
        users: new UserViews(rt.store, admin.tokens, directory),
        helpdesk: new Helpdesk(rt.store, admin.tokens, operatorName(), login),
      });
    } finally {
      await login.idle();
      await Promise.allSettled([gateways.close(), directory.close()]);
    }
  } finally {
    site.stop();
    await authStore.close();
    await rt.close();
  }
}
