// SIGHUP: the config file read again. What a running daemon can take (clients and their
// secrets, reply attributes, reject delay, resend keyword, log level) it takes; the rest is
// named as waiting for a restart. A broken file is reported and the running one kept.
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { clientSecretWarnings } from '../app/node-warnings.js';
import { compileAcceptAttributes, type ReplyAttributes } from '../radius/reply-attributes.js';
import { clientTable, renderAccept, type AcceptAttributes, type Listeners } from './listeners.js';

/**
 * What a reload cannot change in a running daemon: the sockets, the store, the keys, the
 * providers' directory, the loaded dictionaries, the duplicate cache and the NAS time window
 * the PIN queue was sized for. Each with how to read it from a config.
 */
const RESTART_KEYS: Array<[string, (c: Config) => unknown]> = [
  ['radius.listen', (c) => c.radius.listen],
  ['radius.accounting_listen', (c) => c.radius.accounting_listen],
  ['database', (c) => c.database],
  ['secrets.keyfile', (c) => c.secrets.keyfile],
  ['providers.script_directory', (c) => c.providers.script_directory],
  ['radius.dictionaries', (c) => c.radius.dictionaries],
  ['radius.duplicate_cache_seconds', (c) => c.radius.duplicate_cache_seconds],
  ['metrics', (c) => c.metrics],
  ['http', (c) => c.http],
  ['log.format', (c) => c.log.format],
];

export interface ReloadParts {
  readonly configPath: string;
  /** The config the daemon started with (what the restart keys compare against). */
  readonly config: Config;
  readonly log: Logger;
  readonly listeners: Pick<Listeners, 'server' | 'accounting'>;
  readonly accept: AcceptAttributes;
  /** Looks at the key file again (a reload is when an operator expects it). */
  readonly checkKeyFile: () => void;
}

export function reloadConfig(p: ReloadParts): void {
  const { log, configPath, listeners } = p;
  let next: Config;
  let nextAttributes: Map<string, ReplyAttributes>;
  try {
    next = loadConfig(configPath);
    nextAttributes = compileAcceptAttributes(next.radius);
  } catch (err) {
    log.error({ config: configPath, reason: (err as Error).message }, 'configuration not reloaded: it has errors; the running configuration stays');
    return;
  }
  const needRestart = RESTART_KEYS.filter(([, pick]) => JSON.stringify(pick(next)) !== JSON.stringify(pick(p.config))).map(([key]) => key);
  log.level = next.log.level;
  p.accept.current = nextAttributes;
  listeners.server.reconfigure({
    clients: clientTable(next.radius),
    rejectDelayMs: next.radius.reject_delay * 1000,
    resendKeyword: next.radius.resend_keyword,
    acceptAttributes: renderAccept(p.accept),
  });
  listeners.accounting?.reconfigure({ clients: listeners.server.clients });
  const kept = needRestart.length ? { unchanged_until_restart: needRestart } : {};
  log.info({ config: configPath, clients: next.radius.clients.map((c) => `${c.name} ${c.address}`), ...kept }, 'configuration reloaded');
  if (needRestart.length) log.warn({ keys: needRestart }, 'these keys changed but apply only after a restart');
  for (const w of clientSecretWarnings(next)) log.warn({ check: w.check }, w.message);
  p.checkKeyFile();
}
