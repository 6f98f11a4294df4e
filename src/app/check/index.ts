// `check`: is this node ready to serve? The configuration, the key file, the store and every
// definition in it are looked at the way `serve` would use them, and nothing is changed: no
// key file or SQLite file is created, no migration run, no key recorded, nothing sent. Used by
// the CLI's `check` command (and meant for the HTTP API too); every finding is one result.
// By what it checks: ./config.ts, ./store.ts (and the key file), ./contents.ts, ./definitions.ts.
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { checkHttpTls, checkListenAddresses, checkRadius, type CheckPorts } from './config.js';
import { Findings, reasonOf, type CheckResult } from './findings.js';
import { checkStoreAndKey } from './store.js';
import { counted } from '../../core/counted.js';

export type { CheckPorts } from './config.js';
export type { CheckResult, CheckStatus } from './findings.js';

/** Checks the node configured in `configPath`; never throws for what it finds. */
export async function checkInstallation(configPath: string, ports: CheckPorts, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const f = new Findings();
  let config: Config;
  try {
    config = loadConfig(configPath, env);
    // The daemon builds its client table from this at start; what it refuses, refuse here.
    ports.radius.clients(config);
  } catch (err) {
    f.fail('config', reasonOf(err));
    return f.results; // nothing else can be found without the configuration
  }
  const listen = config.radius.listen.map((l) => (l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`));
  const clients = config.radius.clients.length;
  f.ok('config', `${configPath} (${counted(clients, 'client')}, listen ${listen.join(', ')})`);
  checkRadius(config, ports.radius, f);
  checkListenAddresses(config, f);
  checkHttpTls(config, f);
  await checkStoreAndKey(config, configPath, ports.store, f);
  return f.results;
}
